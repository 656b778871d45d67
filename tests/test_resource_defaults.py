"""The shared mechanism that keeps missing data from passing (auditor.api.Resource): a default
stands for a property ARM left out of an object it returned, never for a parent that is not there,
and a value of the wrong type is a DataError (not_assessed), however deep it sits."""

from __future__ import annotations

import pytest

from auditor import engine
from auditor.api import DataError, Resource, check, passed
from auditor.inventory import Inventory
from auditor.model import Status
from tests.test_engine import catalogue_of, meta, snapshot, vaults


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"properties": None},
        {"properties": {}},
        {"properties": {"networkAcls": None}},
    ],
)
def test_a_default_never_stands_in_for_a_missing_parent(raw):
    res = Resource(raw)
    with pytest.raises(DataError, match="is not in the snapshot"):
        res.get("properties.networkAcls.defaultAction", default="Allow", expect=str)


def test_a_default_applies_when_the_parent_object_exists():
    res = Resource({"properties": {"networkAcls": {}}})
    assert res.get("properties.networkAcls.defaultAction", default="Allow", expect=str) == "Allow"
    assert res.reads[-1].default_applied
    res = Resource({"properties": {"networkAcls": {"defaultAction": None}}})  # ARM's null is absent
    assert res.get("properties.networkAcls.defaultAction", default="Allow", expect=str) == "Allow"


@pytest.mark.parametrize("parent", [0, "x", True, [], 1.5])
def test_a_parent_of_the_wrong_type_is_a_data_error_with_the_path(parent):
    res = Resource({"properties": {"networkAcls": parent}})
    with pytest.raises(DataError, match=r"properties\.networkAcls is \w+, expected (object|array)"):
        res.get("properties.networkAcls.defaultAction", default="Allow", expect=str)


def test_the_missing_parent_is_named():
    with pytest.raises(DataError) as caught:
        Resource({"properties": {"a": {}}}).get("properties.a.b.c.d", default=0)
    assert str(caught.value) == "properties.a.b is not in the snapshot (needed for properties.a.b.c.d)"


def test_parent_optional_lets_a_documented_absent_object_take_its_default():
    env = Resource({"properties": {}})  # an environment outside any VNet has no vnetConfiguration
    vnet = "properties.vnetConfiguration"
    assert env.get(f"{vnet}.internal", default=False, expect=bool, parent_optional=vnet) is False
    with pytest.raises(DataError):  # but only under a properties object that exists
        Resource({}).get(
            "properties.vnetConfiguration.internal",
            default=False,
            expect=bool,
            parent_optional="properties.vnetConfiguration",
        )


def test_item_views_read_with_the_same_rules_and_full_paths():
    app = Resource({"properties": {"template": {"containers": [{"name": "c", "env": 0}]}}})
    (container,) = app.item_views("properties.template.containers", required=True)
    with pytest.raises(DataError, match=r"^properties\.template\.containers\[0\]\.env is integer, expected array$"):
        container.item_views("env")
    assert Resource({"properties": {"template": {}}}).item_views("properties.template.initContainers") == []
    with pytest.raises(DataError, match=r"properties\.template is not in the snapshot"):
        Resource({"properties": {}}).item_views("properties.template.initContainers")
    with pytest.raises(DataError, match=r"containers\[1\] is string, expected object"):
        Resource({"properties": {"template": {"containers": [{}, "c"]}}}).item_views("properties.template.containers")
    with pytest.raises(DataError, match="is empty"):
        Resource({"p": []}).item_views("p", required=True)
    named = Resource({"p": [{"name": 3}]}).item_views("p")[0]
    with pytest.raises(DataError, match=r"^p\[0\]\.name is integer, expected string$"):
        named.get("name", expect=str)


def test_the_engine_turns_a_raise_on_odd_data_into_not_assessed_naming_the_last_path_read():
    """A plugin check that trips over odd data after reading it is not_assessed, not error; a
    check that raises before reading anything is still an error (a bug of the check)."""

    @check(**meta("t.trips"))
    def trips(res, ctx):
        acls = res.get("properties.networkAcls", expect=dict)
        return passed(str(len(acls["ipRules"])))

    @check(**meta("t.broken"))
    def broken(res, ctx):
        return {}["nothing read"]

    findings = engine.run(catalogue_of(trips, broken), Inventory(snapshot(vaults({"networkAcls": {"ipRules": 3}}))))
    by_check = {f.check_id: f for f in findings}
    assert by_check["t.trips"].status is Status.NOT_ASSESSED
    assert "at or after properties.networkAcls" in by_check["t.trips"].evidence["message"]
    assert "TypeError" in by_check["t.trips"].evidence["message"]
    assert by_check["t.broken"].status is Status.ERROR
