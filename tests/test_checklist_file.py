import pytest

from auditor.checklist import ITEMS, load_attestations
from auditor.model import InputError
from tests.conftest import FIXTURES, golive


def test_every_guide_checklist_item_is_listed():
    titles = {i.title for i in ITEMS}
    guide = FIXTURES.parents[1] / "shared" / "seed" / "production-deployment-guide.md"
    if guide.exists():
        for line in guide.read_text().splitlines():
            if line.startswith("- [ ] "):
                assert line[6:].strip() in titles, line
    assert len(ITEMS) >= 17


def test_fixture_attestations_load():
    attestations = load_attestations(str(FIXTURES / "hardened-attestations.toml"))
    assert {a.item for a in attestations} == {i.id for i in ITEMS if i.attested}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[attestation]]\nitem = "nope"\nby = "a"\ndate = 2026-01-01\nevidence = "x"\n', "unknown checklist item"),
        ('[[attestation]]\nitem = "rollback-tested"\nby = "a"\nevidence = "x"\n', "missing required key 'date'"),
        ('[[attestation]]\nitem = "rollback-tested"\nby = "a"\ndate = "yesterday"\nevidence = "x"\n', "TOML date"),
        ('[[attestation]]\nitem = "waf"\nby = "a"\ndate = 2026-01-01\nevidence = "x"\n', "proven by checks"),
        ('[[attestation]]\nitem = "rollback-tested"\nby = ""\ndate = 2026-01-01\nevidence = "x"\n', "non-empty"),
        ('[[attestation]]\nitem = "rollback-tested"\nwho = "a"\n', "unknown key 'who'"),
    ],
)
def test_bad_attestation_files(tmp_path, text, problem):
    path = tmp_path / "att.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        load_attestations(str(path))
    run = golive("audit", "--demo", "--attestations", str(path), "-o", str(tmp_path / "o"))
    assert run.code == 2 and "att.toml" in run.err


def test_stale_attestation_age_is_configurable(tmp_path):
    (tmp_path / "golive.toml").write_text(
        f'attestations = "{FIXTURES / "hardened-attestations.toml"}"\nattestation-max-age-days = 5\n'
    )
    run = golive("audit", "--snapshot", str(FIXTURES / "hardened.json"), "-o", str(tmp_path / "o"), "-q", cwd=tmp_path)
    import json

    report = json.loads((tmp_path / "o" / "golive-report.json").read_text())
    assert any(i["status"] == "stale" for i in report["checklist"]), run.err
