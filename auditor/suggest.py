""" "Did you mean" for names a person typed: check ids, areas, checklist items, formats."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable
from typing import Any

from auditor.model import InputError


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when none is close."""
    close = difflib.get_close_matches(word.strip().lower(), sorted(set(known)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_waiver_ids(waivers: Iterable[Any], known: Iterable[str], source: str) -> None:
    """A waiver whose check matches no check id waives nothing: a typo, an error as in the config."""
    known = sorted(set(known))
    for waiver in waivers:
        if not any(fnmatch.fnmatchcase(check_id, waiver.check) for check_id in known):
            raise InputError(
                source,
                f"check {waiver.check!r} matches no check id{did_you_mean(waiver.check, known)}",
                f"line {waiver.line}",
            )
