"""Bidirectional control characters never reach a page: one filter on the way in, one out.

An embedded right-to-left override (U+202E) makes "RTL override" display as
"edirrevo LTR", so a name, a post title or a report can pass for something else. These
characters have no use in a name, a post or a report, so they are removed rather than
isolated (an isolate would still let one spoof the rest of its own text).

Two places, neither of which a forgotten call can skip:
- `install(sessionmaker)`: before every flush, every string column of every new or
  changed row loses them, whichever form, service or CLI wrote the row. A column whose
  text must stay byte for byte (a student's code) says so with `info={"verbatim": True}`.
- `init_app(app)`: Jinja's `finalize` removes them from every `{{ value }}` a template
  prints, so rows stored before this filter existed, and text from outside the database
  (a grader's message, a query string), are shown clean too.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI),
# the marks (LRM, RLM) and the Arabic letter mark.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS))
VERBATIM = "verbatim"


def strip_bidi(text: str) -> str:
    """`text` without any bidirectional control character."""
    return text.translate(_REMOVE)


def install(factory: sessionmaker) -> None:
    """Strip the controls from every string a session of `factory` writes."""
    event.listen(factory, "before_flush", _strip_written_rows)


def _strip_written_rows(session: Session, _flush_context, _instances) -> None:
    for row in (*session.new, *session.dirty):
        state = inspect(row)
        loaded = state.dict  # only values in memory: reading them costs no query
        for attribute in state.mapper.column_attrs:
            column = attribute.columns[0]
            if not isinstance(column.type, String) or column.info.get(VERBATIM):
                continue
            value = loaded.get(attribute.key)
            if isinstance(value, str):
                clean = strip_bidi(value)
                if clean != value:
                    setattr(row, attribute.key, clean)


def _finalize(value: object) -> object:
    if isinstance(value, Markup):
        return Markup(strip_bidi(str(value)))
    if isinstance(value, str):
        return strip_bidi(value)
    return value


def init_app(app: Flask) -> None:
    """Every value a template prints loses its bidirectional controls."""
    app.jinja_env.finalize = _finalize
