"""Managed messaging for backpressure: advisory, at subscription scope."""

import pytest

from tests.checks.helpers import resource, verdicts

APP = "Microsoft.App/containerApps"


def an_app():
    return resource(APP, "ca", properties={"template": {"containers": []}})


# Types as ARM spells them in the example responses: servicebus/.../examples/NameSpaces/SBNameSpaceGet.json
# ("Microsoft.ServiceBus/Namespaces"), eventhub/.../NameSpaces/EHNameSpaceGet.json and signalr/.../SignalR_Get.json.
BROKERS = [
    ("Microsoft.ServiceBus/Namespaces", {"sku": {"name": "Premium", "tier": "Premium", "capacity": 1}}),
    ("Microsoft.EventHub/Namespaces", {"sku": {"name": "Standard", "tier": "Standard", "capacity": 1}}),
    ("Microsoft.SignalRService/SignalR", {"sku": {"name": "Premium_P1", "tier": "Premium", "capacity": 1}}),
]


@pytest.mark.parametrize(("rtype", "fields"), BROKERS, ids=lambda v: v if isinstance(v, str) else "")
def test_any_managed_broker_passes(rtype, fields):
    broker = resource(rtype, "broker", properties={"provisioningState": "Succeeded"}, **fields)
    assert verdicts("scale.managed-messaging", [an_app(), broker]) == {"test": "pass"}


def test_in_process_messaging_fails():
    assert verdicts("scale.managed-messaging", [an_app()]) == {"test": "fail"}


def test_without_container_apps_it_does_not_apply():
    broker = resource(*BROKERS[0][:1], "broker", properties={})
    assert verdicts("scale.managed-messaging", [broker]) == {"test": "not_applicable"}
    assert verdicts("scale.managed-messaging", []) == {"test": "not_applicable"}


def test_brokers_not_collected_is_not_assessed():
    collected = [APP, "Microsoft.ServiceBus/namespaces", "Microsoft.EventHub/namespaces"]  # no SignalR
    assert verdicts("scale.managed-messaging", [an_app()], collected=collected) == {"test": "not_assessed"}


def test_messaging_is_advisory():
    from auditor.registry import discover

    meta = discover(entry_points=False).by_id()["scale.managed-messaging"].meta
    assert meta.severity.value in ("low", "info")
