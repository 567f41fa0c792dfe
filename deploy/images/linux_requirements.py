"""Keep the locked requirements a CPython 3.11 on Linux can need, without their markers.

`uv export` writes every locked package with its environment marker (pywin32 only on
Windows, async-timeout only before Python 3.11.3). Wheels are fetched for the image
outside it, so this filter keeps each requirement whose marker holds on Linux for some
3.11 release (Debian's 3.11.2 or the official image's latest) and drops the marker, so
`pip download` fetches it; the image installs from the marked file and its own
interpreter decides. Hash lines are kept. Runs under any pip (it uses pip's packaging).

Usage: python linux_requirements.py < requirements.txt > download.txt
"""

import sys

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


def main() -> None:
    keep = False
    for line in sys.stdin:
        if line.startswith((" ", "\t", "#")) or not line.strip():
            if keep and line.lstrip().startswith("--hash"):
                sys.stdout.write(line)
            continue
        requirement, _, rest = line.partition(" ; ")
        marker_text = rest.rstrip(" \\\n")
        keep = not rest or needed(marker_text)
        if keep:
            sys.stdout.write(requirement.rstrip(" \\\n") + " \\\n")


if __name__ == "__main__":
    main()
