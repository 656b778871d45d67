"""Reports are written as a set: all of one run's files, or none of them, in the output directory.

The files go into a hidden temporary directory inside the output directory first; then, under an
exclusive lock on the output directory and with Ctrl-C and SIGTERM held back, they are moved into
place and the report files of earlier runs that this run did not write are removed. An interrupt
before the swap leaves the old set untouched; two runs into one directory swap one after the
other, so the directory always holds one run's set.

Ctrl-C, SIGTERM and exceptions remove the staging directory on the way out; only a run killed
outright (kill -9, a power cut) leaves one behind. Each run holds a lock on its own staging
directory while it lives, and the next run into the same output directory removes every staging
directory whose lock nobody holds: the abandoned ones, never a concurrent run's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

from auditor import leftovers
from auditor.model import InputError

TEMP_PREFIX = ".golive-writing-"


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: whatever is being written is cleaned up, nothing is half-written."""


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived while the set was being swapped in; it was held back until the
    set was complete, so these files were written in full."""

    def __init__(self, written: list[str], signum: int) -> None:
        super().__init__()
        self.written = written
        self.signum = signum


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


#: A file's content: its bytes, or a function that writes them into an open binary file.
Content = bytes | Callable[[BinaryIO], None]


def write_set(files: Mapping[str, Content], output_dir: str | os.PathLike[str], known: Iterable[str]) -> list[str]:
    """Write `files` (file name -> content) into output_dir as one set; report files named in `known`
    that this set does not include are removed, so no older file passes for this run's.
    Returns the paths written."""
    directory = Path(output_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _lock(directory):  # a staging directory is never seen by a cleaner before it is held
            remove_abandoned(directory)
            staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=directory))
            held = _hold(staging)
    except OSError as exc:  # the output dir is a file, read-only, ...: one line, not a traceback
        blocker = next((p for p in (directory, *directory.parents) if p.exists()), None)
        problem = f"{blocker} is not a directory" if blocker and not blocker.is_dir() else exc.strerror or exc
        raise InputError(str(directory), f"cannot be written: {problem}") from None
    received: list[int] = []
    try:
        for name, data in files.items():
            _write(staging / name, data)
        with _lock(directory), _signals_held(received):
            for name in files:
                os.replace(staging / name, directory / name)
            for name in set(known) - set(files):
                (directory / name).unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(str(directory), f"cannot be written: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if held is not None:
            os.close(held)
    written = [str(directory / name) for name in files]
    if received:
        raise InterruptedAfterWriting(written, received[0])
    return written


def _write(path: Path, data: Content) -> None:
    with open(path, "wb") as handle:
        if isinstance(data, bytes):
            handle.write(data)
        else:
            data(handle)
    os.chmod(path, 0o666 & ~_umask())  # reports are meant to be shared


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _hold(staging: Path) -> int | None:
    """Lock a run's own staging directory for as long as the run lives (the returned descriptor
    stays open). None where there are no locks."""
    try:
        fd = os.open(staging, os.O_RDONLY)
    except OSError:
        return None
    if not leftovers.hold(fd):
        os.close(fd)
        return None
    return fd


def remove_abandoned(directory: Path) -> list[str]:
    """Remove the staging directories in `directory` that no living run holds (left by a run
    killed outright); returns their names. Where flock is not available, none is removed."""
    staging = [
        entry
        for entry in directory.iterdir()
        if entry.name.startswith(TEMP_PREFIX) and not entry.is_symlink() and entry.is_dir()
    ]
    removed = leftovers.remove_unheld(staging, lambda entry: shutil.rmtree(entry, ignore_errors=True))
    return [entry.name for entry in removed]


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """An exclusive flock on the directory itself (no lock file left behind); where flock is not
    available the swap runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _signals_held(received: list[int]) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the files are swapped (a few renames); the signals that
    arrived are appended to `received` for the caller to act on."""

    def hold(signum: int, frame: Any) -> None:
        received.append(signum)

    try:
        previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals cannot be held, and are not delivered here either
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
