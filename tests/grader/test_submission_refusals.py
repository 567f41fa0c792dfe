"""The grader's own refusals say what is wrong with a file, as the portal's do."""

from __future__ import annotations

import pytest

from grader.submission import SubmissionRefused, check_submission


def test_a_nul_character_is_named_as_what_code_files_cannot_hold():
    with pytest.raises(SubmissionRefused) as refused:
        check_submission({"main.js": "console.log(1);\x00\n"})
    message = str(refused.value)
    assert message == "main.js contains a NUL character (U+0000), which code files cannot hold."
    assert "UTF-8" not in message  # the text is valid UTF-8: that is not what is wrong
