"""Waivers, attestations and options that would widen silently (issue 11 §3): each is one clear
line and exit 2, or a verdict the report names."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.conftest import golive


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def _one_line_error(run, *needles: str) -> None:
    assert run.code == 2, (run.code, run.out, run.err)
    assert run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
    for needle in needles:
        assert needle in run.err, run.err


WAIVE_ALL_BY_EMPTY_TAG = (
    '[[waiver]]\ncheck = "*"\ntag = "exception-approved="\njustification = "approved exceptions"\n'
    "expires = 2099-01-01\nallow-wildcard = true\n"
)


def test_an_empty_tag_value_is_an_error_not_a_match_for_every_untagged_resource(tmp_path):
    path = _write(tmp_path, "waivers.toml", WAIVE_ALL_BY_EMPTY_TAG)
    run = golive("audit", "--demo", "--waivers", str(path), "-o", str(tmp_path / "out"))
    _one_line_error(run, "waivers.toml", "tag: the value after '=' is empty", "line 1")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("pattern", ["*", "*.*", "**"])
def test_a_wildcard_check_needs_allow_wildcard(tmp_path, pattern):
    text = f'[[waiver]]\ncheck = "{pattern}"\nresource = "*"\njustification = "j"\nexpires = 2099-01-01\n'
    run = golive("audit", "--demo", "--waivers", str(_write(tmp_path, "waivers.toml", text)), "-o", str(tmp_path))
    _one_line_error(run, "waivers.toml", "waives every check; add allow-wildcard = true")


def test_an_allowed_wildcard_waiver_is_named_in_the_report_and_the_summary(tmp_path):
    text = (
        '[[waiver]]\ncheck = "*"\nresource = "*/rg-voice-prod/*"\njustification = "pilot"\nexpires = 2099-01-01\n'
        "allow-wildcard = true\n"
    )
    out = tmp_path / "out"
    run = golive("audit", "--demo", "--waivers", str(_write(tmp_path, "waivers.toml", text)), "-o", str(out))
    report = json.loads((out / "golive-report.json").read_text())
    assert [w["check"] for w in report["waivers"]["wildcard"]] == ["*"]
    assert "Wildcard waiver (line 1): check '*'" in run.out


@pytest.mark.parametrize("field", ["expires = 2099-01-01T00:00:00Z", "expires = 2099-01-01T08:30:00"])
def test_a_datetime_expiry_is_an_error_not_a_crash(tmp_path, field):
    text = f'[[waiver]]\ncheck = "aca.min-replicas"\nresource = "*"\njustification = "j"\n{field}\n'
    run = golive("audit", "--demo", "--waivers", str(_write(tmp_path, "waivers.toml", text)), "-o", str(tmp_path))
    _one_line_error(run, "expires: must be a TOML date", "not a date-time")


ATTESTATION = '[[attestation]]\nitem = "rollback-tested"\nby = "SRE"\ndate = {date}\nevidence = "wiki/rollback"\n'


def test_a_datetime_attestation_date_is_an_error_not_a_crash(tmp_path):
    path = _write(tmp_path, "att.toml", ATTESTATION.format(date="2026-11-01T10:00:00Z"))
    run = golive("audit", "--demo", "--attestations", str(path), "-o", str(tmp_path))
    _one_line_error(run, "att.toml", "date must be a TOML date", "attestation[0].date")


def test_an_attestation_dated_in_the_future_is_an_error(tmp_path):
    later = (date.today() + timedelta(days=30)).isoformat()
    path = _write(tmp_path, "att.toml", ATTESTATION.format(date=later))
    run = golive("audit", "--demo", "--attestations", str(path), "-o", str(tmp_path))
    _one_line_error(run, "att.toml", f"date {later} is in the future")


def test_an_attestation_dated_today_or_tomorrow_counts(tmp_path):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()  # the attester's day may be ahead of UTC
    path = _write(tmp_path, "att.toml", ATTESTATION.format(date=tomorrow))
    out = tmp_path / "out"
    golive("audit", "--demo", "--attestations", str(path), "-o", str(out))
    items = json.loads((out / "golive-report.json").read_text())["checklist"]
    assert next(i for i in items if i["id"] == "rollback-tested")["status"] == "attested"


@pytest.mark.parametrize("days", ["999999999999", "36501", "0", "-5"])
def test_an_attestation_max_age_out_of_range_is_an_error(tmp_path, days):
    _write(tmp_path, "golive.toml", f"attestation-max-age-days = {days}\n")
    run = golive("audit", "--demo", "-o", str(tmp_path / "out"), cwd=tmp_path)
    _one_line_error(run, "golive.toml", "'attestation-max-age-days' must be between 1 and 36500")


@pytest.mark.parametrize("value", ["-1", "-100"])
def test_a_negative_min_replicas_is_an_error(tmp_path, value):
    _write(tmp_path, "golive.toml", f'[checks."aca.min-replicas"]\nmin_replicas = {value}\n')
    run = golive("audit", "--demo", "-o", str(tmp_path / "out"), cwd=tmp_path)
    _one_line_error(run, "golive.toml", "checks.aca.min-replicas.min_replicas", "must be at least 0")


@pytest.mark.parametrize("args", [["--skip", "*"], ["--only", "aca.*", "--skip", "aca.*"], ["--skip", "*.*"]])
def test_options_that_leave_no_check_are_an_error(tmp_path, args):
    run = golive("audit", "--demo", *args, "-o", str(tmp_path / "out"))
    _one_line_error(run, "leave no check to run")
    assert not (tmp_path / "out").exists()
