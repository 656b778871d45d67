"""Attacker-controlled text made visible and bounded, the same way in every format.

Resource names, tags and messages come from the snapshot. A bidi override makes
`invoice<U+202E>gpj.exe` display as "invoiceexe.jpg"; a zero-width space makes two names look
equal; a control character rewrites a terminal or breaks XML. Every renderer passes such text
through `visible()`, which replaces each of these characters by its code point, `<U+202E>`.
"""

from __future__ import annotations

import re

#: Characters that change how text around them displays, or do not display at all:
#: C0/C1 controls, soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and
#: bidi marks, bidi embeddings/overrides/isolates, invisible operators, BOM, surrogates (lone ones
#: only reach us from broken input), interlinear annotations, noncharacters U+FFFE/U+FFFF,
#: and the invisible "tag" characters used to smuggle text.
_HIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
    "\ud800-\udfff\ufdd0-\ufdef\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f]"
)
#: Names longer than this are cut in summaries; the full value stays one click (or one field) away.
NAME_LIMIT = 80


def _code_point(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def visible(text: object) -> str:
    """`text` with every invisible or direction-changing character spelled out as <U+XXXX>."""
    return _HIDDEN.sub(_code_point, text if isinstance(text, str) else str(text))


def has_hidden(text: str) -> bool:
    return _HIDDEN.search(text) is not None


def cut(text: str, limit: int = NAME_LIMIT) -> str:
    """At most `limit` characters, with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
