"""Markdown bodies render inert: a table of XSS payloads, through the renderer, the portal and the API."""

from html.parser import HTMLParser

import pytest

from knowledge.rendering import plain_text, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">x</p>',
    '<math><mtext><a xlink:href="javascript:alert(1)">x</a></mtext></math>',
    "<style>body{display:none}</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<!--<img src=x onerror=alert(1)>-->",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
]

SAFE_SCHEMES = ("http://", "https://", "mailto:", "/", "#")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, name, value or "") for name, value in attrs)


def assert_inert(html: str) -> None:
    parser = _Collector()
    parser.feed(html)
    forbidden = {
        "script",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "style",
        "meta",
        "base",
        "link",
        "svg",
    }
    assert not forbidden & set(parser.tags), parser.tags
    for tag, name, value in parser.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name not in {"style", "xlink:href", "srcdoc", "formaction"}, (tag, name)
        if name in {"href", "src"}:
            assert (
                value.strip().lower().startswith(SAFE_SCHEMES) or "://" not in value and ":" not in value
            ), value


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_inert(payload):
    assert_inert(render_markdown(f"Before\n\n{payload}\n\nAfter"))


def test_links_get_noopener_and_keep_safe_schemes():
    html = render_markdown("[site](https://example.com) [mail](mailto:sd@example.com) [kb](/portal/kb/)")
    assert html.count('rel="noopener noreferrer"') == 3
    assert 'href="https://example.com"' in html
    assert 'href="mailto:sd@example.com"' in html
    assert 'href="/portal/kb/"' in html


def test_markdown_features_survive_sanitising():
    html = render_markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n1. one\n2. two\n\n`code` **bold**")
    for tag in ("<h1>", "<table>", "<td>", "<ol>", "<code>", "<strong>"):
        assert tag in html


def test_code_blocks_show_markup_as_text():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_plain_text_for_search():
    assert plain_text(render_markdown("# Reset\n\n- one\n- two & three")) == "Reset one two & three"


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_in_an_article_is_inert_in_portal_page_and_api(
    payload, article_factory, client, end_user, as_user
):
    article = article_factory(state="published", body=f"Steps:\n\n{payload}\n\nDone.", summary="<b>x</b>")
    client.force_login(end_user)
    page = client.get(f"/portal/kb/{article.number}/").content.decode()
    body = page.split('<article class="card kb-article"', 1)[1].split("</article>", 1)[0]
    assert_inert(body.split(">", 1)[1])
    assert "&lt;b&gt;x&lt;/b&gt;" in body  # the summary is text, escaped
    api_html = as_user(end_user).get(f"/api/v1/kb/articles/{article.number}/").json()["body_html"]
    assert_inert(api_html)
