"""Every check a Python lab reports has a title in the lab's content, which students read.

The checks' names are the labs' own (CHECK_NAMES) plus the runner's `parses` and
`exits_cleanly`, in the order tests/grader/python/test_*.py assert for a graded run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.adapters.python.labs import async_gather, beat_the_gil
from portal.catalogue.loader import load_catalogue

CONTENT = Path(__file__).resolve().parents[3] / "content"


@pytest.mark.parametrize(
    ("lab_id", "module"), [("beat-the-gil", beat_the_gil), ("async-gather", async_gather)]
)
def test_every_check_of_the_lab_has_a_title(lab_id, module):
    lab = load_catalogue(CONTENT).lab("python-concurrency", lab_id)
    names = {"parses", "exits_cleanly", *module.CHECK_NAMES}
    assert sorted(names - set(lab.check_titles)) == []
    assert sorted(set(lab.check_titles) - names) == []  # no title for a check that is not
