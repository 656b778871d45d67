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
            "--management-group",
            "management_groups",
            multiple=True,
            metavar="ID",
            help="Every subscription beneath this management group, at any depth (repeatable).",
        ),
        click.option(
            "--subscription-file",
            metavar="FILE",
            help="Subscription ids to read, one a line (# starts a comment).",
        ),
        click.option(
            "--exclude-subscription",
            "exclude_subscriptions",
            multiple=True,
            metavar="ID",
            help="Leave this subscription out (repeatable).",
        ),
        click.option(
            "--source",
            type=click.Choice(["resourcegraph", "arm"]),
            default="resourcegraph",
            show_default=True,
            help="Where top-level resources are read: Resource Graph where it holds them, or ARM lists only.",
        ),
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
            "--timeout",
            type=click.FloatRange(1, 600),
            default=60,
            show_default=True,
            metavar="SECONDS",
            help="Give up on an answer after this long (then retry).",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 10),
            default=4,
            show_default=True,
            metavar="N",
            help="Retries of a read after a throttle, a server error or no answer.",
        ),
        click.option(
            "--inspect-app-settings",
            is_flag=True,
            help="Also read App Service app settings (a list action); values are redacted at once.",
        ),
    ]
    return functools.reduce(lambda fn, option: option(fn), reversed(options), command)


def wants_live(params: dict[str, Any]) -> bool:
    return any(params.get(k) for k in ("subscriptions", "all_subscriptions", "management_groups", "subscription_file"))


def _options(params: dict[str, Any], quiet: bool, shard: str | None = None) -> Any:
    from auditor.collect.auth import Target, show_credential_chain
    from auditor.collect.collector import Options
    from auditor.collect.scope import Shard, read_subscription_file

    if params.get("ca_bundle") and not Path(params["ca_bundle"]).is_file():
        raise click.BadParameter(f"{params['ca_bundle']}: no such file", param_hint="--ca-bundle")
    show_credential_chain(bool(params.get("verbose")))
    listed = read_subscription_file(params["subscription_file"]) if params.get("subscription_file") else []
    return Options(
        target=Target(params["cloud"], params.get("arm_endpoint"), params.get("ca_bundle"), params.get("tenant")),
        subscriptions=[*(params.get("subscriptions") or []), *listed],
        all_subscriptions=bool(params.get("all_subscriptions")),
        management_groups=list(params.get("management_groups") or []),
        exclude_subscriptions=list(params.get("exclude_subscriptions") or []),
        shard=Shard.parse(shard) if shard else None,
        resource_groups=list(params.get("resource_groups") or []),
        source=params.get("source") or "resourcegraph",
        concurrency=params["concurrency"],
        timeout=float(params.get("timeout") or 60),
        retries=int(params["retries"]) if params.get("retries") is not None else 4,
        inspect_app_settings=bool(params.get("inspect_app_settings")),
        progress=not quiet and sys.stderr.isatty(),
    )


def _plan(
    checks_dirs: list[Path], only: tuple[str, ...], skip: tuple[str, ...], config: Config | None, inspect: bool
) -> tuple[Any, set[str]]:
    from auditor.audit import choose_checks
    from auditor.collect.plan import DIAGNOSTIC_SETTINGS, make_plan
    from auditor.config import Config

    checks = choose_checks(config or Config(), only, skip, checks_dirs).checks
    needed = {t for c in checks for t in c.meta.needs}
    diag_targets = {t for c in checks if DIAGNOSTIC_SETTINGS in c.meta.reads for t in c.meta.types}
    return make_plan(needed, inspect), diag_targets


def _summary(stats: Any) -> str:
    paced = f"; waited {stats.paced:.1f} s in all for Azure's read quota" if stats.paced >= 0.05 else ""
    return (
        f"golive: read {stats.resources} resources in {stats.requests} requests "
        f"({stats.retries} retried: {stats.throttled} throttled, {stats.server_errors} server errors, "
        f"{stats.connection_errors} without an answer); {stats.failures} list(s) could not be read{paced}"
    )


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
    from auditor.collect.collector import collect

    options = _options(params, quiet)
    plan, diag_targets = _plan(checks_dirs, only, skip, config, options.inspect_app_settings)
    snap, stats = collect(plan, diag_targets, options)
    if not quiet:
        click.echo(_summary(stats), err=True)
    return snap


def collect_to_file(
    params: dict[str, Any],
    checks_dirs: list[Path],
    only: tuple[str, ...],
    skip: tuple[str, ...],
    quiet: bool,
    output: str,
    resume: bool,
    shard: str | None,
) -> tuple[int, int]:
    """Collect straight into `output`, one subscription at a time (stream.PartialSnapshot)."""
    from auditor.collect import stream
    from auditor.collect.collector import make_reader, plan_scope, run_collection

    options = _options(params, quiet, shard)
    plan, diag_targets = _plan(checks_dirs, only, skip, None, options.inspect_app_settings)
    reader = make_reader(options)
    scope, chosen = plan_scope(plan, options, reader)
    request = {
        "subscriptions": sorted(s["subscriptionId"].lower() for s in chosen),
        "types": list(plan.types),
        "resourceGroups": options.resource_groups,
        "source": options.source,
        "appSettings": options.inspect_app_settings,
    }
    partial = stream.PartialSnapshot(output, scope, request)
    complete = partial.open(resume)
    todo = [s for s in chosen if s["subscriptionId"].lower() not in complete]
    if complete and not quiet:
        click.echo(f"golive: resuming: {len(complete)} subscription(s) already complete, {len(todo)} to read", err=True)
    try:
        stats = run_collection(plan, diag_targets, options, reader, todo, partial.add)
    except KeyboardInterrupt:
        click.echo(
            f"golive: {len(partial.complete)} complete subscription(s) kept in {partial.path}; "
            "run again with --resume to go on",
            err=True,
        )
        raise
    finally:
        partial.close()
    if not quiet:
        click.echo(_summary(stats), err=True)
    return partial.finish([s["subscriptionId"] for s in chosen])


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
@click.option("--resume", is_flag=True, help="Go on from OUTPUT.partial: skip the subscriptions already complete.")
@click.option("--shard", metavar="K/N", help="Read only share K of N of the subscriptions (stable across runners).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", count=True, help="Show the details of authentication failures.")
def collect_command(
    output: str,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    checks_dirs: tuple[str, ...],
    resume: bool,
    shard: str | None,
    quiet: bool,
    **params: Any,
) -> None:
    """Read Azure into a snapshot file, one subscription at a time. Read-only: golive never
    writes to Azure."""
    if not wants_live(params):
        raise click.UsageError(
            "give --subscription ID, --subscription-file FILE, --management-group ID or --all-subscriptions"
        )
    resources, subscriptions = collect_to_file(
        params, [Path(d) for d in checks_dirs], only, skip, quiet, output, resume, shard
    )
    if not quiet:
        click.echo(f"{output}: {resources} resources in {subscriptions} subscription(s)")
