"""Reports are written as a set (issue 11 §6): an interrupt leaves the old set whole and says so
truly, SIGTERM is handled like Ctrl-C, nothing temporary is left, and concurrent runs into one
--output-dir leave one run's complete set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import cli, report_set
from tests.conftest import GOLIVE, ROOT

ALL = "json,html,sarif,md,junit,csv"
NAMES = {
    "golive-report.json",
    "golive-report.html",
    "golive-report.sarif",
    "golive-report.md",
    "golive-report.junit.xml",
    "golive-report.csv",
}


def _snapshot_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]


def _invoke(*args: str):
    return CliRunner().invoke(cli.cli, list(args), catch_exceptions=False)


def test_an_interrupt_between_report_writes_leaves_the_old_set_and_says_nothing_was_written(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _invoke("audit", "--demo", "--format", ALL, "-o", str(out), "-q").exit_code == 1
    before = _snapshot_of(out)
    assert set(before) == NAMES
    real_write, calls = report_set._write, []

    def interrupted_on_the_second(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_write(path, data)

    monkeypatch.setattr(report_set, "_write", interrupted_on_the_second)
    result = _invoke("audit", "--snapshot", str(ROOT / "fixtures" / "hardened.json"), "--format", ALL, "-o", str(out))
    assert result.exit_code == 130
    assert "golive: interrupted; nothing was written" in result.stderr
    assert _snapshot_of(out) == before and _leftovers(out) == []


def test_an_interrupt_after_the_reports_were_written_says_so(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_print_summary", interrupted)
    result = _invoke("audit", "--demo", "--format", "json,md", "-o", str(out))
    assert result.exit_code == 130
    assert f"interrupted after writing {out / 'golive-report.json'}, {out / 'golive-report.md'} in full" in (
        result.stderr
    )
    assert {p.name for p in out.iterdir()} == {"golive-report.json", "golive-report.md"}


def test_a_signal_during_the_swap_is_held_until_the_set_is_complete(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_replace = os.replace

    def replace_then_signal(source, target):
        real_replace(source, target)
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the swap

    monkeypatch.setattr(report_set.os, "replace", replace_then_signal)
    with pytest.raises(report_set.InterruptedAfterWriting) as caught:
        report_set.write_set({"a.json": b"1", "b.md": b"2"}, out, known=["a.json", "b.md", "c.csv"])
    assert {Path(p).name for p in caught.value.written} == {"a.json", "b.md"}
    assert {p.name for p in out.iterdir()} == {"a.json", "b.md"}


def test_a_new_set_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "out"
    _invoke("audit", "--demo", "--format", ALL, "-o", str(out), "-q")
    (out / "notes.txt").write_text("mine")  # not a report: left alone
    _invoke("audit", "--demo", "--format", "json", "-o", str(out), "-q")
    assert {p.name for p in out.iterdir()} == {"golive-report.json", "notes.txt"}


def _sigterm_after(delay: float, out: Path) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        [*GOLIVE, "audit", "--demo", "--format", ALL, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=ROOT,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def test_sigterm_is_handled_like_ctrl_c_at_any_moment(tmp_path):
    """SIGTERM at a spread of moments from start-up to the end of the run: the directory holds the
    old set or the new set, whole, and nothing temporary."""
    out = tmp_path / "out"
    subprocess.run([*GOLIVE, "audit", "--demo", "--format", "json,md", "-o", str(out), "-q"], cwd=ROOT, check=False)
    old = _snapshot_of(out)
    started = time.perf_counter()
    subprocess.run([*GOLIVE, "audit", "--demo", "--format", ALL, "-o", str(tmp_path / "timing"), "-q"], check=False)
    whole = time.perf_counter() - started
    seen = set()
    for step in range(8):
        result = _sigterm_after(whole * step / 7, out)
        assert "Traceback" not in result.stderr, result.stderr
        assert _leftovers(out) == [], _leftovers(out)
        files = _snapshot_of(out)
        if result.returncode == 143:
            assert result.stderr.startswith("golive: terminated"), result.stderr
            seen.add("terminated")
        elif result.returncode == -signal.SIGTERM:
            pass  # before golive's main() set its handler, or at interpreter exit: either way, a whole set
        else:
            assert result.returncode == 1, result.stderr  # it finished first: the demo fails
        assert files == old or set(files) == NAMES, sorted(files)
        old = files
    assert "terminated" in seen


def test_concurrent_runs_into_one_directory_leave_one_runs_set(tmp_path):
    out = tmp_path / "out"
    demo = ["audit", "--demo", "--format", "json,md,csv", "-o", str(out), "-q"]
    hardened = ["audit", "--snapshot", str(ROOT / "fixtures" / "hardened.json"), "--format", "json,html,sarif"]
    hardened += ["-o", str(out), "-q"]
    for _ in range(3):
        threads = [
            threading.Thread(target=subprocess.run, args=([*GOLIVE, *args],), kwargs={"cwd": ROOT})
            for args in (demo, hardened)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        names = {p.name for p in out.iterdir()}
        report = json.loads((out / "golive-report.json").read_text())
        if report["snapshot"]["source"] == "demo":
            assert names == {"golive-report.json", "golive-report.md", "golive-report.csv"}
            assert "ca-voice-backend" in (out / "golive-report.csv").read_text()
        else:
            assert names == {"golive-report.json", "golive-report.html", "golive-report.sarif"}
            assert '"resultsBeforeTruncation": 0' in (out / "golive-report.sarif").read_text()  # it passes


def test_re_rendering_into_the_audit_directory_keeps_the_source_report(tmp_path):
    out = tmp_path / "out"
    _invoke("audit", "--demo", "--format", "json,md", "-o", str(out), "-q")
    result = _invoke("report", str(out / "golive-report.json"), "--format", "html", "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {"golive-report.json", "golive-report.md", "golive-report.html"}


def test_an_exception_while_writing_leaves_the_old_set_and_nothing_temporary(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _invoke("audit", "--demo", "--format", ALL, "-o", str(out), "-q")
    before = _snapshot_of(out)
    real_write, calls = report_set._write, []

    def failing_on_the_third(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise RuntimeError("a renderer's bug")
        real_write(path, data)

    monkeypatch.setattr(report_set, "_write", failing_on_the_third)
    with pytest.raises(RuntimeError):
        report_set.write_set({n: b"new" for n in sorted(NAMES)}, out, known=NAMES)
    assert _snapshot_of(out) == before and _leftovers(out) == []


def test_a_streaming_writer_that_raises_half_way_leaves_nothing(tmp_path):
    out = tmp_path / "out"

    def half(handle):
        handle.write(b'{"findings": [')
        raise ValueError("half-way")

    with pytest.raises(ValueError):
        report_set.write_set({"golive-report.json": half}, out, known=NAMES)
    assert list(out.iterdir()) == []


_KILLED_RUN = """
import os, sys, time
from auditor import report_set

def stuck(handle):
    handle.write(b"partial")
    handle.flush()
    print("writing", flush=True)
    time.sleep(120)

report_set.write_set({"golive-report.json": stuck}, sys.argv[1], known=[])
"""


def _run_killed_while_writing(out: Path) -> subprocess.Popen:
    """A run that is writing its set into `out` when it is returned: its staging directory exists."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_RUN, str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n", proc.stderr and proc.stderr.read()
    return proc


def test_a_staging_directory_left_by_a_killed_run_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    proc = _run_killed_while_writing(out)
    proc.kill()  # SIGKILL: no handler runs, the staging directory stays
    proc.wait(timeout=30)
    assert len(_leftovers(out)) == 1 and _leftovers(out)[0].startswith(report_set.TEMP_PREFIX)
    result = _invoke("audit", "--demo", "--format", "json,md", "-o", str(out), "-q")
    assert result.exit_code == 1, result.stderr
    assert _leftovers(out) == []
    assert {p.name for p in out.iterdir()} == {"golive-report.json", "golive-report.md"}


def test_a_concurrent_runs_staging_directory_is_left_alone(tmp_path):
    out = tmp_path / "out"
    proc = _run_killed_while_writing(out)
    try:
        (staging,) = _leftovers(out)
        assert report_set.remove_abandoned(out) == []
        _invoke("audit", "--demo", "--format", "json", "-o", str(out), "-q")
        assert (out / staging / "golive-report.json").read_bytes() == b"partial"  # still being written
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert report_set.remove_abandoned(out) == [staging]
    assert _leftovers(out) == []


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, report_set.Terminated, RuntimeError])
def test_a_snapshot_file_is_written_whole_or_not_at_all(tmp_path, monkeypatch, interrupt):
    """`golive collect --output` and `--save-snapshot` write through snapshot.write_atomic: Ctrl-C,
    SIGTERM (raised as Terminated) or an exception just before the rename leaves the old file
    and no temporary one."""
    from auditor import snapshot

    target = tmp_path / "snap.json"
    target.write_bytes(b"old")

    def interrupted(source, destination):
        raise interrupt()

    monkeypatch.setattr(snapshot.os, "replace", interrupted)
    with pytest.raises(interrupt):
        snapshot.write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["snap.json"]


_KILLED_SNAPSHOT_WRITER = """
import sys, time
from pathlib import Path
from auditor.snapshot import temp_beside

fd, tmp = temp_beside(Path(sys.argv[1]))
print(tmp, flush=True)
time.sleep(120)
"""


def test_a_snapshot_temp_file_left_by_a_killed_run_is_removed_by_the_next_write(tmp_path):
    """kill -9 during `golive collect --output` leaves a `.snap.json.*.tmp`; the next write beside
    it removes it, and leaves alone the one a living run still holds."""
    from auditor import snapshot

    target = tmp_path / "snap.json"

    def writer() -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILLED_SNAPSHOT_WRITER, str(target)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        return proc, Path(proc.stdout.readline().strip()).name

    killed, abandoned = writer()
    killed.kill()
    killed.wait(timeout=30)
    living, held = writer()
    try:
        snapshot.write_atomic(target, b"new")
        names = {p.name for p in tmp_path.iterdir()}
        assert abandoned not in names and held in names and "snap.json" in names
    finally:
        living.kill()
        living.wait(timeout=30)
    snapshot.write_atomic(target, b"newer")
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"] and target.read_bytes() == b"newer"
