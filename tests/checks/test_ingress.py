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
    assert verdicts("aca.ingress-not-public", [lost]) == {"lost": "not_assessed"}


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
