"""The nested-form checker that tests/conftest.py runs over every page the suite renders."""

from tests.html_checks import nested_forms


def test_it_finds_a_form_inside_a_form():
    html = """<form method="post" action="/report/"><input name="a">
      <div><form action="/join/"><button>Join</button></form></div>
      <button>Send</button></form>"""
    found = nested_forms(html)
    assert len(found) == 1
    assert "'/join/'" in found[0] and "line 2" in found[0]


def test_it_accepts_sibling_forms_and_forms_in_scripts():
    html = """<form action="/a/"></form><form action="/b/"><script>let s = "<form>";</script></form>
      <form action="/c/"><button>Go</button></form>"""
    assert nested_forms(html) == []


def test_an_unclosed_form_swallows_the_next_one():
    assert len(nested_forms('<form action="/a/"><input><form action="/b/"></form>')) == 1
