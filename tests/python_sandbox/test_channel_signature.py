"""The driven labs' channel is signed: the driver's lines verify, anybody else's spoil the run.

The driver (labs/driver_kit.py, `Channel`) writes, the harness (harness/labs.py,
`parse_channel`) reads, both as they run in the image, over a real pipe: no container
needed. Under gVisor the student's code can open the channel through /proc
(test_hostile_channel.py runs that attack in a sandbox); these say what the harness makes
of what it then finds.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

IMAGE = Path(__file__).resolve().parents[2] / "services" / "sandbox-image-python"
sys.path[:0] = [str(IMAGE / "harness"), str(IMAGE / "labs")]
import driver_kit  # noqa: E402  (the image's own modules)
import labs  # noqa: E402

sys.path.remove(str(IMAGE / "harness"))
sys.path.remove(str(IMAGE / "labs"))


def driver_lines(key: bytes, *messages: tuple[str, dict]) -> bytes:
    """What the driver's Channel writes for `messages`, read back from its pipe."""
    read_end, write_end = os.pipe()
    channel = driver_kit.Channel(write_end, key)
    for kind, value in messages:
        channel.fact(**value) if kind == "fact" else channel.run(value)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read()


KEY = b"k" * 32
HONEST = driver_lines(
    KEY, ("fact", {"urls": 20}), ("run", {"variant": "fetch_all"}), ("run", {"variant": "x"})
)


def test_the_drivers_lines_verify():
    facts, runs = labs.parse_channel(HONEST, KEY)

    assert facts == {"urls": 20}
    assert runs == [{"variant": "fetch_all"}, {"variant": "x"}]


def test_a_line_cut_short_by_a_killed_driver_costs_only_itself():
    facts, runs = labs.parse_channel(HONEST[:-5], KEY)

    assert facts == {"urls": 20} and runs == [{"variant": "fetch_all"}]


FORGED_LINE = b'{"k": "run", "v": {"variant": "fetch_all", "wall_ms": 1}}\n'


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param(HONEST + FORGED_LINE, id="unsigned-line-appended"),
        pytest.param(FORGED_LINE + HONEST, id="unsigned-line-first"),
        pytest.param(HONEST + b"\n", id="empty-line"),
        pytest.param(b"junk" + HONEST, id="partial-line-prefixed"),
        pytest.param(driver_lines(b"x" * 32, ("fact", {"urls": 20})), id="another-key"),
        pytest.param(b"".join(HONEST.splitlines(True)[1:]), id="a-line-taken"),
        pytest.param(HONEST + HONEST.splitlines(True)[1], id="a-line-repeated"),
        pytest.param(b"".join(HONEST.splitlines(True)[i] for i in (0, 2, 1)), id="lines-reordered"),
    ],
)
def test_any_line_the_driver_did_not_write_in_its_place_spoils_the_run(channel):
    facts, runs = labs.parse_channel(channel, KEY)

    assert facts["problem"] == "channel_forged" and runs == []


def test_the_key_reaches_the_driver_on_a_pipe_it_reads_and_closes():
    key, read_end = labs.channel_key()

    assert len(key) == labs.KEY_BYTES
    assert driver_kit.read_key(read_end) == key
    with pytest.raises(OSError):
        os.fstat(read_end)  # closed: nothing left for a later process to open
