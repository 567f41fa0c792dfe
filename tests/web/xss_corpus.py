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
    # Bare addresses become links: the link must end where the address does.
    'https://example.org/"onmouseover="window.__xss=1',
    "javascript:window.__xss=1 https://example.org/<script>window.__xss=1</script>",
    "{{ 7*7 }} {% raw %}",
    # Harmless as text; live markup (with the marker) only if a template engine runs it.
    "{{ '<img src=x onerror=window.__x' ~ 'ss=1>' }}",
]
# Payloads that no markup check can see: they probe server-side template evaluation
# ("49" where the text should be), which only `shown_as_text` notices.
TEMPLATE_PROBES = ("{{ 7*7 }} {% raw %}",)

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


class _VisibleText(HTMLParser):
    """Collects the text a reader sees (not scripts, styles or attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def shown_as_text(html: str, text: str) -> bool:
    """Whether `text` reaches the reader of `html` exactly as typed (spacing aside).

    The other half of being inert: not lost, not evaluated by a template engine ("49"
    for "{{ 7*7 }}"), not escaped twice ("&amp;lt;"). A page that shows the text cut
    short or across several elements does not count.
    """
    finder = _VisibleText()
    finder.feed(html)
    finder.close()
    visible = " ".join("".join(finder.parts).split())
    return " ".join(text.split()) in visible


def dangerous_markup(html: str) -> list[str]:
    """Where a payload in `html` became live markup (empty when everything is inert).

    Escaped text (`&lt;script&gt;`) is text, so it never counts; a payload's marker in
    a tag's attribute (an event handler, a link, a source) or inside a <script> or
    <style> element (closed or not) does.
    """
    finder = _LiveMarkupFinder()
    finder.feed(html)
    finder.close()
    if finder._raw_text_tag and _has_marker(finder.rawdata):
        # A <script> or <style> that never closes: the parser keeps the rest of the page
        # back instead of reporting it. Inside <svg> or <math> that "rest" is live markup
        # (the mXSS payload's <img onerror>), so an open raw-text element holding a
        # payload's marker counts too.
        finder.found.append(f"<{finder._raw_text_tag}> left open: {finder.rawdata.strip()[:60]}")
    return finder.found
