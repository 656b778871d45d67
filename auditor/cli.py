"""The `golive` command. Thin: parse options, call the library, map outcomes to exit codes.

Heavy modules (the engine, the checks, the Azure SDKs) are imported inside the commands so that
`golive --help` stays instant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from auditor.collect.command import collect_command, live_options, wants_live
from auditor.collect.merge import merge_command

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_INPUT = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
SEVERITIES = ["critical", "high", "medium", "low", "info"]
DEFAULT_FAIL_ON = "high"
DEFAULT_OUTPUT_DIR = "golive-report"

EXIT_CODES_HELP = """\b
Exit codes:
  0  no failure at or above --fail-on
  1  failures at or above --fail-on
  2  usage or input error (bad file, config, option)
  3  with --strict: the audit was incomplete (not_assessed or error findings, or nothing judged)
  130  interrupted (Ctrl-C); no report or snapshot is left half-written
"""


def _colour(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _input_error(exc: Exception) -> NoReturn:
    message = exc.one_line() if hasattr(exc, "one_line") else str(exc)
    click.echo(f"golive: error: {message}", err=True)
    sys.exit(EXIT_INPUT)


class GoliveGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from auditor.model import InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            _input_error(exc)
        except KeyboardInterrupt:
            # Before click turns it into "Aborted!" and exit 1, which would read as "failures found".
            click.echo("golive: interrupted; nothing was written", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=GoliveGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="golive", prog_name="golive")
def cli() -> None:
    """Tell whether an Azure deployment is ready for production.

    golive reads a snapshot of Azure Resource Manager resources (or collects one), runs the
    production-readiness checks of the voice-agent production guide over it, and writes
    JSON, HTML, SARIF and Markdown reports.
    """


def _demo_path() -> str:
    from importlib import resources

    return str(resources.files("auditor.fixtures").joinpath("demo.json"))


@cli.command(epilog=EXIT_CODES_HELP)
@click.option("--snapshot", "snapshot_path", metavar="FILE", help="Snapshot, Resource Graph JSON or resource array.")
@click.option("--demo", is_flag=True, help="Audit the bundled demo snapshot of the guide's flat architecture.")
@click.option(
    "--format", "formats", multiple=True, metavar="LIST", help="Report formats, comma-separated (default: json)."
)
@click.option(
    "--output-dir",
    "-o",
    default=DEFAULT_OUTPUT_DIR,
    show_default=True,
    metavar="DIR",
    help="Where reports go; '-' writes the JSON report to stdout and nothing else there.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    default=None,
    help=f"Lowest severity whose failures exit 1 (default: {DEFAULT_FAIL_ON}).",
)
@click.option("--only", multiple=True, metavar="GLOB", help="Run only checks whose id or area matches (repeatable).")
@click.option("--skip", multiple=True, metavar="GLOB", help="Skip checks whose id or area matches (repeatable).")
@click.option("--config", "config_path", metavar="FILE", help="golive.toml or pyproject.toml ([tool.golive]).")
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Load extra checks from *.py files.")
@click.option("--attestations", metavar="FILE", help="TOML file attesting manual checklist items.")
@live_options
@click.option("--save-snapshot", metavar="FILE", help="With --subscription: also keep the collected snapshot.")
@click.option("--waivers", metavar="FILE", help="TOML file of accepted failures (justification and expiry required).")
@click.option("--baseline", metavar="FILE", help="A previous JSON report: mark findings new, unchanged or fixed.")
@click.option("--fail-on-new", is_flag=True, help="With --baseline: exit 1 only for new failures.")
@click.option("--sarif-include-not-assessed", is_flag=True, help="Add not_assessed findings to SARIF as notes.")
@click.option("--strict", is_flag=True, help="Exit 3 when any finding is not_assessed or error, or nothing was judged.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", count=True, help="List every failure and not-assessed finding.")
def audit(
    snapshot_path: str | None,
    demo: bool,
    formats: tuple[str, ...],
    output_dir: str,
    fail_on: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    config_path: str | None,
    checks_dirs: tuple[str, ...],
    attestations: str | None,
    waivers: str | None,
    baseline: str | None,
    fail_on_new: bool,
    sarif_include_not_assessed: bool,
    strict: bool,
    quiet: bool,
    verbose: int,
    save_snapshot: str | None,
    **live: Any,
) -> None:
    """Audit a snapshot (or collect one with --subscription) and write reports."""
    from auditor import config as config_module
    from auditor import reports, snapshot
    from auditor.audit import AuditRequest, run_audit

    if sum(map(bool, (snapshot_path, demo, wants_live(live)))) != 1:
        raise click.UsageError("give exactly one of --snapshot FILE, --demo or --subscription/--all-subscriptions")
    try:
        names = reports.parse_formats(formats or ("json",))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    if output_dir == "-" and names != ["json"]:
        raise click.BadParameter("'-' writes only the JSON report; drop the other formats", param_hint="--output-dir")
    config = config_module.load(config_path, Path.cwd())
    if wants_live(live):
        from auditor.collect.command import run_collection

        snap = run_collection(live, [Path(d) for d in checks_dirs], only, skip, quiet, config)
        snap.source = "live: " + ", ".join(s["subscriptionId"] for s in snap.scope["subscriptions"])
        if save_snapshot:
            snapshot.save(snap, save_snapshot)
    else:
        snap = snapshot.load(snapshot_path or _demo_path())
        if demo:
            snap.source = "demo"
    report = run_audit(
        AuditRequest(
            snapshot=snap,
            config=config,
            only=only,
            skip=skip,
            checks_dirs=[Path(d) for d in checks_dirs],
            attestations=Path(attestations) if attestations else None,
            waivers=Path(waivers) if waivers else None,
            baseline=Path(baseline) if baseline else None,
        )
    )
    if fail_on_new and not baseline:
        raise click.UsageError("--fail-on-new needs --baseline")
    threshold = (fail_on or (config.fail_on.value if config.fail_on else DEFAULT_FAIL_ON)).lower()
    options = {"include_not_assessed": sarif_include_not_assessed}
    written, notes = _write_reports(report, names, output_dir, options)
    if not quiet:
        _print_summary(report, written, notes, output_dir == "-", verbose, threshold)
    code = exit_code(report, threshold, strict, only_new=fail_on_new)
    if code == EXIT_INCOMPLETE and not judged_anything(report):
        click.echo("golive: --strict: nothing was judged (no resource any check reads was found)", err=True)
    sys.exit(code)


def _print_summary(
    report: dict[str, Any], written: list[str], notes: list[str], to_stderr: bool, verbose: int, threshold: str
) -> None:
    from auditor.reports.terminal import render_summary

    stream = sys.stderr if to_stderr else sys.stdout
    text = render_summary(report, written, colour=_colour(stream), verbose=verbose, fail_on=threshold, notes=notes)
    click.echo(text, file=stream)


def exit_code(report: dict[str, Any], fail_on: str, strict: bool, only_new: bool = False) -> int:
    at_or_above = set(SEVERITIES[: SEVERITIES.index(fail_on) + 1])
    blocking = [
        f
        for f in report["findings"]
        if f["status"] == "fail" and f["severity"] in at_or_above and (not only_new or f.get("baselineState") == "new")
    ]
    if blocking:
        return EXIT_FAILURES
    counts = report["summary"]["byStatus"]
    if strict and (counts["not_assessed"] or counts["error"] or not judged_anything(report)):
        return EXIT_INCOMPLETE
    return EXIT_OK


def judged_anything(report: dict[str, Any]) -> bool:
    """Whether any finding is a verdict on data that was there: a pass, a fail or a waived fail."""
    counts = report["summary"]["byStatus"]
    return bool(counts.get("pass") or counts.get("fail") or counts.get("waived"))


def _write_reports(
    report: dict[str, Any], names: list[str], output_dir: str, options: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """Render every format before writing any, so a failure leaves no half-written set.
    Returns the paths written and notes from the renderers (such as SARIF truncation)."""
    from auditor import reports
    from auditor.snapshot import write_atomic

    notes: list[str] = []
    rendered = {name: reports.render(name, report, notes=notes, **(options or {})) for name in names}
    if output_dir == "-":
        sys.stdout.buffer.write(rendered["json"])
        sys.stdout.flush()
        return [], notes
    written = []
    for name, data in rendered.items():
        path = Path(output_dir) / reports.FORMATS[name].filename
        write_atomic(path, data)
        written.append(str(path))
    return written, notes


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("results", nargs=-1, required=True, metavar="RESULT.json...")
@click.option("--format", "formats", multiple=True, metavar="LIST", help="Formats to render (default: html).")
@click.option("--output-dir", "-o", default=DEFAULT_OUTPUT_DIR, show_default=True, metavar="DIR")
@click.option("--sarif-include-not-assessed", is_flag=True, help="Add not_assessed findings to SARIF as notes.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def report(
    results: tuple[str, ...], formats: tuple[str, ...], output_dir: str, sarif_include_not_assessed: bool, quiet: bool
) -> None:
    """Re-render a saved JSON report in other formats, without auditing again. Several reports
    (of a sharded audit) are joined into one; overlaps are reported, a conflict stops (exit 2)."""
    from auditor import reports
    from auditor.baseline import load as load_report

    try:
        names = reports.parse_formats(formats or ("html",))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    if output_dir == "-":
        raise click.BadParameter("give a directory", param_hint="--output-dir")
    document = load_report(results[0])
    if len(results) > 1:
        from auditor.join import join_reports
        from auditor.snapshot import validate_document

        document, overlaps = join_reports([(r, load_report(r)) for r in results])
        validate_document(document, "report.schema.json", "the joined report")
        for line in overlaps[:20]:
            click.echo(f"golive: overlap: {line}", err=True)
    written, notes = _write_reports(document, names, output_dir, {"include_not_assessed": sarif_include_not_assessed})
    if not quiet:
        for line in written + notes:
            click.echo(line)


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
def validate(file: str, quiet: bool) -> None:
    """Check that FILE is a readable snapshot (exit 0) or say why not (exit 2)."""
    from auditor import snapshot

    snap = snapshot.load(file)
    if not quiet:
        click.echo(
            f"{file}: valid {snap.source_format} with {len(snap.resources)} resources "
            f"in {len(snap.scope.get('subscriptions', []))} subscription(s); coverage {snap.coverage_mode}"
        )


@cli.group()
def checks() -> None:
    """List and explain the checks."""


@checks.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Also load checks from DIR.")
def checks_list(fmt: str, checks_dirs: tuple[str, ...]) -> None:
    """List every check: id, severity, area, checklist item."""
    from auditor import docs
    from auditor.audit import load_catalogue

    catalogue = load_catalogue([Path(d) for d in checks_dirs])
    click.echo(docs.catalogue_listing([c.meta for c in catalogue.checks], fmt), nl=False)
    for problem in catalogue.problems:
        click.echo(f"golive: plugin problem: {problem['source']} {problem['check']}: {problem['problem']}", err=True)


@checks.command("show")
@click.argument("check_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Also load checks from DIR.")
def checks_show(check_id: str, fmt: str, checks_dirs: tuple[str, ...]) -> None:
    """Explain one check: rationale, remediation, references, parameters."""
    from auditor import docs
    from auditor.audit import load_catalogue

    catalogue = load_catalogue([Path(d) for d in checks_dirs]).by_id()
    if check_id not in catalogue:
        raise click.BadParameter(f"no check with id {check_id!r} (see 'golive checks list')", param_hint="ID")
    click.echo(docs.check_page(catalogue[check_id].meta, fmt), nl=False)


cli.add_command(collect_command)
cli.add_command(merge_command)


def main() -> None:
    try:
        cli(prog_name="golive")
    except KeyboardInterrupt:
        click.echo("golive: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
