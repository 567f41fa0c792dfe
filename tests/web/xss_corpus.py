"""Script and HTML injection payloads: each must render as inert text wherever a user's
text is shown (feed posts, comments, names, lab output, reports, questions to A.D.A.).

Every payload that could run would set `window.__xss` or open a dialog, so a browser
test can prove that none did; a server-side test checks that no dangerous markup
survives in the HTML (`dangerous_markup`).
"""

from __future__ import annotations

from html.parser import HTMLParser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<a href="javascript:window.__xss=1">click me</a>',
    '<a href="JaVaScRiPt:window.__xss=1">click</a>',
    '<a href="&#106;avascript:window.__xss=1">entity</a>',
    '<div style="background:url(javascript:window.__xss=1)">css</div>',
    "<style>body{background:url('javascript:window.__xss=1')}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>",
    "<input autofocus onfocus=window.__xss=1>",
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="javascript:window.__xss=1">',
    '<form action="javascript:window.__xss=1"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "[click me](javascript:window.__xss=1)",
    "[click me](JAVASCRIPT:window.__xss=1)",
    "[click me](  javascript:window.__xss=1  )",
    "[click me](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "![x](javascript:window.__xss=1)",
    '![x" onerror="window.__xss=1](https://example.org/x.png)',
    '[a](https://example.org "title" onmouseover="window.__xss=1")',
    '<https://example.org/" onmouseover="window.__xss=1>',
    "`<script>window.__xss=1</script>`",
    "```\n<script>window.__xss=1</script>\n```",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<img src=`x` onerror=window.__xss=1>",
    '<a href="vbscript:msgbox(1)">vb</a>',
    "{{ 7*7 }} {% raw %}",
]

# Every payload names one of these; in a page they may only ever appear as text.
MARKERS = ("__xss", "evil.example", "msgbox", "data:text/html")
# Attributes that hold text, never code or an address (a form echoing what was typed).
TEXT_ATTRIBUTES = {"value", "alt", "title", "placeholder", "aria-label"}


class _LiveMarkupFinder(HTMLParser):
    """Collects the places where a payload became markup rather than text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._raw_text_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw_text_tag = tag
        for name, value in attrs:
            if value and _has_marker(value) and name not in TEXT_ATTRIBUTES:
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw_text_tag:
            self._raw_text_tag = None

    def handle_data(self, data: str) -> None:
        # Text inside <script> or <style> runs; text anywhere else is just shown.
        if self._raw_text_tag and _has_marker(data):
            self.found.append(f"<{self._raw_text_tag}>{data.strip()[:60]}")


def _has_marker(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in MARKERS)


def dangerous_markup(html: str) -> list[str]:
    """Where a payload in `html` became live markup (empty when everything is inert).

    Escaped text (`&lt;script&gt;`) is text, so it never counts; a payload's marker in
    a tag's attribute (an event handler, a link, a source) or inside a <script> or
    <style> element does.
    """
    finder = _LiveMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.found
