"""The `golive` command. Thin: parse options, call the library, map outcomes to exit codes.

Heavy modules (the engine, the checks, the Azure SDKs) are imported inside the commands so that
`golive --help` stays instant.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from auditor.collect.command import collect_command, live_options, wants_live
from auditor.collect.merge import merge_command
from auditor.model import Area
from auditor.reports import FORMATS

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_INPUT = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it
WRITTEN = "golive.written"  # click context meta: the files this command finished writing
SEVERITIES = ["critical", "high", "medium", "low", "info"]
DEFAULT_FAIL_ON = "high"
DEFAULT_OUTPUT_DIR = "golive-report"

AREAS = ", ".join(a.value for a in Area)
FORMAT_NAMES = ", ".join(FORMATS)
EXIT_CODES_HELP = """\b
Exit codes:
  0  no failure at or above --fail-on
  1  failures at or above --fail-on
  2  usage or input error (bad file, config, option)
  3  with --strict: the audit was incomplete (not_assessed or error findings, or nothing judged)
  130  interrupted (Ctrl-C); no report or snapshot is left half-written
  143  terminated (SIGTERM), handled as Ctrl-C
"""
REPORT_EXIT_CODES_HELP = """\b
Exit codes:
  0  the reports were written
  2  usage or input error (not a golive JSON report, bad option)
  130  interrupted (Ctrl-C); no report is left half-written
"""


def _examples(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines) + "\n\n"


max_snapshot_option = click.option(
    "--max-snapshot-mb",
    type=click.FloatRange(min=1),
    default=None,
    metavar="MB",
    help="Largest snapshot read, as JSON after gzip (default: 1024).",
)


def _colour(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _terminal_width(stream: Any) -> int:
    """The terminal's width when writing to one; 100 columns for files, pipes and CI logs."""
    import shutil

    from auditor.reports.terminal import PIPE_WIDTH

    if hasattr(stream, "isatty") and stream.isatty():
        return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return PIPE_WIDTH
def _interrupted(exc: KeyboardInterrupt, written: list[str] | None) -> NoReturn:
    import signal

    from auditor.report_set import Terminated

    terminated = isinstance(exc, Terminated) or getattr(exc, "signum", None) == signal.SIGTERM
    what = "terminated" if terminated else "interrupted"
    if written:
        click.echo(f"golive: {what} after writing {', '.join(written)} in full", err=True)
    else:
        click.echo(f"golive: {what}; nothing was written", err=True)
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def _input_error(exc: Exception) -> NoReturn:
    from auditor.reports.safe_text import visible

    message = exc.one_line() if hasattr(exc, "one_line") else str(exc)
    # A file name may hold ESC or BEL: spelled out, it cannot rewrite the terminal.
    click.echo(f"golive: error: {visible(message)}", err=True)
    sys.exit(EXIT_INPUT)


class GoliveGroup(click.Group):
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's whole first line, not click's 45-character cut."""
        rows = [
            (name, command.get_short_help_str(limit=200))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from auditor.model import InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            _input_error(exc)
        except KeyboardInterrupt as exc:
            # Before click turns it into "Aborted!" and exit 1, which would read as "failures found".
            _interrupted(exc, getattr(exc, "written", None) or ctx.meta.get(WRITTEN))


@click.group(
    cls=GoliveGroup,
    epilog=_examples("golive audit --demo --format html", "golive audit --snapshot snapshot.json --strict")
    + EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(None, "-V", "--version", package_name="golive", prog_name="golive")
def cli() -> None:
    """Tell whether an Azure deployment is ready for production.

    golive reads a snapshot of Azure Resource Manager resources (or collects one), runs the
    production-readiness checks of the voice-agent production guide over it, and writes
    JSON, HTML, SARIF and Markdown reports.
    """


def _demo_path() -> str:
    from importlib import resources

    return str(resources.files("auditor.fixtures").joinpath("demo.json"))


@cli.command(
    epilog=_examples(
        "golive audit --demo --format html,md",
        "golive audit --subscription SUB_ID --format html,sarif --fail-on medium -o reports",
    )
    + EXIT_CODES_HELP
)
@click.option("--snapshot", "snapshot_path", metavar="FILE", help="Snapshot, Resource Graph JSON or resource array.")
@click.option("--demo", is_flag=True, help="Audit the bundled demo snapshot of the guide's flat architecture.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="LIST",
    help=f"Report formats, comma-separated: {FORMAT_NAMES} (default: json).",
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
@click.option(
    "--only", multiple=True, metavar="GLOB", help=f"Run only checks whose id or area ({AREAS}) matches (repeatable)."
)
@click.option(
    "--skip", multiple=True, metavar="GLOB", help=f"Skip checks whose id or area ({AREAS}) matches (repeatable)."
)
@click.option("--config", "config_path", metavar="FILE", help="golive.toml or pyproject.toml ([tool.golive]).")
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Load extra checks from *.py files.")
@click.option("--attestations", metavar="FILE", help="TOML file attesting manual checklist items.")
@live_options
@click.option("--save-snapshot", metavar="FILE", help="With --subscription: also keep the collected snapshot.")
@max_snapshot_option
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
    max_snapshot_mb: float | None,
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

        snap = run_collection({**live, "verbose": verbose}, [Path(d) for d in checks_dirs], only, skip, quiet, config)
        snap.source = "live: " + ", ".join(s["subscriptionId"] for s in snap.scope["subscriptions"])
        snapshot.reject_lone_surrogates({"resources": snap.resources}, snap.source)  # ARM may send one too
        if save_snapshot:
            snapshot.save(snap, save_snapshot)
            click.get_current_context().meta.setdefault(WRITTEN, []).append(save_snapshot)
    else:
        snap = snapshot.load(snapshot_path or _demo_path(), max_snapshot_mb or snapshot.DEFAULT_MAX_SNAPSHOT_MB)
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
            release_snapshot=True,  # judged, it is not needed for the reports: a lower peak
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
    text = render_summary(
        report,
        written,
        colour=_colour(stream),
        verbose=verbose,
        fail_on=threshold,
        notes=notes,
        width=_terminal_width(stream),
    )
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
    report: dict[str, Any],
    names: list[str],
    output_dir: str,
    options: dict[str, Any] | None = None,
    *,
    whole_set: bool = True,
) -> tuple[list[str], list[str]]:
    """Write the reports as a set (auditor.report_set): a failure or an interrupt leaves the
    previous set as it was. Returns the paths written and notes from the renderers (such as
    SARIF truncation)."""
    from auditor import reports
    from auditor.report_set import write_set

    notes: list[str] = []
    options = {"notes": notes, **(options or {})}
    if output_dir == "-":
        sys.stdout.buffer.write(reports.render("json", report, **options))
        sys.stdout.flush()
        return [], notes
    files: dict[str, Any] = {}
    for name in names:
        stream = reports.streamer(name)
        # A streaming format writes into the staging directory; the others are rendered here.
        files[reports.FORMATS[name].filename] = (
            functools.partial(stream, report, **options) if stream else reports.render(name, report, **options)
        )
    # An audit's reports replace the previous run's set whole; a re-render adds formats beside the
    # report it was made from.
    known = [f.filename for f in reports.FORMATS.values()] if whole_set else []
    written = write_set(files, output_dir, known=known)
    click.get_current_context().meta.setdefault(WRITTEN, []).extend(written)
    return written, notes


@cli.command(
    epilog=_examples(
        "golive report golive-report/golive-report.json --format html",
        "golive report shard-1/golive-report.json shard-2/golive-report.json --format html,sarif -o joined",
    )
    + REPORT_EXIT_CODES_HELP
)
@click.argument("results", nargs=-1, required=True, metavar="RESULT.json...")
@click.option(
    "--format", "formats", multiple=True, metavar="LIST", help=f"Formats to render: {FORMAT_NAMES} (default: html)."
)
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
    from auditor.reports.untrusted import check_consistency

    try:
        names = reports.parse_formats(formats or ("html",))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    if output_dir == "-":
        raise click.BadParameter("give a directory", param_hint="--output-dir")
    loaded = []
    for result in results:
        loaded.append((result, load_report(result)))
        check_consistency(loaded[-1][1], result)
    document = loaded[0][1]
    if len(loaded) > 1:
        from auditor.join import join_reports
        from auditor.snapshot import validate_document

        document, overlaps = join_reports(loaded)
        validate_document(document, "report.schema.json", "the joined report")
        for line in overlaps[:20]:
            click.echo(f"golive: overlap: {line}", err=True)
    options = {"include_not_assessed": sarif_include_not_assessed}
    written, notes = _write_reports(document, names, output_dir, options, whole_set=False)
    if not quiet:
        for line in written + notes:
            click.echo(line)


@cli.command(epilog=_examples("golive validate snapshot.json", "golive validate -q snapshot.json.gz && echo ok"))
@click.argument("file", metavar="FILE")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@max_snapshot_option
def validate(file: str, quiet: bool, max_snapshot_mb: float | None) -> None:
    """Check that FILE is a readable snapshot (exit 0) or say why not (exit 2)."""
    from auditor import snapshot

    snap = snapshot.load(file, max_snapshot_mb or snapshot.DEFAULT_MAX_SNAPSHOT_MB)
    if not quiet:
        click.echo(
            f"{file}: valid {snap.source_format} with {len(snap.resources)} resources "
            f"in {len(snap.scope.get('subscriptions', []))} subscription(s); coverage {snap.coverage_mode}"
        )


@cli.command()
@click.argument("snapshot_file", metavar="SNAPSHOT")
def exposure(snapshot_file: str) -> None:
    """Print every way in from the internet to the workloads and the data and AI services, as a tree,
    each node classed: through a WAF in Prevention, weak WAF, around the WAF, not assessed."""
    from auditor import snapshot
    from auditor.exposure import graph_of
    from auditor.inventory import Inventory
    from auditor.reports.exposure_text import tree

    document = graph_of(Inventory(snapshot.load(snapshot_file))).to_document()
    click.echo("\n".join(tree(document)))


@cli.group(epilog=_examples("golive checks list", "golive checks show aca.min-replicas"))
def checks() -> None:
    """List and explain the checks."""


@checks.command("list", epilog=_examples("golive checks list", "golive checks list --format markdown"))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Also load checks from DIR.")
def checks_list(fmt: str, checks_dirs: tuple[str, ...]) -> None:
    """List every check: id, severity, area, checklist item."""
    from auditor import docs
    from auditor.audit import load_catalogue

    catalogue = load_catalogue([Path(d) for d in checks_dirs])
    click.echo(docs.catalogue_listing([c.meta for c in catalogue.checks], fmt), nl=False)
    from auditor.reports.safe_text import visible

    for problem in catalogue.problems:
        line = f"golive: plugin problem: {problem['source']} {problem['check']}: {problem['problem']}"
        click.echo(visible(line), err=True)


@checks.command(
    "show", epilog=_examples("golive checks show aca.min-replicas", "golive checks show keyvault.rbac --format json")
)
@click.argument("check_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--checks-dir", "checks_dirs", multiple=True, metavar="DIR", help="Also load checks from DIR.")
def checks_show(check_id: str, fmt: str, checks_dirs: tuple[str, ...]) -> None:
    """Explain one check: rationale, remediation, references, parameters."""
    from auditor import docs
    from auditor.audit import load_catalogue

    catalogue = load_catalogue([Path(d) for d in checks_dirs]).by_id()
    if check_id not in catalogue:
        from auditor.suggest import did_you_mean

        hint = did_you_mean(check_id, catalogue)
        raise click.BadParameter(f"no check with id {check_id!r}{hint} (see 'golive checks list')", param_hint="ID")
    click.echo(docs.check_page(catalogue[check_id].meta, fmt), nl=False)


cli.add_command(collect_command)
cli.add_command(merge_command)


def main() -> None:
    import signal

    from auditor.report_set import raise_terminated

    # SIGTERM (a CI job cancelled, `kill`) unwinds like Ctrl-C, so that temporary files are removed.
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        cli(prog_name="golive")
    except KeyboardInterrupt as exc:
        _interrupted(exc, getattr(exc, "written", None))


if __name__ == "__main__":
    main()
