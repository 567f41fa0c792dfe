"""Icons from the vendored Lucide sprite (`static/vendor/lucide/icons.svg`), not emoji.

Emoji show as empty boxes where no emoji font is installed (most Linux desktops and
servers without one), and their colours ignore the page's. An icon here is an inline
`<svg><use>` of one symbol of the sprite: drawn in the text's colour, in both schemes,
with no font needed. `icon(name)` is a template global; content names its achievements'
icons by the same names, and a name the sprite lacks draws the generic `award` icon, so a
course with a new name never breaks a page.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, url_for
from markupsafe import Markup, escape

SPRITE = "vendor/lucide/icons.svg"
FALLBACK = "award"
NAMES = frozenset(
    re.findall(
        r'<symbol id="([a-z0-9-]+)"', (Path(__file__).parent / "static" / SPRITE).read_text()
    )
)


def icon(name: str, class_: str = "icon") -> Markup:
    """An icon, hidden from assistive technology (the text beside it says what it means)."""
    symbol = name if name in NAMES else FALLBACK
    href = f"{url_for('static', filename=SPRITE)}#{symbol}"
    return Markup(
        f'<svg class="{escape(class_)}" aria-hidden="true" focusable="false">'
        f'<use href="{escape(href)}"></use></svg>'
    )


def init_app(app: Flask) -> None:
    app.jinja_env.globals["icon"] = icon
