"""portal.css: every colour follows the colour scheme, through the theme's custom properties.

A literal colour in a rule stays the same in both schemes, so a light surface written as
`#fff` shows as a white block (dark text on it, or worse light text) in dark mode. Colours
are therefore set as custom properties in `:root` and again under `prefers-color-scheme:
dark`, and rules use `var(...)`. The few literal colours that are right in both schemes are
listed here with their reason; the e2e walk checks the contrast of the result (axe-core,
both schemes).
"""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[3] / "services/web/portal/static/portal.css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\b(white|black)\b")
# Selectors allowed a fixed colour, and why.
FIXED = {
    ".output": "the program's output is a console: dark in both schemes",
    ".ada, .ada-correct, .ada-wrong": "A.D.A.'s console: dark in both schemes",
    ".ada code": "A.D.A.'s console: dark in both schemes",
    ".ada .exp-gain": "A.D.A.'s console: dark in both schemes",
    ".notification-bell.has-unread .bell-count": "a red badge with white text, AA on any page",
    ".site-header": "the fallback of the school's own colour (--brand)",
    ".callout-warning": "an amber border, visible on both backgrounds",
    ".cm-s-default span.cm-string-2": "a code token on the light editor; dark mode overrides it",
    ".chart img": "the SVG charts are drawn for a light background",
    ".platform-chart": "the SVG charts are drawn for a light background",
}


def _rules(css: str):
    """(selector, property, value, inside a dark-scheme block) of every declaration."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    dark_spans = []
    for match in re.finditer(r"@media[^{]*prefers-color-scheme:\s*dark[^{]*\{", css):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        dark_spans.append((match.start(), end))
    for rule in re.finditer(r"([^{}]+)\{([^{}]*)\}", css):
        selector = " ".join(rule.group(1).split())
        dark = any(start <= rule.start() < end for start, end in dark_spans)
        for declaration in rule.group(2).split(";"):
            prop, _, value = declaration.partition(":")
            if value:
                yield selector, prop.strip(), value.strip(), dark


def test_every_literal_colour_is_a_theme_property_or_a_named_exception():
    stray = [
        f"{selector} {{ {prop}: {value} }}"
        for selector, prop, value, dark in _rules(CSS.read_text())
        if COLOUR.search(value)
        and not prop.startswith("--")  # the theme's own properties
        and prop != "box-shadow"  # a shadow is black in both schemes
        and not dark  # a dark-scheme override
        and selector not in FIXED
    ]
    assert stray == []


def test_code_the_editor_and_toasts_take_the_schemes_surface_and_ink():
    rules = {(s, p): v for s, p, v, dark in _rules(CSS.read_text()) if not dark}
    assert rules[(".CodeMirror.cm-s-default", "background")] == "var(--surface)"
    assert rules[(".CodeMirror.cm-s-default", "color")] == "var(--ink)"
    assert rules[("pre.code, .guide pre, pre.blanks-code", "background")] == "var(--surface-2)"
    assert rules[("pre.code, .guide pre, pre.blanks-code", "color")] == "var(--ink)"
    toast = ".toast"
    assert (rules[(toast, "background")], rules[(toast, "color")]) == (
        "var(--toast-bg)",
        "var(--toast-ink)",
    )
