"""One renderer per format. Each takes the JSON report document and returns the file's bytes.

Renderers are imported only when their format is asked for, so `golive --help` stays instant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    filename: str

    def renderer(self) -> Callable[..., bytes]:
        return importlib.import_module(self.module).render  # type: ignore[no-any-return]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "auditor.reports.json_report", "golive-report.json"),
        Format("html", "auditor.reports.html", "golive-report.html"),
        Format("sarif", "auditor.reports.sarif", "golive-report.sarif"),
        Format("md", "auditor.reports.markdown", "golive-report.md"),
        Format("junit", "auditor.reports.junit", "golive-report.junit.xml"),
        Format("csv", "auditor.reports.csv_report", "golive-report.csv"),
    )
}


def parse_formats(text: Iterable[str]) -> list[str]:
    """'json,html' or repeated options -> ['json', 'html']; unknown names raise ValueError."""
    names: list[str] = []
    for chunk in text:
        for name in chunk.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in FORMATS:
                from auditor.suggest import did_you_mean

                hint = did_you_mean(name, FORMATS)
                raise ValueError(f"unknown format {name!r}{hint} (expected any of {', '.join(FORMATS)})")
            if name not in names:
                names.append(name)
    return names


def render(name: str, report: dict[str, Any], **options: Any) -> bytes:
    return FORMATS[name].renderer()(report, **options)


def streamer(name: str) -> Callable[..., None] | None:
    """The format's `write(report, handle, **options)`, for formats that can write a large report
    piece by piece instead of building its bytes whole; None for the others."""
    return getattr(importlib.import_module(FORMATS[name].module), "write", None)
