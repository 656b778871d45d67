"""The one secret detector: used by the checks on configuration values and by the collector, which
redacts App Service settings before they reach a snapshot.

A verdict names the pattern that matched and a short salted hash of the value, so that two
findings about the same key can be matched up, and never the value itself.

Redacted App Service settings, as the collector stores them and `secrets.appservice-settings`
reads them: one resource per site and list, type "Microsoft.Web/sites/config", name
"appsettings" or "connectionstrings", id "{siteId}/config/{name}", and properties mapping each
setting name to

    {"redacted": true, "secret": bool, "pattern": str | None, "hash": str | None,
     "keyVaultReference": bool}

built by `redact_settings`. "secret" is the detector's verdict, "pattern" the label of what
matched, "hash" the fingerprint below. The salt is the subscription id: stable across runs, so a
baseline can match a finding, and different per subscription, so a hash found in one tenant's
report cannot be tested against another's; 12 hex characters of HMAC-SHA256 make a dictionary
attack on a real key pointless.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

#: (label, pattern) pairs; the label is what evidence shows.
VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AccountEndpoint=…;AccountKey=", re.compile(r"AccountEndpoint=[^;]+;\s*AccountKey=", re.I)),
    ("DefaultEndpointsProtocol=", re.compile(r"DefaultEndpointsProtocol=", re.I)),
    ("AccountKey=", re.compile(r"AccountKey=[^;\s]+", re.I)),
    ("SharedAccessKey=", re.compile(r"SharedAccessKey=[^;\s]+", re.I)),
    ("AccessKey=", re.compile(r"(?<![A-Za-z])AccessKey=[^;\s]+", re.I)),
    ("Password=", re.compile(r"(?:^|[;\s])(?:Password|Pwd)=[^;\s]+", re.I)),
    ("PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("long base64 key", re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$")),
    ("32+ hex key", re.compile(r"^[0-9a-fA-F]{32,}$")),
)
NAME_PATTERN = re.compile(r"CONNECTION_?STRING|_KEY$|^KEY$|SECRET|PASSWORD|PASSWD|_PWD$|_TOKEN$", re.I)

#: Values that hold no secret although their names or shapes may suggest one.
_APP_INSIGHTS = re.compile(r"^\s*InstrumentationKey=[0-9a-f-]{36}(;\s*[A-Za-z]+=[^;]*)*;?\s*$", re.I)
_KEY_VAULT_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(", re.I)
_HARMLESS = re.compile(
    r"^(https?://\S+|true|false|\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I
)


@dataclass(frozen=True)
class SecretMatch:
    name: str
    pattern: str
    fingerprint: str

    def to_evidence(self) -> dict[str, str]:
        return {"name": self.name, "pattern": self.pattern, "hash": self.fingerprint}


def fingerprint(value: str, salt: str) -> str:
    """12 hex characters of HMAC-SHA256(salt, value): enough to match two findings, useless to
    recover a key. The salt is the subscription id, so hashes do not correlate across tenants."""
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()[:12]


def detect(name: str, value: str, salt: str) -> SecretMatch | None:
    """Whether a configuration value looks like a secret, judged by its value first, then its name."""
    if not value or _KEY_VAULT_REFERENCE.match(value) or _APP_INSIGHTS.match(value):
        return None
    for label, pattern in VALUE_PATTERNS:
        if pattern.search(value):
            return SecretMatch(name, label, fingerprint(value, salt))
    if NAME_PATTERN.search(name) and not _HARMLESS.match(value.strip()):
        return SecretMatch(name, f"name {NAME_PATTERN.search(name).group(0)}", fingerprint(value, salt))  # type: ignore[union-attr]
    return None


def redact_settings(settings: dict[str, str], salt: str) -> dict[str, dict[str, object]]:
    """App Service settings as a snapshot stores them: names and the detector's verdict, no values."""
    out: dict[str, dict[str, object]] = {}
    for name, value in settings.items():
        match = detect(name, value if isinstance(value, str) else "", salt)
        out[name] = {
            "redacted": True,
            "secret": match is not None,
            "pattern": match.pattern if match else None,
            "hash": match.fingerprint if match else None,
            "keyVaultReference": bool(isinstance(value, str) and _KEY_VAULT_REFERENCE.match(value)),
        }
    return out


def scrub(value: object, salt: str) -> object:
    """A copy of an observed value with every secret-looking string replaced by its verdict.

    The engine applies this to all evidence, so that a check which records a whole object (a
    container with its environment, say) cannot leak a key into a report."""
    if isinstance(value, str):
        match = detect("", value, salt)
        return f"<redacted: {match.pattern}, hash {match.fingerprint}>" if match else value
    if isinstance(value, list):
        return [scrub(item, salt) for item in value]
    if isinstance(value, dict):
        owner = value.get("name") if isinstance(value.get("name"), str) else ""
        out: dict[object, object] = {}
        for key, item in value.items():
            if isinstance(item, str):
                # {"name": "DB_PASSWORD", "value": "..."}: the value is judged by the variable's name too.
                match = detect(owner if key == "value" else "", item, salt)
                out[key] = f"<redacted: {match.pattern}, hash {match.fingerprint}>" if match else item
            else:
                out[key] = scrub(item, salt)
        return out
    return value
