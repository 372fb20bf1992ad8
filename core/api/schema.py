"""The project's OpenAPI schema class: what every operation shares is documented here once.

- Every throttled operation may answer 429 with ``Retry-After`` (``core.api.throttling``).
- POST operations of methods decorated with ``core.api.idempotency.idempotent`` take the
  ``Idempotency-Key`` header and may answer 409 (the first request is still running) or 422 (the
  key was used for another body).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from core.api.idempotency import IDEMPOTENCY_KEY_PARAMETER, is_idempotent

_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_THROTTLED = {
    **_error_response("Too many requests: wait the number of seconds in Retry-After."),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}


class AutoSchema(SpectacularAutoSchema):
    def _view_method(self):
        action = getattr(self.view, "action", None)
        if action:
            return getattr(self.view, action, None)
        return getattr(self.view, self.method.lower(), None)

    def _is_idempotent_operation(self) -> bool:
        return self.method == "POST" and is_idempotent(self._view_method())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent_operation():
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        responses = operation.setdefault("responses", {})
        if self.view.get_throttles():
            responses.setdefault("429", _THROTTLED)
        if not self._is_idempotent_operation():
            return operation
        responses.setdefault("409", _error_response("A request with this Idempotency-Key is still running."))
        responses.setdefault(
            "422", _error_response("The Idempotency-Key was used before for a different request body.")
        )
        return operation
