from tests.checks.helpers import only, resource, verdicts

APP = "Microsoft.App/containerApps"


def app(name: str, scale: dict | None) -> dict:
    template = {"containers": [{"name": name, "image": "crvoice.azurecr.io/app:1"}]}
    if scale is not None:
        template["scale"] = scale
    return resource(APP, name, properties={"template": template, "configuration": {"activeRevisionsMode": "Single"}})


def test_min_replicas_pass_fail_and_default():
    result = verdicts(
        "aca.min-replicas",
        [app("two", {"minReplicas": 2, "maxReplicas": 10}), app("one", {"minReplicas": 1}), app("zero", {})],
    )
    assert result == {"two": "pass", "one": "fail", "zero": "fail"}


def test_min_replicas_absent_uses_arm_default_and_says_so():
    finding = only("aca.min-replicas", [app("zero", {"maxReplicas": 3})])
    (observation,) = finding.evidence["observations"]
    assert observation == {"path": "properties.template.scale.minReplicas", "observed": 0, "defaultApplied": True}


def test_min_replicas_threshold_is_configurable():
    assert verdicts("aca.min-replicas", [app("two", {"minReplicas": 2})], params={"min_replicas": 3}) == {"two": "fail"}


def test_min_replicas_odd_shape_is_not_assessed():
    assert verdicts("aca.min-replicas", [app("odd", {"minReplicas": "two"})]) == {"odd": "not_assessed"}


def test_min_replicas_not_applicable_without_apps():
    finding = only("aca.min-replicas", [])
    assert finding.status.value == "not_applicable"


def test_max_replicas_verdicts():
    result = verdicts(
        "aca.max-replicas",
        [
            app("ok", {"minReplicas": 2, "maxReplicas": 20}),
            # ContainerApps.json Scale.maxReplicas: "Defaults to 10 if not set."
            app("unset", {"minReplicas": 2}),
            app("unset-above-default", {"minReplicas": 12}),
            app("inverted", {"minReplicas": 5, "maxReplicas": 3}),
        ],
    )
    assert result == {"ok": "pass", "unset": "pass", "unset-above-default": "fail", "inverted": "fail"}


def test_max_replicas_unset_passes_with_a_note_naming_the_platform_default():
    # Issue 9 §2: ContainerApps.json Scale.maxReplicas "Defaults to 10 if not set": a pass that says so.
    finding = only("aca.max-replicas", [app("unset", {"minReplicas": 2})])
    assert finding.status.value == "pass"
    assert "not set" in finding.evidence["message"] and "default 10" in finding.evidence["message"]
    (observed,) = [o for o in finding.evidence["observations"] if o["path"].endswith("maxReplicas")]
    assert observed == {"path": "properties.template.scale.maxReplicas", "observed": 10, "defaultApplied": True}
