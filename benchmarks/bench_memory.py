"""Prints golive's peak memory relative to the size of the snapshot it reads.

    python benchmarks/bench_memory.py [--megabytes 100] [--gzip]

Target (issue 11 §4): peak memory at most 5x the snapshot file's size for a large snapshot, for
`golive validate` and for `golive audit` (JSON report written). Each command runs in a fresh
interpreter; its peak resident memory (ru_maxrss) is printed whole and above the interpreter's
own baseline (Python with golive imported), next to the file size, with the CPU seconds it used:
a change that lowers the peak should not raise them (run it on the old tree too to compare).

Measured on a 95 MiB dense snapshot (105,059 resources): 8.9x before issue 11's memory work,
4.7x after, at the same CPU time (about 20 s); the padded estate went from 4.0x to 3.2x.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_audit import generate  # noqa: E402  (imports only the standard library)

#: Runs one CLI command in this process and prints its peak memory in KiB and the CPU seconds it
#: used on stderr's last line. CPU time, not wall time: other work on the machine moves it less.
MEASURE = """
import resource, sys
from auditor.cli import cli
try:
    cli(sys.argv[1:], prog_name="golive", standalone_mode=True)
except SystemExit:
    pass
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""
BASELINE = "import resource, auditor.cli, auditor.snapshot, auditor.engine; " + (
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def peak_kib(args: list[str]) -> tuple[int, float]:
    """The command's peak resident memory in KiB and the CPU seconds it used."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, cwd=ROOT)
    peak, cpu = proc.stderr.strip().splitlines()[-1].split()
    return int(peak), float(cpu)


def fixture_shaped(megabytes: float) -> dict:
    """Copies of the bundled fixtures' resources (real ARM shapes, short strings, deep nesting)
    under new ids until the JSON reaches the size asked: the dense case, with no padding."""
    templates = []
    for name in ("demo", "hardened"):
        templates += json.loads((ROOT / "fixtures" / f"{name}.json").read_text())["resources"]
    document = bench_audit_document(0)
    texts = [json.dumps(t) for t in templates]
    resources, size, n = [], 0, 0
    while size < megabytes * 1e6:
        text = texts[n % len(texts)]
        item = json.loads(text)
        sub = document["scope"]["subscriptions"][n % 10]["subscriptionId"]
        parts = item["id"].split("/")
        parts[2], parts[4] = sub, f"rg-{n}"
        item["id"] = "/".join(parts)
        resources.append(item)
        size += len(text) + 2
        n += 1
    document["resources"] = resources
    return document


def bench_audit_document(count: int) -> dict:
    return generate(count, 10)


def write_snapshot(path: Path, megabytes: float, gzipped: bool, shape: str) -> None:
    # bench_audit's padded resources average about 1.7 KB.
    document = fixture_shaped(megabytes) if shape == "fixtures" else generate(int(megabytes * 1e6 / 1700), 10)
    data = json.dumps(document).encode()
    count = len(document["resources"])
    del document
    path.write_bytes(gzip.compress(data, compresslevel=1) if gzipped else data)
    on_disk = path.stat().st_size / 2**20
    print(f"snapshot ({shape}): {count} resources, {len(data) / 2**20:.0f} MiB of JSON ({on_disk:.0f} MiB on disk)")
    (path.parent / "json-size").write_text(str(len(data)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=100, help="approximate size of the JSON snapshot")
    parser.add_argument("--gzip", action="store_true", help="write the snapshot gzipped (ratio to the JSON size)")
    parser.add_argument(
        "--shape",
        choices=["fixtures", "padded"],
        default="fixtures",
        help="fixtures: copies of the bundled fixtures' resources (dense, the worst case); "
        "padded: bench_audit.py's estate, whose filler resources carry long notes",
    )
    parser.add_argument("--write", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_snapshot(Path(args.write), args.megabytes, args.gzip, args.shape)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("big.json.gz" if args.gzip else "big.json")
        # Generated in another process: a child inherits its parent's peak resident size.
        own = [sys.executable, __file__, "--megabytes", str(args.megabytes), "--shape", args.shape]
        subprocess.run([*own, "--write", str(path), *(["--gzip"] if args.gzip else [])], check=True)
        size = int((Path(tmp) / "json-size").read_text()) / 2**20
        idle = int(subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True, cwd=ROOT).stdout)
        print(f"interpreter with golive imported: {idle / 1024:.0f} MiB")
        for label, command in (
            ("golive validate", ["validate", str(path)]),
            ("golive audit (json report)", ["audit", "--snapshot", str(path), "-o", str(Path(tmp) / "out"), "-q"]),
        ):
            kib, cpu = peak_kib(command)
            peak = kib / 1024
            print(
                f"{label}: peak {peak:.0f} MiB = {peak / size:.1f}x the snapshot "
                f"({(peak - idle / 1024) / size:.1f}x above the interpreter); target <= 5x; {cpu:.1f} s of CPU"
            )


if __name__ == "__main__":
    main()
