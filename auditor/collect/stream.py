"""Writing a snapshot as a stream, one subscription at a time, and resuming an interrupted one.

While `golive collect` runs, each subscription that is complete is appended to OUTPUT.partial
as one gzip member holding one JSON line ({"subscriptionId", "resources", "coverage"}), flushed
before the next: a crash loses at most the subscriptions still open, and a member cut
short is dropped on resume, so each subscription is in the partial file whole or not at all. The
partial file opens with a header line naming what was asked (scope and plan), so that `--resume`
never mixes two different collections.

At the end the snapshot is written from the partial file member by member (each validated
against the snapshot schema as it passes), renamed into place atomically, and the partial file
removed. Memory holds one subscription at a time, however large the tenant.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from auditor.model import InputError
from auditor.snapshot import SNAPSHOT_VERSION, temp_beside, validate_document

PARTIAL_SUFFIX = ".partial"
_CHUNK = 1 << 16


class PartialSnapshot:
    def __init__(self, output: str | os.PathLike[str], scope: dict[str, Any], request: dict[str, Any]) -> None:
        """`request`: what was asked (subscriptions, plan, source), compared on resume."""
        self.output = Path(output)
        self.path = self.output.with_name(self.output.name + PARTIAL_SUFFIX)
        self.header = {"golivePartial": 1, "scope": scope, "request": json.loads(json.dumps(request))}
        self.complete: set[str] = set()
        self._handle: IO[bytes] | None = None

    # -- opening -----------------------------------------------------------------------------------
    def open(self, resume: bool) -> set[str]:
        """Start afresh, or with `resume` keep the subscriptions the partial file holds whole;
        returns their ids (lower-cased)."""
        if resume and self.path.exists():
            members = _members(self.path)
            header = next(members, None)
            if header is None or header[1].get("request") != self.header.get("request"):
                raise InputError(str(self.path), "was started for another collection (other scope or checks)")
            self.header = header[1]  # the scope as first written, with its collectedAt
            end = header[0]
            for member_end, record in members:
                self.complete.add(str(record["subscriptionId"]).lower())
                end = member_end
            self._handle = self._open_file("r+b")
            self._handle.truncate(end)  # a member cut short by the interrupt goes
            self._handle.seek(end)
        else:
            self._handle = self._open_file("wb")
            self._append(self.header)
        return set(self.complete)

    def _open_file(self, mode: str) -> IO[bytes]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return open(self.path, mode)  # held open across the collection
        except OSError as exc:
            raise InputError(str(self.path), f"cannot be written: {exc.strerror or exc}") from None

    # -- writing -----------------------------------------------------------------------------------
    def add(self, subscription: str, resources: list[dict[str, Any]], coverage: list[dict[str, Any]]) -> None:
        """One complete subscription, validated, appended and flushed before this returns."""
        record = {"subscriptionId": subscription, "resources": resources, "coverage": coverage}
        part = {"snapshotVersion": SNAPSHOT_VERSION, "scope": self.header["scope"], "resources": resources}
        validate_document({**part, "coverage": coverage}, "snapshot.schema.json", str(self.output))
        self._append(record)
        self.complete.add(subscription.lower())

    def _append(self, record: dict[str, Any]) -> None:
        assert self._handle is not None
        self._handle.write(gzip.compress(json.dumps(record, separators=(",", ":")).encode() + b"\n", mtime=0))
        # Flushed to the operating system, not synced to the disk: a member cut short (by a crash
        # or a power loss) is detected and dropped on resume, so syncing would buy nothing but
        # a wait per subscription in the collector's dispatch loop.
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # -- the snapshot --------------------------------------------------------------------------------
    def finish(self, order: list[str]) -> tuple[int, int]:
        """Write the snapshot from the partial file, subscriptions in `order`, atomically; remove
        the partial file. Returns (resources, subscriptions) written."""
        self.close()
        rank = {s.lower(): n for n, s in enumerate(order)}
        offsets = sorted(
            ((rank.get(str(r["subscriptionId"]).lower(), len(rank)), start) for start, r in _records(self.path)),
        )
        target = self.output
        fd, tmp = temp_beside(target)
        resources = 0
        try:
            with os.fdopen(fd, "wb") as raw:
                out: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if target.suffix == ".gz" else raw
                head = {"snapshotVersion": SNAPSHOT_VERSION, "scope": self.header["scope"]}
                out.write(json.dumps(head)[:-1].encode() + b', "resources": [')
                coverage: list[dict[str, Any]] = []
                first = True
                for _, start in offsets:
                    record = _record_at(self.path, start)
                    for resource in record["resources"]:
                        out.write((b"\n" if first else b",\n") + json.dumps(resource).encode())
                        first = False
                        resources += 1
                    coverage.extend(record["coverage"])
                out.write(b'\n], "coverage": ' + json.dumps(coverage, indent=1).encode() + b"}\n")
                if out is not raw:
                    out.close()
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)  # while the lock is held: no cleaner takes it for abandoned
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.path.unlink()
        return resources, len(offsets)


def _members(path: Path, offset: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each whole gzip member of the partial file from `offset` on, with the offset just past
    it; stops at the first member that is cut short or unreadable."""
    with open(path, "rb") as handle:
        while True:
            handle.seek(offset)
            decoder = zlib.decompressobj(wbits=31)
            data = b""
            consumed = 0
            while not decoder.eof:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    return
                try:
                    data += decoder.decompress(chunk)
                except zlib.error:
                    return
                consumed += len(chunk)
            end = offset + consumed - len(decoder.unused_data)
            try:
                record = json.loads(data)
            except ValueError:
                return
            if not isinstance(record, dict):
                return
            yield end, record
            offset = end


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The subscription records with the offset each starts at (the header skipped)."""
    start = None
    for end, record in _members(path):
        if start is not None:
            yield start, record
        start = end


def _record_at(path: Path, start: int) -> dict[str, Any]:
    for _, record in _members(path, start):
        return record
    raise InputError(str(path), "changed while the snapshot was written")
