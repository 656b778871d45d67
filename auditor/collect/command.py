"""`golive collect`, and the live options `golive audit --subscription` shares with it.

Only click is imported here; the Azure SDKs load when a collection starts.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from auditor.config import Config

CLOUD_NAMES = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what to read from Azure, and how."""
    options = [
        click.option(
            "--subscription", "subscriptions", multiple=True, metavar="ID", help="Subscription to read (repeatable)."
        ),
        click.option("--all-subscriptions", is_flag=True, help="Every enabled subscription the identity can read."),
        click.option(
            "--resource-group",
            "resource_groups",
            multiple=True,
            metavar="NAME",
            help="Only these resource groups (repeatable).",
        ),
        click.option("--tenant", metavar="ID", help="Tenant to authenticate against."),
        click.option("--cloud", type=click.Choice(CLOUD_NAMES), default="AzureCloud", show_default=True),
        click.option("--arm-endpoint", metavar="URL", help="A custom ARM endpoint (Azure Stack Hub, tests)."),
        click.option("--ca-bundle", metavar="FILE", help="CA certificates to trust for the ARM endpoint."),
        click.option(
            "--concurrency", type=click.IntRange(1, 64), default=16, show_default=True, help="Parallel reads."
        ),
        click.option(
            "--inspect-app-settings",
            is_flag=True,
            help="Also read App Service app settings (a list action); values are redacted at once.",
        ),
    ]
    return functools.reduce(lambda fn, option: option(fn), reversed(options), command)


def wants_live(params: dict[str, Any]) -> bool:
    return bool(params.get("subscriptions") or params.get("all_subscriptions"))


def run_collection(
    params: dict[str, Any],
    checks_dirs: list[Path],
    only: tuple[str, ...],
    skip: tuple[str, ...],
    quiet: bool,
    config: Config | None = None,
) -> Any:
    """Collect what the checks of this run need (with `config`, as the audit will choose them);
    returns the snapshot."""
    from auditor.audit import choose_checks
    from auditor.collect.auth import Target, show_credential_chain
    from auditor.collect.collector import Options, collect
    from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
    from auditor.config import Config

    if params.get("ca_bundle") and not Path(params["ca_bundle"]).is_file():
        raise click.BadParameter(f"{params['ca_bundle']}: no such file", param_hint="--ca-bundle")
    show_credential_chain(bool(params.get("verbose")))
    checks = choose_checks(config or Config(), only, skip, checks_dirs).checks
    needed = {t for c in checks for t in c.meta.needs}
    diag_targets = {t for c in checks if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}
    options = Options(
        target=Target(params["cloud"], params.get("arm_endpoint"), params.get("ca_bundle"), params.get("tenant")),
        subscriptions=list(params.get("subscriptions") or []),
        all_subscriptions=bool(params.get("all_subscriptions")),
        resource_groups=list(params.get("resource_groups") or []),
        concurrency=params["concurrency"],
        inspect_app_settings=bool(params.get("inspect_app_settings")),
        progress=not quiet and sys.stderr.isatty(),
    )
    snap, stats = collect(make_plan(needed, options.inspect_app_settings), diag_targets, options)
    if not quiet:
        click.echo(
            f"golive: read {stats.resources} resources in {stats.requests} requests "
            f"({stats.retries} retried: {stats.throttled} throttled, {stats.server_errors} server errors, "
            f"{stats.connection_errors} without an answer); {stats.failures} list(s) could not be read",
            err=True,
        )
    return snap


@click.command(
    "collect",
    epilog="\b\nExamples:\n  golive collect --subscription SUB_ID -o snapshot.json.gz\n"
    "  golive collect --all-subscriptions --resource-group rg-voice-prod -o snapshot.json\n",
)
@live_options
@click.option("--output", "-o", "output", required=True, metavar="FILE", help="Snapshot to write (.json or .json.gz).")
@click.option("--only", multiple=True, metavar="GLOB", help="Collect only what these checks need.")
@click.option("--skip", multiple=True, metavar="GLOB", help="Do not collect for these checks.")
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Also plan for checks in DIR.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", count=True, help="Show the details of authentication failures.")
def collect_command(
    output: str, only: tuple[str, ...], skip: tuple[str, ...], checks_dirs: tuple[str, ...], quiet: bool, **params: Any
) -> None:
    """Read Azure into a snapshot file. Read-only: golive never writes to Azure."""
    from auditor import snapshot

    if not wants_live(params):
        raise click.UsageError("give --subscription ID (repeatable) or --all-subscriptions")
    snap = run_collection(params, [Path(d) for d in checks_dirs], only, skip, quiet)
    snapshot.save(snap, output)
    if not quiet:
        click.echo(f"{output}: {len(snap.resources)} resources in {len(snap.scope['subscriptions'])} subscription(s)")
