"""The secret detector, its exemptions and the one scrubber every finding passes (issue 11 §2, §5;
issue 9's secret-detector item).

Formats follow the vendors' documentation of their credentials: StackExchange.Redis configuration
strings (https://stackexchange.github.io/StackExchange.Redis/Configuration), URI userinfo
(RFC 3986 §3.2.1, as in redis://, mongodb+srv:// and postgres:// connection URIs), Azure Storage
SAS tokens (https://learn.microsoft.com/rest/api/storageservices/create-service-sas: `sig=`), JWTs
(RFC 7519), GitHub tokens (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/),
AWS access key ids (AKIA/ASIA, 20 characters), OpenAI project keys (sk-proj-), Slack incoming
webhooks (https://api.slack.com/messaging/webhooks) and ADO.NET `Password = x` with spaces.
"""

from __future__ import annotations

import json

import pytest

from auditor import engine
from auditor.api import check, failed, passed
from auditor.inventory import Inventory
from auditor.model import Observation
from auditor.secrets import MARKER, TOO_DEEP, detect, scrub, scrub_evidence, scrub_text
from tests.checks.helpers import SUB, snapshot
from tests.test_engine import catalogue_of, meta, vaults

#: (variable name, value, the secret inside it): one per format the detector must find.
PLANTED = [
    (
        "REDIS",
        "redis-voice.redis.cache.windows.net:6380,password=Qx7vT2mK9pL4sR8wZ1nB5c,ssl=True",
        "Qx7vT2mK9pL4sR8wZ1nB5c",
    ),
    ("CACHE_URL", "redis://default:Zp4Kq9Lm2Xv7Rt1Wn8Bc@redis.example.com:6379", "Zp4Kq9Lm2Xv7Rt1Wn8Bc"),
    ("CACHE", "rediss://:Wn8BcZp4Kq9Lm2Xv7Rt1@redis-voice.redis.cache.windows.net:6380/0", "Wn8BcZp4Kq9Lm2Xv7Rt1"),
    (
        "MONGO",
        "mongodb+srv://app:Hj3kL9mN2pQ7rS4t@cluster0.mongocluster.cosmos.azure.com/?tls=true",
        "Hj3kL9mN2pQ7rS4t",
    ),
    ("DATABASE_URL", "postgres://app:Tq5wE8rY1uI4oP7a@pg.postgres.database.azure.com:5432/app", "Tq5wE8rY1uI4oP7a"),
    ("BACKEND", "https://svc:Mb6nV9cX2zL5kJ8h@api.example.com/v1", "Mb6nV9cX2zL5kJ8h"),
    (
        "BLOB",
        "https://st.blob.core.windows.net/c?sv=2022-11-02&sp=r&se=2030-01-01T00:00:00Z&sig=Ab3dEf6hIj9kLm2nOp5qRs8tUv%2Bw%3D",
        "Ab3dEf6hIj9kLm2nOp5qRs8tUv",
    ),
    (
        "AUTH",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAtdm9pY2UifQ.Zk3pQ8sT1vX4yA7bC0dE2fG5hJ8kL1mN4pR7sU0wX3z",
        "Zk3pQ8sT1vX4yA7bC0dE2fG5hJ8kL1mN4pR7sU0wX3z",
    ),
    ("GH", "ghp_R7tY2uI5oP8aS1dF4gH7jK0lZ3xC6vB9nM2q", "R7tY2uI5oP8aS1dF4gH7jK0lZ3xC6vB9nM2q"),
    (
        "GH_FINE",
        "github_pat_11ABCDEFG0aB1cD2eF3gH4_iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ6",
        "iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ6",
    ),
    ("OPENAI", "sk-proj-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz"),
    ("AWS", "AKIAQ3EGRTYUIOP5ASDF", "AKIAQ3EGRTYUIOP5ASDF"),
    (
        "ALERTS",
        "https://hooks.slack.com/services/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",
        "Pq9Rs8Tu7Vw6Xy5Za4Bc3De2",
    ),
    ("SQL", "Server=tcp:sql.database.windows.net;User ID=app;Password = Fg7Hj8Kl9Zx;", "Fg7Hj8Kl9Zx"),
]
#: Values an exemption used to pass because of how they begin, though the rest says secret.
EXEMPTION_ABUSE = [
    ("SETTINGS", "InstrumentationKey=00000000-1111-2222-3333-444444444444;AccountKey=Vb5Nm6Qw7Er8Ty9Ui0Op"),
    ("SETTINGS", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/);Password=Vb5Nm6Qw7Er8"),
    ("DB_PASSWORD", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/) Vb5Nm6Qw7Er8"),
    ("API_TOKEN", "https://example.com/callback?token=Vb5Nm6Qw7Er8Ty9U"),
    ("SERVICE", "https://user:Vb5Nm6Qw7Er8@example.com/"),
    (
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "InstrumentationKey=00000000-1111-2222-3333-444444444444;Secret=Vb5Nm6Qw",
    ),
    ("DB_PASSWORD", "https://Vb5Nm6Qw7Er8"),
    ("CLIENT_SECRET", "https://login.example.com/?client_secret_hint=Vb5N"),
]


@pytest.mark.parametrize(("name", "value", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_every_planted_format_is_found_by_its_value(name, value, secret):
    match = detect(name, value, SUB)
    assert match is not None, value
    assert not match.pattern.startswith("name "), match.pattern  # the value, not the variable's name, gave it away
    assert secret not in json.dumps(match.to_evidence())


@pytest.mark.parametrize(("name", "value", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_free_text_loses_every_planted_format(name, value, secret):
    text = f"the value of {name} was {value} and nothing else"
    scrubbed = scrub_text(text, SUB)
    assert secret not in scrubbed and secret[:8] not in scrubbed
    assert MARKER.search(scrubbed) and scrubbed.startswith(f"the value of {name} was ")


@pytest.mark.parametrize(("name", "value"), EXEMPTION_ABUSE)
def test_an_exemption_covers_a_whole_value_not_its_prefix(name, value):
    assert detect(name, value, SUB) is not None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://eastus2-3.in."
            "applicationinsights.azure.com/;LiveEndpoint=https://eastus2.livediagnostics.monitor.azure.com/;"
            "ApplicationId=55555555-6666-7777-8888-999999999999",
        ),
        ("DB_PASSWORD", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db-password/)"),
        ("DB_PASSWORD", "@Microsoft.KeyVault(VaultName=kv-voice;SecretName=db-password)"),
        ("SERVICE_KEY_URL", "https://example.com/path?api-version=2024-01-01"),
        ("REDIS_HOST", "redis-voice.redis.cache.windows.net:6380,ssl=True,abortConnect=False"),
        ("MONGO_URL", "mongodb+srv://cluster0.mongocluster.cosmos.azure.com/?tls=true&authMechanism=MONGODB-OIDC"),
        ("TASK_NAME", "sk-learn-pipeline-for-task-routing"),
    ],
)
def test_sound_values_stay_clean(name, value):
    assert detect(name, value, SUB) is None


def test_a_marker_is_read_back_as_the_verdict_it_records():
    original = detect("OPENAI", PLANTED[10][1], SUB)
    assert original is not None
    again = detect("OPENAI", original.marker, SUB)
    assert again == original
    assert scrub_text(f"x {original.marker} y", SUB) == f"x {original.marker} y"


def test_messages_and_expected_values_are_scrubbed_by_the_engine():
    """A check that echoes a value into its message (as a rate limit once echoed a named value)
    leaks nothing: the engine scrubs every string of every finding."""
    secret = "sk-proj-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz"

    @check(**meta("t.echo"))
    def echo(res, ctx):
        return passed(f"calls={{{{limit}}}} = {secret}", expected={"calls": secret})

    (finding,) = engine.run(catalogue_of(echo), Inventory(snapshot(vaults({}))))
    text = json.dumps(finding.to_dict())
    assert "Ab1Cd2Ef" not in text and "OpenAI key" in text
    assert finding.evidence["message"].startswith("calls={{limit}} = [redacted: OpenAI key, hash ")


@pytest.mark.parametrize("depth", [450, 980, 5000])
def test_deeply_nested_values_are_scrubbed_without_recursion(depth):
    """Issue 11 §5: an env value nested 450-980 levels deep raised RecursionError in the scrubber.
    The walk is iterative; below MAX_EVIDENCE_DEPTH values stay, deeper ones become a note."""
    value: object = {"name": "API_KEY", "value": "Vb5Nm6Qw7Er8Ty9Ui0Op"}
    for _ in range(depth):
        value = [value]
    scrubbed = scrub(value, SUB)
    node = scrubbed
    levels = 0
    while isinstance(node, list):
        node, levels = node[0], levels + 1
    assert node == TOO_DEEP and levels < depth
    assert "Vb5Nm6Qw" not in repr(scrub([{"name": "API_KEY", "value": "Vb5Nm6Qw7Er8Ty9Ui0Op"}], SUB))


def test_a_deep_observation_reaches_every_report_writer():
    @check(**meta("t.deep"))
    def deep(res, ctx):
        value: object = "leaf"
        for _ in range(3000):
            value = {"v": value}
        return failed("deep", observations=[Observation("properties.x", value)])

    (finding,) = engine.run(catalogue_of(deep), Inventory(snapshot(vaults({}))))
    assert TOO_DEEP in json.dumps(finding.to_dict())


def test_scrub_evidence_keeps_structure():
    evidence = {"message": "ok", "observations": [{"path": "a", "observed": {"n": 1, "ok": True}}]}
    assert scrub_evidence(evidence, SUB) == evidence


def test_a_variable_value_in_no_known_format_is_withheld_from_evidence():
    """Evidence never holds a raw value from a field that can carry secrets: an env entry whose
    value matches no pattern shows its fingerprint; a value whose shape carries none stays."""
    env = [
        {"name": "GREETING", "value": "correct-horse-battery"},
        {"name": "REPLICAS", "value": "3"},
        {"name": "ENDPOINT", "value": "https://aoai-voice.openai.azure.com/"},
    ]
    scrubbed = scrub(env, SUB)
    assert "correct-horse" not in repr(scrubbed) and scrubbed[0]["value"].startswith("[value withheld, hash ")
    assert scrubbed[1:] == env[1:]


def test_arm_ids_are_not_mistaken_for_keys():
    """A resource group name that mixes cases and digits makes a long base64-like run in an id."""
    rid = (
        "/subscriptions/3f2c8a91-5b7e-4d2a-9c61-2a4e8b0f7d13/resourceGroups/rgVoiceProd2024Westus2Primary0001"
        "/providers/Microsoft.App/managedEnvironments/cae"
    )
    assert scrub_text(rid, SUB) == rid
    assert detect("ENVIRONMENT_ID", rid, SUB) is None


def test_a_property_that_names_a_credential_is_withheld_wherever_it_appears():
    observed = {"logAnalyticsConfiguration": {"customerId": "x", "sharedKey": "correct-horse-battery"}}
    scrubbed = scrub(observed, SUB)
    assert "correct-horse" not in repr(scrubbed) and scrubbed["logAnalyticsConfiguration"]["customerId"] == "x"


SAMPLES_PER_PATTERN = {
    "storage connection string": "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=Vb5Nm6Qw7Er8==",
    "AccountKey": "AccountKey=Vb5Nm6Qw7Er8==",
    "SharedAccessKey": "SharedAccessKey=Vb5Nm6Qw7Er8=",
    "AccessKey": "Endpoint=https://x;AccessKey=Vb5Nm6Qw7Er8",
    "password in connection string": PLANTED[0][1],
    "PEM private key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "credentials in URI": PLANTED[1][1],
    "Slack webhook": PLANTED[12][1],
    "signature or key in URL query": PLANTED[6][1],
    "JWT": PLANTED[7][1],
    "GitHub token": PLANTED[8][1],
    "OpenAI key": PLANTED[10][1],
    "AWS access key id": PLANTED[11][1],
    "Slack token": "xoxb-123456789012-Vb5Nm6Qw7Er8Ty9U",
    "long base64 key": "Vb5Nm6Qw7Er8Ty9Ui0OpAs1Df2Gh3Jk4Lz5Xc6Vb7Nm8",
    "32+ hex key": "3f9c1d7e2b8a4c6d9e0f1a2b3c4d5e6f",
}


def test_every_pattern_has_a_sample_the_candidate_filter_admits():
    """The one-pass filter in front of the patterns must admit whatever any pattern finds."""
    from auditor.secrets import _CANDIDATE, SPAN_PATTERNS

    assert {p.label for p in SPAN_PATTERNS} == set(SAMPLES_PER_PATTERN)
    for pattern in SPAN_PATTERNS:
        sample = SAMPLES_PER_PATTERN[pattern.label]
        match = pattern.regex.search(sample)
        assert match is not None and (pattern.accept is None or pattern.accept(match.group(0))), pattern.label
        assert _CANDIDATE.search(match.group(0)), pattern.label
        assert detect("NEUTRAL", sample, SUB) is not None, pattern.label
