"""Refuse a submission that must not reach a sandbox: empty, too large, unsafe paths.

The portal checks the same rules before anything is queued; the grader checks them again
because it never trusts a message, and the CLI checks them to exit 2 before grading.
"""

from __future__ import annotations

from pathlib import PurePosixPath

MAX_SUBMISSION_BYTES = 64 * 1024


class SubmissionRefused(ValueError):
    """The submission cannot be graded as given; the text says why, for the student."""


def check_submission(files: dict[str, str]) -> None:
    """Raise SubmissionRefused unless `files` is a gradable, non-empty set of text files."""
    if not files:
        raise SubmissionRefused("The submission has no files.")
    total = 0
    for path, text in files.items():
        _check_path(path)
        if "\x00" in text:
            raise SubmissionRefused(
                f"{path} contains a NUL character (U+0000), which code files cannot hold."
            )
        try:
            total += len(text.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise SubmissionRefused(f"{path} is not UTF-8 text.") from error
    if total > MAX_SUBMISSION_BYTES:
        raise SubmissionRefused(
            f"The submission is {total} bytes; the limit is {MAX_SUBMISSION_BYTES} (64 KiB)."
        )
    if not any(text.strip() for text in files.values()):
        raise SubmissionRefused("The submission is empty.")


def decode_source(data: bytes, name: str) -> str:
    """Decode a file's bytes as UTF-8 text, or raise SubmissionRefused."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionRefused(
            f"{name} is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from error


def _check_path(path: str) -> None:
    pure = PurePosixPath(path)
    unsafe = (
        not path
        or pure.is_absolute()
        or ".." in pure.parts
        or len(pure.parts) != 1  # one flat folder: labs are single-directory programs
        or not all(ch.isalnum() or ch in "._-" for ch in path)
    )
    if unsafe:
        raise SubmissionRefused(f"{path!r} is not an allowed file name.")
