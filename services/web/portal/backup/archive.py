"""The backup archive: one .tar.gz holding a manifest, one JSON-lines file per table and
the files the portal keeps on disk.

Layout (format version 1):
    manifest.json             format, format_version, alembic_revision, created_at,
                              backend, tables {name: {columns, rows}}, files [names]
    tables/<table>.jsonl      one JSON array per row, in the manifest's column order
    files/outbox/<name>.eml   the mail outbox (development mail), when it holds any

Rows are JSON, not a backend's dump format, so an archive made on SQLite restores on
PostgreSQL and back. Reading checks the manifest before anything else is trusted.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = "course-platform-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class ArchiveError(Exception):
    """The file is not a backup this portal can read; the text says why in one line."""


@dataclass
class Manifest:
    """What an archive holds, written first and read before anything else."""

    alembic_revision: str  # the schema revision the rows belong to
    created_at: str  # ISO 8601, UTC
    backend: str  # the dialect the rows came from ("sqlite", "postgresql")
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # columns, rows
    files: list[str] = field(default_factory=list)  # paths under files/
    format_version: int = FORMAT_VERSION

    def as_json(self) -> bytes:
        document = {"format": FORMAT, **self.__dict__}
        return json.dumps(document, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            document = json.loads(raw)
        except ValueError as error:
            raise ArchiveError(f"the manifest is not JSON ({error})") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ArchiveError("not a course platform backup (no manifest of ours)")
        version = document.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ArchiveError(
                f"archive format {version} is newer than this portal reads ({FORMAT_VERSION});"
                " upgrade the portal first"
            )
        try:
            return cls(
                alembic_revision=str(document["alembic_revision"]),
                created_at=str(document["created_at"]),
                backend=str(document["backend"]),
                tables=dict(document["tables"]),
                files=list(document.get("files", [])),
                format_version=version,
            )
        except KeyError as error:
            raise ArchiveError(f"the manifest lacks {error.args[0]!r}") from error


class ArchiveWriter:
    """Write an archive member by member (the manifest last, once the counts are known).

    tar members need their size up front, so each table is spooled to a temporary file
    beside the archive and added whole: memory stays flat however big a table is.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # Owner-only from the first byte: the rows hold password hashes and schools' keys.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(descriptor, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w:gz")

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
        self._tar.addfile(info, io.BytesIO(data))

    def add_spooled(self, name: str, spool: IO[bytes]) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = spool.seek(0, io.SEEK_END), 0o600, int(time.time())
        spool.seek(0)
        self._tar.addfile(info, spool)

    def close(self) -> None:
        self._tar.close()
        self._file.close()


class ArchiveReader:
    """Read an archive: the manifest first, then tables and files by name."""

    def __init__(self, path: Path) -> None:
        try:
            self._tar = tarfile.open(path, mode="r:gz")
        except (OSError, tarfile.TarError) as error:
            raise ArchiveError(f"{path} is not a readable .tar.gz ({error})") from error
        self.manifest = Manifest.from_json(self._read(MANIFEST))

    def _read(self, name: str) -> bytes:
        try:
            member = self._tar.extractfile(name)
        except KeyError as error:
            raise ArchiveError(f"the archive lacks {name}") from error
        except (tarfile.TarError, EOFError, zlib.error) as error:
            raise ArchiveError(f"the archive is damaged ({error})") from error
        if member is None:
            raise ArchiveError(f"{name} in the archive is not a file")
        return member.read()

    def rows(self, table: str) -> Iterator[list[Any]]:
        member = self._tar.extractfile(f"tables/{table}.jsonl")
        if member is None:
            raise ArchiveError(f"tables/{table}.jsonl in the archive is not a file")
        for line in member:
            yield json.loads(line)

    def file(self, name: str) -> bytes:
        return self._read(f"files/{name}")

    def close(self) -> None:
        self._tar.close()
