"""Keeps what the student printed within a fixed budget: head, tail and the total count.

A program that prints gigabytes must not cost the harness gigabytes, and the report must
stay small enough for the grader to accept; the head shows how the program started and the
tail how it ended, which is what feedback needs. Bytes are kept raw and decoded once at the
end, so a character split across reads is decoded whole and invalid UTF-8 becomes U+FFFD
instead of an exception. A port of the Node harness's output.js.
"""

from __future__ import annotations

HEAD_BYTES = 8 * 1024
TAIL_BYTES = 8 * 1024


class HeadTailCapture:
    """The first `head_bytes` and the last `tail_bytes` of a byte stream, and its length."""

    def __init__(self, head_bytes: int = HEAD_BYTES, tail_bytes: int = TAIL_BYTES) -> None:
        self.head_limit = head_bytes
        self.tail_limit = tail_bytes
        self.head = bytearray()
        self.tail = bytearray()
        self.bytes_total = 0

    def push(self, chunk: bytes) -> None:
        """Append one chunk, in arrival order."""
        self.bytes_total += len(chunk)
        rest = memoryview(chunk)
        if len(self.head) < self.head_limit:
            take = min(self.head_limit - len(self.head), len(rest))
            self.head += rest[:take]
            rest = rest[take:]
        if not rest:
            return
        if len(rest) >= self.tail_limit:
            self.tail = bytearray(rest[len(rest) - self.tail_limit :])
        else:
            self.tail += rest
            del self.tail[: max(0, len(self.tail) - self.tail_limit)]

    def snapshot(self) -> dict[str, object]:
        """The report's `output`: {text, truncated, bytes_total}, text always valid UTF-8."""
        kept = len(self.head) + len(self.tail)
        if self.bytes_total <= kept:
            return {
                "text": bytes(self.head + self.tail).decode("utf-8", "replace"),
                "truncated": False,
                "bytes_total": self.bytes_total,
            }
        # Cut at character boundaries so the marker does not split one character in two
        # (which would show two replacement characters for one real one).
        head = bytes(self.head[: complete_utf8_length(self.head)])
        tail = bytes(self.tail[leading_continuation_bytes(self.tail) :])
        elided = self.bytes_total - len(head) - len(tail)
        text = (
            f"{head.decode('utf-8', 'replace')}\n… [{elided} bytes elided] …\n"
            f"{tail.decode('utf-8', 'replace')}"
        )
        return {"text": text, "truncated": True, "bytes_total": self.bytes_total}


def complete_utf8_length(data: bytes | bytearray) -> int:
    """Length of `data` without a trailing, incomplete UTF-8 sequence."""
    end = len(data)
    for back in range(1, min(3, end) + 1):
        byte = data[end - back]
        if byte & 0xC0 == 0x80:
            continue
        needed = 4 if byte >= 0xF0 else 3 if byte >= 0xE0 else 2 if byte >= 0xC0 else 1
        return end - back if needed > back else end
    return end


def leading_continuation_bytes(data: bytes | bytearray) -> int:
    """How many UTF-8 continuation bytes (at most 3) start `data`."""
    count = 0
    while count < min(3, len(data)) and data[count] & 0xC0 == 0x80:
        count += 1
    return count
