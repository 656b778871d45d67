"""What the collector keeps of a resource's values: every secret replaced by a marker.

`golive collect --output` writes a file that CI uploads as an artifact, so a value that carries a
secret never reaches it. Each string of each resource is judged once, in the collector's worker:

- fields that hold credentials by definition (APIM backend credentials and proxy password,
  container app secret values, and any property named in auditor.secrets.SECRET_FIELDS, such as
  a Log Analytics `sharedKey`) are always replaced, unless the value's shape carries no secret;
- a variable's value (a container app `env` entry, an APIM named value) is replaced whole when
  the detector calls it secret, by its value or by the variable's name;
- webhook URLs of action groups keep their scheme and host and lose the rest;
- every other string (policy XML, URLs, tags, ...) keeps its text with each secret inside it
  replaced.

A marker reads `[redacted: {pattern}, hash {fingerprint}]` (auditor.secrets.marker), and the
detector reads it back as that verdict, so the checks judge a redacted snapshot as they would the
raw one. App Service settings are redacted further, to names and verdicts (redact_settings).
"""

from __future__ import annotations

from typing import Any

from auditor.secrets import MARKER, SECRET_FIELDS, detect, fingerprint, harmless, marker, scrub_text, walk_strings

NAMED_VALUE = "microsoft.apimanagement/service/namedvalues"
#: Keys whose strings are identifiers, not values: kept as they are.
IDENTIFIERS = {"id", "name", "type", "kind", "location", "etag"}
#: Action group receiver fields that hold a URL whose path or query is the credential.
WEBHOOK_FIELDS = {"serviceuri", "callbackurl", "httptriggerurl"}
#: Per type, property paths that hold a version stamp, not a value: a workbook's `revision` is a
#: 32-hex content hash that ARM generates, which the hex-key pattern would otherwise take for a key.
VERSION_STAMPS = {"microsoft.insights/workbooks": {("properties", "revision")}}


def _always_secret(path: tuple[Any, ...]) -> str | None:
    """The label of a field that holds a credential whatever its value looks like, or None."""
    keys = [str(p).lower() for p in path if isinstance(p, str)]
    if "credentials" in keys and ("header" in keys or "query" in keys or keys[-1] == "parameter"):
        return "backend credential"
    if keys[-2:] == ["proxy", "password"]:
        return "backend proxy password"
    if keys[-1:] == ["value"] and "secrets" in keys and "configuration" in keys:
        return "container app secret"
    return None


def _webhook(text: str, salt: str) -> str:
    scheme, sep, rest = text.partition("://")
    host, slash, tail = rest.partition("/")
    if not sep or (not (slash and tail) and "@" not in host):
        return scrub_text(text, salt)
    host = host.rsplit("@", 1)[-1]
    return f"{scheme}://{host}/{marker('webhook URL', fingerprint(text, salt))}"


def redact_resource(resource: dict[str, Any], salt: str) -> dict[str, Any]:
    """A copy of one ARM resource as a snapshot may store it."""
    rtype = str(resource.get("type", "")).lower()
    properties = resource.get("properties")
    display = properties.get("displayName") if isinstance(properties, dict) else None
    variable = display if isinstance(display, str) else str(resource.get("name", ""))

    def judge(path: tuple[Any, ...], name: str, text: str) -> str:
        if not path or text == "":
            return text
        last = path[-1]
        if isinstance(last, str) and last.lower() in IDENTIFIERS:
            return text
        if tuple(str(p).lower() for p in path) in VERSION_STAMPS.get(rtype, ()):
            return text
        label = _always_secret(path)
        if label is not None:
            found = detect("", text, salt)
            return marker(found.pattern if found else label, fingerprint(text, salt))
        if isinstance(last, str) and last.lower() in SECRET_FIELDS and not harmless(text):
            found = detect("", text, salt)
            return marker(found.pattern if found else f"{last} property", fingerprint(text, salt))
        if isinstance(last, str) and last.lower() in WEBHOOK_FIELDS:
            return _webhook(text, salt)
        if rtype == NAMED_VALUE and path == ("properties", "value"):
            name = variable
        if name:
            found = detect(name, text, salt)
            if found is not None:
                # A connection string keeps what names its service (the exposure graph follows a
                # setting's host): only the secret spans go, the first marker carrying the
                # whole value's verdict, which is what the detector reads back.
                scrubbed = scrub_text(text, salt)
                first = MARKER.search(scrubbed)
                if first is None:
                    return found.marker
                return scrubbed[: first.start()] + found.marker + scrubbed[first.end() :]
        return scrub_text(text, salt)

    redacted = walk_strings(resource, judge, lambda key: scrub_text(key, salt))
    assert isinstance(redacted, dict)
    return redacted
