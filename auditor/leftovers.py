"""What a run killed outright (kill -9, a power cut) leaves behind, told apart from what a living
run is still writing: each run holds an advisory lock on its own temporary file or directory while
it lives, and the kernel drops the lock however the process ends. Where flock is not available
(Windows), nothing is held and nothing is removed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path


def hold(fd: int) -> bool:
    """Lock the file or directory open at `fd` for as long as it stays open; False when the
    platform or the file system has no locks (then no cleaner can take it for abandoned either)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_unheld(paths: Iterable[Path], remove: Callable[[Path], None]) -> list[Path]:
    """Remove, with `remove`, each of `paths` that no living run holds; returns those removed. The
    lock is taken before the removal, so a run cannot start holding one that is being removed."""
    try:
        import fcntl  # noqa: F401  (only whether locks exist at all)
    except ImportError:  # pragma: no cover - Windows
        return []
    removed = []
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if hold(fd):
                remove(path)
                removed.append(path)
        finally:
            os.close(fd)
    return removed
