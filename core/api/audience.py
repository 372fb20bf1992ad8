"""What end users read through the API: one decision per serializer, made in one place.

A serializer that mixes in :class:`AudienceSerializerMixin` lists in ``Meta.end_user_fields`` the
fields an end user (a portal user) may read: what the portal shows them for the same object, plus
what they wrote themselves and the API's own handles (id, number, url, version). Every other
field, present and future, is for agents only: it is not rendered (not even computed) for end
users. The OpenAPI schema marks those fields optional and says "Agents only".

Writing is not affected: which fields an end user may *set* is the view's or serializer's rule.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension

from core.roles import is_agent

AGENTS_ONLY = "Agents only."


def requester_is_agent(context: dict) -> bool:
    """Whether the request in a serializer context comes from an agent (cached in the context)."""
    if "_is_agent" not in context:
        request = context.get("request")
        context["_is_agent"] = request is not None and is_agent(request.user)
    return context["_is_agent"]


class AudienceSerializerMixin:
    """Renders only ``Meta.end_user_fields`` for end users (see the module docstring)."""

    @property
    def _readable_fields(self):
        fields = super()._readable_fields
        if requester_is_agent(self.context):
            yield from fields
            return
        allowed = self.Meta.end_user_fields
        for field in fields:
            if field.field_name in allowed:
                yield field


class AudienceSerializerExtension(OpenApiSerializerExtension):
    """Agent-only fields are optional in responses and documented as such."""

    target_class = AudienceSerializerMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "response":
            return schema
        allowed = set(self.target.Meta.end_user_fields)
        agent_only = [name for name in schema.get("properties", {}) if name not in allowed]
        for name in agent_only:
            prop = schema["properties"][name]
            if "$ref" in prop:  # a $ref cannot carry siblings in OpenAPI 3.0
                prop = schema["properties"][name] = {"allOf": [{"$ref": prop.pop("$ref")}], **prop}
            prop["description"] = f"{AGENTS_ONLY} {prop.get('description', '')}".strip()
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name in allowed]
            if not schema["required"]:
                del schema["required"]
        return schema
