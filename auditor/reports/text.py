"""Check documentation as plain text and Markdown, shared by the SARIF and Markdown renderers."""

from __future__ import annotations

from typing import Any


def md_escape(text: str) -> str:
    """Markdown and HTML specials in snapshot text become literal characters."""
    out = []
    for ch in str(text):
        if ch in "\\`*_{}[]()#+-.!|<>&~\"'":
            out.append("&#" + str(ord(ch)) + ";" if ch in "<>&\"'" else "\\" + ch)
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def check_help_text(check: dict[str, Any]) -> str:
    remediation = check["remediation"]
    parts = [check["rationale"], "", "Remediation: " + remediation["text"]]
    if remediation["az"]:
        parts += ["", "az: " + remediation["az"]]
    if remediation["bicep"]:
        parts += ["", "Bicep:", remediation["bicep"]]
    if check["refs"]:
        parts += ["", "References: " + " ".join(check["refs"])]
    return "\n".join(parts)


def check_help_markdown(check: dict[str, Any]) -> str:
    remediation = check["remediation"]
    parts = [check["rationale"], "", "**Remediation.** " + remediation["text"]]
    if remediation["az"]:
        parts += ["", "```bash", remediation["az"], "```"]
    if remediation["bicep"]:
        parts += ["", "```bicep", remediation["bicep"], "```"]
    if check["refs"]:
        parts += [""] + [f"- <{ref}>" for ref in check["refs"]]
    return "\n".join(parts)
