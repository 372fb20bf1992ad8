from django.test import RequestFactory

from core.panels import _REGISTRY, register_panel, render_panels


def test_panels_render_in_order_and_can_hide(tmp_path, settings):
    settings.TEMPLATES[0]["DIRS"] = [tmp_path, *settings.TEMPLATES[0]["DIRS"]]
    (tmp_path / "p.html").write_text("<p>{{ label }} for {{ object }}</p>")
    register_panel("test-slot", "b", template="p.html", context=lambda r, o: {"label": "B"}, order=2)
    register_panel("test-slot", "a", template="p.html", context=lambda r, o: {"label": "A"}, order=1)
    register_panel("test-slot", "hidden", template="p.html", context=lambda r, o: None)
    try:
        html = render_panels("test-slot", RequestFactory().get("/"), "INC1")
        assert html == ["<p>A for INC1</p>", "<p>B for INC1</p>"]
    finally:
        _REGISTRY.pop("test-slot")
