"""Check documentation as plain text and Markdown, shared by the SARIF and Markdown renderers,
and the escaping that keeps snapshot text (and text read back from a JSON report) inert there."""

from __future__ import annotations

import re
from typing import Any

from auditor.reports.safe_text import visible

#: Characters Markdown would read as syntax anywhere in a line (GFM backslash-escapes them all).
_MD_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~$])")
#: `@name` pings a person in a pull-request comment; GitHub does not look inside code spans.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_BACKTICKS = re.compile(r"`+")


def is_safe_url(value: object) -> bool:
    """Only plain https links are rendered as links; anything else stays text."""
    return (
        isinstance(value, str)
        and value.lower().startswith("https://")
        and not any(c.isspace() or c in "<>\"'`\\()[]" for c in value)
        and visible(value) == value
    )


def md_escape(text: object) -> str:
    """Snapshot text as literal Markdown text: specials backslash-escaped (never HTML entities),
    line breaks and invisible characters spelled out, @mentions defused."""
    escaped = _MD_SPECIALS.sub(r"\\\1", visible(text))
    return _MENTION.sub("`@`", escaped)


def md_code(text: object, in_table: bool = False) -> str:
    """Text as a Markdown code span, whatever backticks it holds."""
    body = visible(text)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def md_block(text: str, language: str) -> list[str]:
    """A fenced code block that no backtick run inside the text can close early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, visible(text).replace("<U+000A>", "\n"), fence]


def check_help_text(check: dict[str, Any]) -> str:
    remediation = check["remediation"]
    parts = [visible(check["rationale"]), "", "Remediation: " + visible(remediation["text"])]
    if remediation["az"]:
        parts += ["", "az: " + visible(remediation["az"])]
    if remediation["bicep"]:
        parts += ["", "Bicep:", visible(remediation["bicep"]).replace("<U+000A>", "\n")]
    refs = [r for r in check["refs"] if is_safe_url(r)]
    if refs:
        parts += ["", "References: " + " ".join(refs)]
    parts += ["", f"golive checks show {visible(check['id'])}"]
    return "\n".join(parts)


def check_help_markdown(check: dict[str, Any]) -> str:
    """A check's help as Markdown. A JSON report read back by `golive report` is untrusted, so its
    text is escaped here like snapshot text: no raw HTML, no links but plain https ones."""
    remediation = check["remediation"]
    parts = [md_escape(check["rationale"]), "", "**Remediation.** " + md_escape(remediation["text"])]
    if remediation["az"]:
        parts += ["", *md_block(remediation["az"], "bash")]
    if remediation["bicep"]:
        parts += ["", *md_block(remediation["bicep"], "bicep")]
    refs = [r for r in check["refs"] if is_safe_url(r)]
    if refs:
        parts += [""] + [f"- <{ref}>" for ref in refs]
    parts += ["", f"Details: {md_code('golive checks show ' + check['id'])}"]
    return "\n".join(parts)
