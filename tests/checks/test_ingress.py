from tests.checks.helpers import arm_id, only, resource, verdicts

APP = "Microsoft.App/containerApps"
ENV = "Microsoft.App/managedEnvironments"


def environment(name, vnet=None):
    props = {"provisioningState": "Succeeded", "zoneRedundant": False}
    if vnet is not None:
        props["vnetConfiguration"] = vnet
    return resource(ENV, name, properties=props)


def app(name, env, ingress=None):
    config = {"activeRevisionsMode": "Single"}
    if ingress is not None:
        config["ingress"] = ingress
    return resource(
        APP,
        name,
        properties={"managedEnvironmentId": env["id"], "configuration": config, "template": {"containers": []}},
    )


SUBNET = arm_id("Microsoft.Network/virtualNetworks/subnets", "vnet", "aca")


def test_environment_internal():
    result = verdicts(
        "aca.environment-internal",
        [
            environment("internal", {"infrastructureSubnetId": SUBNET, "internal": True}),
            environment("public-vnet", {"infrastructureSubnetId": SUBNET, "internal": False}),
            environment("no-vnet"),
        ],
    )
    assert result == {"internal": "pass", "public-vnet": "fail", "no-vnet": "fail"}
    assert only("aca.environment-internal", []).status.value == "not_applicable"
    odd = environment("odd", {"infrastructureSubnetId": SUBNET, "internal": "yes"})
    assert verdicts("aca.environment-internal", [odd]) == {"odd": "not_assessed"}


def test_ingress_not_public():
    public_env = environment("public")
    private_env = environment("private", {"infrastructureSubnetId": SUBNET, "internal": True})
    apps = [
        app("direct", public_env, {"external": True, "targetPort": 80}),
        app("in-vnet", private_env, {"external": True, "targetPort": 80}),
        app("env-only", public_env, {"external": False, "targetPort": 80}),
        app(
            "allow-listed",
            public_env,
            {
                "external": True,
                "ipSecurityRestrictions": [{"name": "gw", "ipAddressRange": "10.0.1.0/24", "action": "Allow"}],
            },
        ),
        app(
            "deny-listed",
            public_env,
            {
                "external": True,
                "ipSecurityRestrictions": [{"name": "bad", "ipAddressRange": "1.2.3.4/32", "action": "Deny"}],
            },
        ),
        app("worker", public_env),
        app(
            "open-allow",
            public_env,
            {
                "external": True,
                "ipSecurityRestrictions": [{"name": "all", "ipAddressRange": "0.0.0.0/0", "action": "Allow"}],
            },
        ),
        app(
            "odd-range",
            public_env,
            {
                "external": True,
                "ipSecurityRestrictions": [{"name": "x", "ipAddressRange": "gateway", "action": "Allow"}],
            },
        ),
    ]
    result = verdicts("aca.ingress-not-public", [public_env, private_env, *apps])
    assert result == {
        "direct": "fail",
        "in-vnet": "pass",
        "env-only": "pass",
        "allow-listed": "pass",
        "deny-listed": "fail",
        "worker": "pass",
        "open-allow": "fail",
        "odd-range": "not_assessed",
    }


def test_ingress_with_missing_environment_is_not_assessed():
    lost = app("lost", {"id": arm_id(ENV, "gone")}, {"external": True})
    nameless = app("nameless", {"id": ""}, {"external": True})
    assert verdicts("aca.ingress-not-public", [lost, nameless]) == {"lost": "not_assessed", "nameless": "not_assessed"}


GATEWAY = "Microsoft.Network/applicationGateways"
PIP = "Microsoft.Network/publicIPAddresses"


def restricted(name, env, *ranges, action="Allow"):
    rules = [{"name": f"r{i}", "ipAddressRange": r, "action": action} for i, r in enumerate(ranges)]
    return app(name, env, {"external": True, "ipSecurityRestrictions": rules})


def gateway_with_ip(address):
    pip = resource(PIP, "pip-agw", properties={"ipAddress": address, "publicIPAllocationMethod": "Static"})
    frontend = {"name": "public", "properties": {"publicIPAddress": {"id": pip["id"]}}}
    agw = resource(GATEWAY, "agw", properties={"frontendIPConfigurations": [frontend]})
    return [agw, pip]


def test_allow_list_must_be_limited_to_the_gateway():
    env = environment("public")
    apps = [
        restricted("gw-subnet", env, "10.20.1.0/24"),
        restricted("gw-address", env, "20.1.2.3/32"),
        restricted("configured", env, "198.51.100.0/24"),
        restricted("anywhere", env, "0.0.0.0/0"),
        restricted("mixed", env, "10.20.1.0/24", "203.0.113.7"),
        restricted("deny-only", env, "203.0.113.7", action="Deny"),
        restricted("odd", env, "not-an-ip"),
    ]
    result = verdicts(
        "aca.ingress-not-public",
        [env, *apps, *gateway_with_ip("20.1.2.3")],
        params={"allowed_ranges": ["198.51.100.0/24"]},
    )
    assert result == {
        "gw-subnet": "pass",
        "gw-address": "pass",
        "configured": "pass",
        "anywhere": "fail",
        "mixed": "fail",
        "deny-only": "fail",
        "odd": "not_assessed",
    }


def test_allow_list_failure_names_the_open_range():
    env = environment("public")
    finding = only("aca.ingress-not-public", [env, restricted("a", env, "0.0.0.0/0")])
    assert "0.0.0.0/0" in finding.evidence["message"]


def test_public_range_without_gateway_collection_is_not_assessed():
    env = environment("public")
    finding = only(
        "aca.ingress-not-public",
        [env, restricted("a", env, "20.1.2.3/32")],
        collected=[APP, ENV],
    )
    assert finding.status.value == "not_assessed"
    assert "Microsoft.Network/applicationGateways" in finding.evidence["message"]


def test_environment_with_public_access_disabled_keeps_external_ingress_private():
    # Newer api-versions: a workload-profiles environment reached only through private endpoints.
    env = environment("pe-only", {"infrastructureSubnetId": SUBNET, "internal": False})
    env["properties"]["publicNetworkAccess"] = "Disabled"
    assert verdicts("aca.ingress-not-public", [env, app("a", env, {"external": True})]) == {"a": "pass"}


def test_app_that_names_its_environment_by_environment_id():
    # Newer api-versions return environmentId beside (or, in some tools' output, instead of) managedEnvironmentId.
    env = environment("private", {"infrastructureSubnetId": SUBNET, "internal": True})
    item = app("a", env, {"external": True})
    item["properties"]["environmentId"] = item["properties"].pop("managedEnvironmentId")
    assert verdicts("aca.ingress-not-public", [env, item]) == {"a": "pass"}


def test_managed_environment_example_shape():
    # Mirrors specification/app/.../ContainerApps/stable/2025-01-01/examples/ManagedEnvironments_Get.json:
    # a VNet-integrated workload-profiles environment without `internal`, so its load balancer is public.
    env = {
        "id": arm_id(ENV, "jlaw-demo1"),
        "name": "jlaw-demo1",
        "type": ENV,
        "location": "North Central US",
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "deploymentErrors": None,
            "defaultDomain": "jlaw-demo1.k4apps.io",
            "staticIp": "20.42.33.145",
            "zoneRedundant": True,
            "vnetConfiguration": {"infrastructureSubnetId": SUBNET},
            "workloadProfiles": [{"name": "My-consumption-01", "workloadProfileType": "Consumption"}],
            "peerAuthentication": {"mtls": {"enabled": True}},
        },
    }
    finding = only("aca.environment-internal", [env])
    assert finding.status.value == "fail"
    assert {
        "path": "properties.vnetConfiguration.internal",
        "observed": False,
        "defaultApplied": True,
    } in finding.evidence["observations"]


def test_ingress_https_only():
    env = environment("e")
    result = verdicts(
        "aca.ingress-https-only",
        [
            app("secure", env, {"external": True, "allowInsecure": False}),
            app("default", env, {"external": True}),
            app("insecure", env, {"external": True, "allowInsecure": True}),
            app("odd", env, {"external": True, "allowInsecure": "no"}),
        ],
    )
    assert result == {"secure": "pass", "default": "pass", "insecure": "fail", "odd": "not_assessed"}
    assert only("aca.ingress-https-only", [env]).status.value == "not_applicable"


def test_missing_configuration_is_not_assessed_not_ingress_free():
    bare = resource(APP, "bare", properties={"managedEnvironmentId": environment("e")["id"], "template": {}})
    assert verdicts("aca.ingress-not-public", [bare]) == {"bare": "not_assessed"}
    assert verdicts("aca.ingress-https-only", [bare]) == {"bare": "not_assessed"}
