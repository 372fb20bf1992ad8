"""``incident_event`` is sent inside the transaction of every incident operation.

Receivers (SLA timers, major incidents, problems) run in the same transaction, so a failure rolls
the whole operation back. Keyword arguments: ``incident``, ``event`` (created, updated,
priority_changed, assigned, escalated, state_changed, reopened, first_response, public_comment),
``by`` (the acting user) and ``data`` (event details, e.g. ``old``/``new`` states).
"""

from django.dispatch import Signal

incident_event = Signal()
