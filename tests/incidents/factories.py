"""Factories for bulk incident data (the fixed cast lives in tests/conftest.py)."""

from incidents import services


def make_incident(caller, *, by=None, **kwargs):
    defaults = {"short_description": "Printer on floor 3 does not print", "contact_channel": "portal"}
    defaults.update(kwargs)
    return services.create_incident(by=by or caller, caller=caller, **defaults)
