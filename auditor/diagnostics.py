"""Diagnostic settings: whether a resource sends its logs to a Log Analytics workspace.

Shared by every check that asks for logs (Key Vault audit, gateways, data services), so that
"logs go to a workspace" means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Collection

from auditor.api import DataError, Resource, Verdict, failed, passed
from auditor.inventory import Context

DIAGNOSTIC_SETTINGS = "Microsoft.Insights/diagnosticSettings"
ANY_LOGS = frozenset({"alllogs", "audit"})


def enabled_log_names(setting: Resource) -> set[str]:
    """Lower-cased categories and category groups that the setting enables."""
    names = set()
    for index, entry in enumerate(setting.get("properties.logs", default=[], expect=list)):
        if not isinstance(entry, dict):
            raise DataError(f"properties.logs[{index}] of {setting.name} is not an object")
        if entry.get("enabled") is True:
            name = entry.get("category") or entry.get("categoryGroup")
            if isinstance(name, str):
                names.add(name.lower())
    return names


def logs_to_workspace(
    res: Resource,
    ctx: Context,
    *,
    categories: Collection[str] | None = None,
    groups: Collection[str] = ANY_LOGS,
) -> Verdict:
    """Pass when a diagnostic setting sends the wanted logs (any enabled log when `categories` is None,
    else one of `categories` or `groups`) to a workspace."""
    settings = ctx.extensions(res, DIAGNOSTIC_SETTINGS)
    seen = []
    for setting in settings:
        workspace = setting.get("properties.workspaceId", default="", expect=str)
        names = enabled_log_names(setting)
        seen.append({"setting": setting.name, "workspace": bool(workspace), "logs": sorted(names)})
        wanted = bool(names) if categories is None else bool(names & (set(categories) | set(groups)))
        if workspace and wanted:
            res.note(f"diagnosticSettings/{setting.name}", {"workspaceId": workspace, "logs": sorted(names)})
            return passed(
                f"diagnostic setting {setting.name} sends logs to a workspace", expected="logs sent to Log Analytics"
            )
    res.note("diagnosticSettings", seen)
    wanted_text = "logs" if categories is None else "/".join(sorted({*categories, *groups}))
    if not settings:
        return failed("no diagnostic setting", expected=f"{wanted_text} sent to Log Analytics")
    return failed(
        f"no diagnostic setting sends {wanted_text} to a Log Analytics workspace",
        expected=f"{wanted_text} sent to Log Analytics",
    )
