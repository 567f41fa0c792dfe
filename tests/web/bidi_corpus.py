"""Text that bidirectional control characters would make display as something else.

Each sample hides one control (or a few) in otherwise ordinary text; once the controls
are gone it reads as `expected`. Used wherever a user's text is stored and shown: names,
post titles and bodies, comments, error reports.
"""

from __future__ import annotations

CONTROLS = {
    "LRE": "\u202a",
    "RLE": "\u202b",
    "PDF": "\u202c",
    "LRO": "\u202d",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLI": "\u2067",
    "FSI": "\u2068",
    "PDI": "\u2069",
    "LRM": "\u200e",
    "RLM": "\u200f",
    "ALM": "\u061c",
}

# (text as typed, text as it must be stored and shown)
SAMPLES = [
    ("RTL \u202eoverride", "RTL override"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),
    ("\u2067admin\u2069 Ada", "admin Ada"),
    ("a\u202ab\u202bc\u202cd\u202de", "abcde"),
    ("\u2066\u2068mark\u200e\u200f\u061c ok", "mark ok"),
]


def controls_in(text: str) -> list[str]:
    """The names of the bidirectional controls found in `text`."""
    return [name for name, char in CONTROLS.items() if char in text]
