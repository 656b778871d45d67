from auditor.registry import discover


def test_builtin_checks_load_without_problems():
    catalogue = discover(entry_points=False)
    assert catalogue.problems == []
    assert "aca.min-replicas" in catalogue.by_id()
