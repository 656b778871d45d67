"""The one secret detector and the one scrubber.

Used by the checks on configuration values, by the collector, which redacts values before they
reach a snapshot (`auditor.redaction`), and by the engine, which scrubs every string of every
finding before a renderer sees it.

A verdict names the pattern that matched and a short keyed fingerprint of the value, so that two
findings about the same key can be matched up, and never the value itself. A redacted value is
replaced by a marker, `[redacted: {pattern}, hash {fingerprint}]`; `detect` reads a marker back as
the verdict it records, so checks judge a redacted snapshot as they would the raw one.

Redacted App Service settings, as the collector stores them and `secrets.appservice-settings`
reads them: one resource per site and list, type "Microsoft.Web/sites/config", name
"appsettings" or "connectionstrings", id "{siteId}/config/{name}", and properties mapping each
setting name to

    {"redacted": true, "secret": bool, "pattern": str | None, "hash": str | None,
     "keyVaultReference": bool}

built by `redact_settings`. The fingerprint's key is the subscription id: stable across runs, so
a baseline can match a finding, and different per subscription, so a hash found in one tenant's
report cannot be tested against another's; 12 hex characters of HMAC-SHA256 make a dictionary
attack on a real key pointless.

Every pattern here sees snapshot text, so each one is linear in its input: a quantified run
starts only where the character before it cannot extend the run (a lookbehind), no two
quantifiers compete for the same characters, and structured values (the Application Insights
connection string, Key Vault references) are parsed by splitting instead of by regex.
tests/test_text_bounds.py holds the bound; benchmarks/bench_text_budgets.py prints the times.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from auditor.model import Evidence, Observation, Verdict

_I = re.I


@dataclass(frozen=True)
class _Pattern:
    label: str
    regex: re.Pattern[str]
    #: an extra test of the matched text, for shapes a regex alone would over-match
    accept: Callable[[str], bool] | None = None
    #: False for a pattern that only names what a whole value is; another pattern finds its secret
    in_text: bool = True


def _mixed(minimum: int) -> Callable[[str], bool]:
    """Random keys mix digits, upper and lower case; words, paths and names rarely do."""

    def accept(text: str) -> bool:
        digits = sum(c.isdigit() for c in text)
        upper = sum(c.isupper() for c in text)
        lower = sum(c.islower() for c in text)
        return min(digits, upper, lower) >= minimum

    return accept


#: Segments of ARM ids and paths: a run like "resourceGroups/rgVoice2024Prod/providers/Microsoft"
#: mixes cases and digits as a key does, but is a path.
_PATH_SEGMENTS = {"subscriptions", "resourcegroups", "providers"}


def _base64_key(text: str) -> bool:
    if "/" in text and any(segment.lower() in _PATH_SEGMENTS for segment in text.split("/")):
        return False
    return _mixed(3)(text)


def _hex_key(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


#: Patterns that find a secret inside any text: connection strings, URLs, policy XML, messages.
#: The label is what evidence shows; the order decides which label a value gets. A label never
#: contains "=", so that a message naming it is not mistaken for a secret itself.
SPAN_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("storage connection string", re.compile(r"DefaultEndpointsProtocol=", _I), in_text=False),
    _Pattern("AccountKey", re.compile(r"(?<![A-Za-z])AccountKey\s*=\s*[^;\s]+", _I)),
    _Pattern("SharedAccessKey", re.compile(r"SharedAccessKey\s*=\s*[^;\s]+", _I)),
    _Pattern("AccessKey", re.compile(r"(?<![A-Za-z])AccessKey\s*=\s*[^;\s]+", _I)),
    # SQL and ADO.NET "Password=x", "Password = x", StackExchange.Redis "host:6380,password=x,ssl=True";
    # a {{named value}} reference is how a policy should hold a password.
    _Pattern(
        "password in connection string",
        re.compile(r"(?<![A-Za-z0-9_-])(?:password|pwd)[ \t]*=[ \t]*[\"']?(?!\{\{)(?P<secret>[^;,\s<>\"'&]+)", _I),
    ),
    _Pattern(
        "PEM private key",
        re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[^-]*(?:-----END [A-Z ]{0,40}PRIVATE KEY-----)?"),
    ),
    # redis://, rediss://, mongodb+srv://, postgres://, https://user:pass@ ...: a password in the userinfo.
    _Pattern(
        "credentials in URI", re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@<>\"']*:[^/\s@<>\"']+@")
    ),
    _Pattern(
        "Slack webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+", _I)
    ),
    # SAS tokens (sig=), Functions keys (code=), API keys and tokens in a query string.
    _Pattern(
        "signature or key in URL query",
        re.compile(
            r"(?<=[?&;])(?:sig|signature|code|key|api[-_]?key|subscription-key|token|access_token|secret|"
            r"client_secret)=[^&#\s\"'<>]{8,}",
            _I,
        ),
    ),
    _Pattern("JWT", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    _Pattern(
        "GitHub token", re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")
    ),
    _Pattern(
        "OpenAI key",
        re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
        _mixed(1),
    ),
    _Pattern("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    _Pattern("Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    _Pattern(
        "long base64 key",
        re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])"),
        _base64_key,
    ),
    _Pattern("32+ hex key", re.compile(r"(?<![0-9A-Za-z/])[0-9a-fA-F]{32,}(?![0-9A-Za-z])"), _hex_key),
)
#: A whole value that is nothing but a key: judged without the mixed-case test a span needs.
_WHOLE_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("long base64 key", re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")),
    ("32+ hex key", re.compile(r"[0-9a-fA-F]{32,}")),
)
_COSMOS = "Cosmos DB connection string"
NAME_PATTERN = re.compile(r"CONNECTION_?STRING|_KEY$|^KEY$|SECRET|PASSWORD|PASSWD|_PWD$|_TOKEN$", re.I)
#: ARM property names whose string value is a credential wherever they appear (lower-cased): a
#: Log Analytics sharedKey, a proxy password, a key or connection string some API returns.
SECRET_FIELDS = frozenset(
    {
        "password",
        "secret",
        "clientsecret",
        "sharedkey",
        "primarykey",
        "secondarykey",
        "accesskey",
        "accountkey",
        "primarymasterkey",
        "secondarymasterkey",
        "connectionstring",
        "primaryconnectionstring",
        "secondaryconnectionstring",
        "sastoken",
        "apikey",
        "token",
        "accesstoken",
        "subscriptionkey",
    }
)
#: Square brackets, not angle brackets, so that a marker inside policy XML keeps it well-formed.
MARKER = re.compile(r"\[redacted: ([^\[\],]{1,80}), hash ([0-9a-f]{12})\]")
#: Values deeper than this in a finding's evidence are replaced by a note: a renderer (or the
#: JSON writer) would otherwise recurse into them without bound.
MAX_EVIDENCE_DEPTH = 64
TOO_DEEP = f"<nested deeper than {MAX_EVIDENCE_DEPTH} levels: not shown>"

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_APP_INSIGHTS_KEYS = {
    "instrumentationkey",
    "ingestionendpoint",
    "liveendpoint",
    "profilerendpoint",
    "snapshotendpoint",
    "applicationid",
    "endpointsuffix",
    "location",
    "authorization",
}


@dataclass(frozen=True)
class SecretMatch:
    name: str
    pattern: str
    fingerprint: str

    def to_evidence(self) -> dict[str, str]:
        return {"name": self.name, "pattern": self.pattern, "hash": self.fingerprint}

    @property
    def marker(self) -> str:
        return marker(self.pattern, self.fingerprint)


def marker(pattern: str, fingerprint_: str) -> str:
    return f"[redacted: {pattern}, hash {fingerprint_}]"


def fingerprint(value: str, salt: str) -> str:
    """12 hex characters of HMAC-SHA256(salt, value): enough to match two findings, useless to
    recover a key. The salt is the subscription id, so hashes do not correlate across tenants."""
    return hmac.new(salt.encode(), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:12]


#: What every pattern above needs somewhere in a text: one pass over a string that has none of
#: these (most names, paths and states) saves fifteen. Keep it in step with SPAN_PATTERNS.
_CANDIDATE = re.compile(r"=|://|eyJ|gh[pousr]_|github_pat_|sk-|AKIA|ASIA|xox|-----BEGIN|[A-Za-z0-9+/]{32}")


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Every secret in text as (start, end, label), earliest first, overlaps merged into the first."""
    if not _CANDIDATE.search(text):
        return []
    found: list[tuple[int, int, str]] = []
    for pattern in SPAN_PATTERNS:
        if not pattern.in_text:
            continue
        # A pattern with a "secret" group replaces only that part: `password="x"` in policy XML
        # must stay an attribute.
        group = "secret" if "secret" in pattern.regex.groupindex else 0
        for match in pattern.regex.finditer(text):
            if pattern.accept is None or pattern.accept(match.group(0)):
                found.append((match.start(group), match.end(group), pattern.label))
    found.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, str]] = []
    for start, end, label in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, label))
    return merged


def _first_label(text: str) -> str | None:
    """The label of the first pattern (in SPAN_PATTERNS order) that finds a secret in text."""
    if not _CANDIDATE.search(text):
        return None
    for pattern in SPAN_PATTERNS:
        for match in pattern.regex.finditer(text):
            if pattern.accept is None or pattern.accept(match.group(0)):
                if pattern.label == "AccountKey" and "accountendpoint=" in text.lower():
                    return _COSMOS
                return pattern.label
    return None


def _is_app_insights(value: str) -> bool:
    """An Application Insights connection string: InstrumentationKey=<guid> and known endpoint
    settings, nothing else. Parsed by splitting, so that its length costs linear time."""
    parts = [p.strip() for p in value.strip().split(";") if p.strip()]
    if not parts:
        return False
    first_key, _, first_value = parts[0].partition("=")
    if first_key.strip().lower() != "instrumentationkey" or not _GUID.fullmatch(first_value.strip()):
        return False
    for part in parts[1:]:
        key, sep, _ = part.partition("=")
        if not sep or key.strip().lower() not in _APP_INSIGHTS_KEYS:
            return False
    return True


_KEY_VAULT_REFERENCE = re.compile(
    r"@Microsoft\.KeyVault\((?:SecretUri=https://[^\s();@?]+|VaultName=[^\s();=]+;\s?SecretName=[^\s();=]+"
    r"(?:;\s?SecretVersion=[^\s();=]*)?)\)",
    re.I,
)


def is_key_vault_reference(value: str) -> bool:
    """An App Service Key Vault reference, as a whole value: `@Microsoft.KeyVault(SecretUri=...)`
    or `@Microsoft.KeyVault(VaultName=...;SecretName=...)`, and nothing after it."""
    return _KEY_VAULT_REFERENCE.fullmatch(value.strip()) is not None


def harmless(value: str) -> bool:
    """Values that carry no secret whatever their variable is called: booleans, numbers, GUIDs,
    Key Vault references, Application Insights connection strings and plain URLs (a URL with a
    password or a signature is caught by the value patterns before this is asked)."""
    text = value.strip()
    if text.lower() in ("true", "false") or text.isdigit() or _GUID.fullmatch(text):
        return True
    if is_key_vault_reference(text) or _is_app_insights(text):
        return True
    return _plain_url(text)


def _plain_url(text: str) -> bool:
    """An http(s) URL to a named host, with no userinfo, query or fragment: what an endpoint
    setting holds. Anything more ("https://hunter2", "https://x/?t=...") is judged by the name."""
    if not text.lower().startswith(("https://", "http://")) or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return False
    return "." in host and "@" not in parts.netloc and not parts.query and not parts.fragment


def read_marker(value: str) -> tuple[str, str] | None:
    """(pattern, fingerprint) of the first redaction marker in value, as the collector writes them."""
    match = MARKER.search(value)
    return (match.group(1), match.group(2)) if match else None


def detect(name: str, value: str, salt: str) -> SecretMatch | None:
    """Whether a configuration value looks like a secret, judged by its value first, then its name.

    A value redacted at collection is judged by the verdict its marker records."""
    if not value:
        return None
    recorded = read_marker(value)
    if recorded is not None:
        return SecretMatch(name, recorded[0], recorded[1])
    label = _first_label(value) or _whole_value_label(value)
    if label is None:
        named = NAME_PATTERN.search(name) if name else None
        if named is None or harmless(value):
            return None
        label = f"name {named.group(0)}"
    return SecretMatch(name, label, fingerprint(value, salt))


def _whole_value_label(value: str) -> str | None:
    stripped = value.strip()
    return next((label for label, regex in _WHOLE_VALUE_PATTERNS if regex.fullmatch(stripped)), None)


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
            # What the setting claims to be; only a well-formed reference also exempts a secret-like name.
            "keyVaultReference": isinstance(value, str) and value.strip().lower().startswith("@microsoft.keyvault("),
        }
    return out


def scrub_text(text: str, salt: str) -> str:
    """text with every secret found in it replaced by a marker; markers already there stay."""
    if not _CANDIDATE.search(text):
        return text
    out: list[str] = []
    position = 0
    for kept in MARKER.finditer(text):
        out.append(_scrub_plain(text[position : kept.start()], salt))
        out.append(kept.group(0))
        position = kept.end()
    out.append(_scrub_plain(text[position:], salt))
    return "".join(out)


def _scrub_plain(text: str, salt: str) -> str:
    spans = _spans(text)
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end, label in spans:
        out.append(text[position:start])
        out.append(marker(label, fingerprint(text[start:end], salt)))
        position = end
    out.append(text[position:])
    return "".join(out)


def scrub_value(value: str, name: str, salt: str) -> str:
    """One string of a finding: a value that is nothing but a key, or that its variable's name
    calls secret, becomes one marker; otherwise each secret inside it does."""
    if not name and not _CANDIDATE.search(value):
        return value  # the common case: nothing any pattern could match
    if MARKER.fullmatch(value):
        return value
    whole = _whole_value_label(value)
    if whole is not None:
        return marker(whole, fingerprint(value, salt))
    if name:
        # The value of a variable (an env entry, a setting): the verdict the collector would have
        # stored in its place, or, when nothing matched, only a fingerprint unless the value's
        # shape carries no secret. A secret in a format the detector does not know stays out too.
        match = detect(name, value, salt)
        if match is not None:
            return match.marker
        if not harmless(value):
            return withheld(value, salt)
    return scrub_text(value, salt)


#: How a check shows an APIM named value it resolved: `{{name}} = value`, the value running to the
#: next space. Bounded between the braces, so that a scan stays linear in the text.
RESOLVED_NAMED_VALUE = re.compile(r"\{\{([^{}\s][^{}]{0,255})\}\} = (\S+)")


def withhold_resolved_named_values(text: str, salt: str) -> str:
    """A message that shows a named value's value (`{{name}} = value`) keeps it only when its shape
    carries no secret (a number, say); otherwise the value becomes the detector's marker or a
    fingerprint, as a variable's value does. A non-secret named value may hold a credential in
    a format no pattern knows."""
    if "}} = " not in text:
        return text

    def shown(found: re.Match[str]) -> str:
        name, value = found.groups()
        return f"{{{{{name}}}}} = {scrub_value(value, name, salt)}"

    return RESOLVED_NAMED_VALUE.sub(shown, text)


def withheld(value: str, salt: str) -> str:
    """A variable's value in evidence when no pattern matched: its fingerprint, so that a change shows."""
    return f"[value withheld, hash {fingerprint(value, salt)}]"


Judge = Callable[[tuple[Any, ...], str, str], str]
_SCALARS = frozenset({bool, int, float, type(None)})


def _settled(child: Any, variable: str, candidate: re.Pattern[str] | None) -> bool:
    """Whether a leaf is kept as it is without a judge: a number, boolean or null, or (with a
    candidate filter) a string of no variable in which the filter finds nothing."""
    kind = type(child)
    if kind in _SCALARS:
        return True
    return kind is str and candidate is not None and not variable and candidate.search(child) is None


#: How many trailing keys of its path a judge sees: enough for every redaction rule, and constant,
#: so that a deeply nested value costs time linear in its size.
PATH_KEPT = 8


def walk_strings(
    value: Any,
    judge: Judge,
    judge_key: Callable[[str], str],
    max_depth: int | None = None,
    with_paths: bool = True,
    candidate: re.Pattern[str] | None = None,
    share_unchanged: bool = False,
) -> Any:
    """A copy of a JSON-like value with every string value passed through judge(path, name, text)
    and every string key through judge_key. `name` is the variable a value belongs to: the
    sibling "name" of a {"name": ..., "value": ...} pair; `path` is the last PATH_KEPT keys and
    indexes leading to it, or () unless with_paths. Iterative, so that nesting depth costs no
    stack; containers deeper than max_depth become TOO_DEEP. With `candidate`, a string or key
    that belongs to no variable and in which it finds nothing is kept without asking the judge.
    With `share_unchanged`, a value that the walk leaves exactly as it was (every string and key
    the same object, only dicts and lists, nothing too deep) is returned itself, not copied."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int, tuple[Any, ...], str]] = [(value, holder, 0, 0, (), "")]
    limit = max_depth if max_depth is not None else -1
    changed = False
    while stack:
        item, parent, slot, depth, path, name = stack.pop()
        kind = type(item)  # exact types first: isinstance against Mapping is slow, and this loop is hot
        if kind is str or (kind is not dict and kind is not list and isinstance(item, str)):
            keep = candidate is not None and not name and candidate.search(item) is None
            judged = item if keep else judge(path, name, item)
            changed = changed or judged is not item
            parent[slot] = judged
        elif kind is not dict and kind is not list and not isinstance(item, (list, tuple, Mapping)):
            parent[slot] = item
        elif depth == limit:
            parent[slot] = TOO_DEEP
            changed = True
        elif kind is dict or isinstance(item, Mapping):
            changed = changed or kind is not dict
            owner = item.get("name") if isinstance(item.get("name"), str) else ""
            out_dict: dict[Any, Any] = {}
            parent[slot] = out_dict
            for key, child in item.items():
                plain = not isinstance(key, str) or (candidate is not None and candidate.search(key) is None)
                new_key = key if plain else judge_key(key)
                changed = changed or new_key is not key
                # The variable a string belongs to: the pair's name, or the property when it names a credential.
                variable = owner if key == "value" else key if str(key).lower() in SECRET_FIELDS else ""
                if _settled(child, variable, candidate):  # most leaves: decided here, not pushed
                    out_dict[new_key] = child
                    continue
                out_dict[new_key] = None
                child_path = (*path[-PATH_KEPT + 1 :], key) if with_paths else path
                stack.append((child, out_dict, new_key, depth + 1, child_path, variable))
        else:
            changed = changed or kind is not list
            out_list: list[Any] = [None] * len(item)
            parent[slot] = out_list
            for index, child in enumerate(item):
                if _settled(child, "", candidate):
                    out_list[index] = child
                    continue
                child_path = (*path[-PATH_KEPT + 1 :], index) if with_paths else path
                stack.append((child, out_list, index, depth + 1, child_path, ""))
    return value if share_unchanged and not changed else holder[0]


def scrub(value: object, salt: str, max_depth: int = MAX_EVIDENCE_DEPTH, share_unchanged: bool = False) -> object:
    """A copy of an observed value with every secret-looking string replaced by its verdict
    (with `share_unchanged`, the value itself when nothing in it is replaced)."""
    kind = type(value)
    if kind is str:  # most evidence is one string or scalar: what the walk would do, without its frame
        text: str = value  # type: ignore[assignment]
        return text if _CANDIDATE.search(text) is None else _scrub_string(text, "", salt)
    if kind is bool or kind is int or kind is float or value is None:
        return value
    return walk_strings(
        value,
        lambda _path, name, text: _scrub_string(text, name, salt),
        lambda key: scrub_text(key, salt),
        max_depth,
        with_paths=False,
        candidate=_CANDIDATE,
        share_unchanged=share_unchanged,
    )


def _scrub_string(text: str, name: str, salt: str) -> str:
    """One string of evidence, `name` the variable it belongs to: named values shown resolved are
    withheld, then a secret-looking value is replaced by its verdict."""
    return scrub_value(withhold_resolved_named_values(text, salt), name, salt)


def scrub_evidence(evidence: Mapping[str, Any], salt: str) -> dict[str, Any]:
    """A finding's evidence (message, observations, expected) with no secret in any string: the
    one scrubber the engine runs before any renderer sees a finding."""
    out = scrub(dict(evidence), salt)
    assert isinstance(out, dict)
    return out


def scrub_verdict(verdict: Verdict, salt: str) -> Evidence:
    """A verdict's evidence with no secret in any string: the one scrubber the engine runs before
    any renderer sees a finding. The same walk as scrub_evidence over the evidence dict, part by
    part, so that no dict of it is built: a message or expected value sits one level down in that
    dict, an observation's path and value three (evidence, observations, observation)."""
    observations = tuple(_scrub_observation(o, salt) for o in verdict.observations)
    expected = None if verdict.expected is None else scrub(verdict.expected, salt, MAX_EVIDENCE_DEPTH - 1)
    return Evidence(scrub(verdict.message, salt, MAX_EVIDENCE_DEPTH - 1), observations, expected)


def _scrub_observation(observation: Observation, salt: str) -> Observation:
    path = scrub(observation.path, salt, MAX_EVIDENCE_DEPTH - 3)
    if type(path) is str:  # one path is read on every resource of a type: one string for all findings
        path = sys.intern(path)
    # An observed object or array that holds no secret stays the snapshot's own: not a copy per finding.
    observed = scrub(observation.observed, salt, MAX_EVIDENCE_DEPTH - 3, share_unchanged=True)
    if path is observation.path and observed is observation.observed:
        return observation
    return Observation(path, observed, observation.default_applied)  # type: ignore[arg-type]
