from django.test import RequestFactory

from core.panels import _REGISTRY, register_panel, render_panels

TEMPLATE = "notifications/generic/subject.txt"  # renders "{{ subject }}"


def test_panels_render_in_order_and_can_hide():
    register_panel("test-slot", "b", template=TEMPLATE, context=lambda r, o: {"subject": f"B {o}"}, order=2)
    register_panel("test-slot", "a", template=TEMPLATE, context=lambda r, o: {"subject": f"A {o}"}, order=1)
    register_panel("test-slot", "hidden", template=TEMPLATE, context=lambda r, o: None)
    try:
        html = render_panels("test-slot", RequestFactory().get("/"), "INC1")
        assert [part.strip() for part in html] == ["A INC1", "B INC1"]
    finally:
        _REGISTRY.pop("test-slot")
