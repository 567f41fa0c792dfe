"""Keep the locked requirements a CPython 3.11 on Linux can need, without their markers.

`uv export` writes every locked package with its environment marker (pywin32 only on
Windows, async-timeout only before Python 3.11.3). Wheels are fetched for the image
outside it, so this filter keeps each requirement whose marker holds on Linux for some
3.11 release (Debian's 3.11.2 or the official image's latest) and drops the marker, so
`pip download` fetches it; the image installs from the marked file and its own
interpreter decides. Hash lines are kept. Runs under any Python with `packaging` or pip
(whose vendored copy it then uses).

Usage: python linux_requirements.py < requirements.txt > download.txt
"""

import sys
from collections.abc import Iterable, Iterator

try:
    from packaging.markers import Marker
except ImportError:  # a bare venv: pip's own copy
    from pip._vendor.packaging.markers import Marker

LINUX = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
}
RELEASES = ("3.11.2", "3.11.99")


def needed(marker_text: str) -> bool:
    """Whether the marker holds on Linux for one of the 3.11 releases an image may have."""
    marker = Marker(marker_text)
    return any(
        marker.evaluate(LINUX | {"python_full_version": r, "implementation_version": r})
        for r in RELEASES
    )


def linux_requirements(lines: Iterable[str]) -> Iterator[str]:
    """The lines of the requirements Linux needs, markers dropped, hashes kept."""
    keep = False
    for line in lines:
        if line.startswith((" ", "\t", "#")) or not line.strip():
            if keep and line.lstrip().startswith("--hash"):
                yield line
            continue
        requirement, _, rest = line.partition(" ; ")
        keep = not rest or needed(rest.rstrip(" \\\n"))
        if keep:
            yield requirement.rstrip(" \\\n") + " \\\n"


if __name__ == "__main__":
    sys.stdout.writelines(linux_requirements(sys.stdin))
