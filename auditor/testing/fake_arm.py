"""A local HTTPS fake of Azure Resource Manager that serves a snapshot, for tests and demos.

    with FakeArm(snapshot_document, page_size=2) as arm:
        golive collect --arm-endpoint {arm.url} --ca-bundle {arm.ca_bundle} ...

It answers the reads golive makes, the way ARM does: the subscription list; lists by
subscription and by resource group for every type; GET by id; child collections
({id}/apis); extension collections ({id}/providers/Microsoft.Insights/diagnosticSettings);
nextLink paging; a required api-version; case-insensitive paths. Faults can be injected per
route (status codes with Retry-After, latency, malformed bodies, dropped connections), and every
request is logged. Only GET is served: anything else is answered 405 and logged, so that a test
can prove the collector never writes.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import math
import re
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from auditor.testing import fake_graph


@dataclass
class Fault:
    """Answer requests whose path matches `pattern` (a regex, searched in the lower-cased path)
    with `status` (and an ARM error body), after `delay` seconds, `times` times (None: always).
    `malformed` sends a body that is not JSON, `body` sends the given text instead (valid JSON of
    the wrong shape, say); `drop` closes the connection without an answer. With `status=200` and a
    `delay`, the request is only slowed down and then answered as usual."""

    pattern: str
    status: int = 500
    times: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    malformed: bool = False
    drop: bool = False
    code: str = ""
    body: str | None = None
    hits: int = 0

    def matches(self, path: str) -> bool:
        return (self.times is None or self.hits < self.times) and re.search(self.pattern, path) is not None


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    at: float = 0.0  # time.monotonic() when the answer was decided
    source: str = "arm"  # which service answered: "arm" or "resourcegraph"


@dataclass
class FakeArm:
    document: dict[str, Any]
    page_size: int = 50
    latency: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    #: App Service settings to answer the list actions with: site id -> {"appsettings": {...},
    #: "connectionstrings": {...}}. The only POSTs served; golive sends them only when asked to.
    site_settings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: ARM's read throttling, as its token bucket meters a principal per subscription: (bucket
    #: size, tokens refilled per second); Azure's are (250, 25). None: unmetered.
    read_quota: tuple[float, float] | None = None
    #: The management group tree: each child (a group name or a subscription id) -> its parent group.
    management_groups: dict[str, str] = field(default_factory=dict)
    #: Resource Graph's per-user quota: (queries, window in seconds); Azure's default is (15, 5).
    graph_quota: tuple[int, float] | None = (15, 5.0)
    #: Rows per Resource Graph page, at most the query's $top (golive asks for 1,000).
    graph_page_size: int = 1000
    #: Columns of the Resource Graph row of some resource ids that differ from what ARM returns.
    graph_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The caller's permissions per subscription id, as Microsoft.Authorization/permissions lists
    #: them; a subscription not named grants "*/read".
    permissions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._graph_quota = fake_graph.GraphQuota(*self.graph_quota) if self.graph_quota else None
        self._items: dict[str, dict[str, Any]] = {}
        self._collections: dict[str, list[dict[str, Any]]] = {}
        for resource in self.document["resources"]:
            rid = resource["id"].rstrip("/")
            self._items[rid.lower()] = resource
            for collection in _collections_of(rid):
                self._collections.setdefault(collection, []).append(resource)
        self._subscriptions = {s["subscriptionId"].lower() for s in self.document["scope"]["subscriptions"]}
        self._subscriptions |= {r["id"].split("/")[2].lower() for r in self.document["resources"]}
        ids = [r["id"].lower().split("/") for r in self.document["resources"]]
        self._groups = {(p[2], p[4]) for p in ids if len(p) > 4 and p[3] == "resourcegroups"}
        self._server: ThreadingHTTPServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.url = ""
        self.ca_bundle = ""

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> FakeArm:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="golive-fake-arm-")
        cert, key, ca = _certificates(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        handler = type("Handler", (_Handler,), {"arm": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{server.server_address[1]}"
        self.ca_bundle = str(ca)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- answers ---------------------------------------------------------------------------------
    def take_read(self, path: str) -> tuple[int | None, float | None]:
        """One token from the bucket of the subscription `path` is in (tenant-level reads share
        one): the tokens left, and how long to wait when there was none (then the answer is 429)."""
        if self.read_quota is None:
            return None, None
        parts = path.lower().split("/")
        key = parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else ""
        with self._lock:
            bucket = self._buckets.setdefault(key, TokenBucket(*self.read_quota))
            return bucket.take()

    def readable_resources(self) -> list[dict[str, Any]]:
        """What Resource Graph shows the caller: it filters by role-based access, silently. A
        resource under a path answered 401/403 by a fault, or of a type the subscription's
        `permissions` do not grant read on, is left out."""
        denied = [f for f in self.faults if f.status in (401, 403) and f.times is None]
        grants = {k.lower(): v for k, v in self.permissions.items()}

        def readable(resource: dict[str, Any]) -> bool:
            rid = resource["id"].lower()
            if any(re.search(f.pattern, rid) for f in denied):
                return False
            granted = grants.get(rid.split("/")[2])
            if granted is None:
                return True
            action = f"{resource['type'].lower()}/read"
            return any(
                any(fnmatch.fnmatchcase(action, a.lower()) for a in g.get("actions", []))
                and not any(fnmatch.fnmatchcase(action, a.lower()) for a in g.get("notActions", []))
                for g in granted
            )

        return [r for r in self.document["resources"] if readable(r)]

    def descendants(self, group: str) -> list[dict[str, Any]] | None:
        """What the management group descendants API lists below `group`, at every depth, or None
        for a group that does not exist."""
        parents = {child.lower(): parent.lower() for child, parent in self.management_groups.items()}
        key = group.lower()
        if key not in parents and key not in parents.values():
            return None
        names = {s["subscriptionId"].lower(): s.get("displayName") for s in self.document["scope"]["subscriptions"]}
        out = []
        for child, parent in self.management_groups.items():
            ancestor = parent.lower()
            while ancestor != key and ancestor in parents:
                ancestor = parents[ancestor]
            if ancestor != key:
                continue
            is_subscription = child.lower() in names
            out.append(
                {
                    "id": f"/subscriptions/{child}" if is_subscription else f"{MANAGEMENT_GROUPS}/{child}",
                    "type": f"{MANAGEMENT_GROUPS[11:]}/subscriptions" if is_subscription else MANAGEMENT_GROUPS[11:],
                    "name": child,
                    "properties": {
                        "displayName": names.get(child.lower()) or child,
                        "parent": {"id": f"{MANAGEMENT_GROUPS}/{parent}"},
                    },
                }
            )
        return out

    def record(self, method: str, path: str, query: str, status: int, source: str = "arm") -> None:
        with self._lock:
            self.log.append(LoggedRequest(method, path, query, status, time.monotonic(), source))

    def served_by(self) -> dict[str, int]:
        """How many answers each source gave."""
        with self._lock:
            counts: dict[str, int] = {}
            for entry in self.log:
                counts[entry.source] = counts.get(entry.source, 0) + 1
            return counts

    def fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(path):
                    fault.hits += 1
                    return fault
        return None

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        key = path.rstrip("/").lower()
        group = re.fullmatch(r"/providers/microsoft\.management/managementgroups/([^/]+)/descendants", key)
        if group is not None:
            found = self.descendants(group.group(1))
            if found is None:
                return 404, _error("NotFound", f"The management group '{group.group(1)}' was not found.")
            return self._page(found, path, query)
        if key == "/subscriptions":
            tenant = self.document["scope"].get("tenantId")
            value = [
                {
                    "id": f"/subscriptions/{s['subscriptionId']}",
                    "subscriptionId": s["subscriptionId"],
                    "displayName": s.get("displayName") or s["subscriptionId"],
                    "state": s.get("state") or "Enabled",
                    "tenantId": tenant,
                }
                for s in self.document["scope"]["subscriptions"]
            ]
            return self._page(value, path, query)
        if key in self._items:
            return 200, self._items[key]
        granted = re.fullmatch(r"/subscriptions/([^/]+)/providers/microsoft\.authorization/permissions", key)
        if granted is not None and granted.group(1) in self._subscriptions:
            grants = {k.lower(): v for k, v in self.permissions.items()}.get(granted.group(1))
            return 200, {"value": grants if grants is not None else [{"actions": ["*/read"], "notActions": []}]}
        parts = key.split("/")
        if len(parts) < 3 or parts[1] != "subscriptions":
            return 404, _error("InvalidResourceType", f"'{path}' is not an ARM path this fake serves.")
        if parts[2] not in self._subscriptions:
            return 404, _error("SubscriptionNotFound", f"The subscription '{parts[2]}' could not be found.")
        if len(parts) > 4 and parts[3] == "resourcegroups" and (parts[2], parts[4]) not in self._groups:
            return 404, _error("ResourceGroupNotFound", f"Resource group '{parts[4]}' could not be found.")
        if not _looks_like_collection(key):
            return 404, _error("ResourceNotFound", f"The resource '{path}' was not found.")
        if key.endswith("/microsoft.insights/workbooks") and "category" not in query:
            return 400, _error("MissingRequiredQueryParameter", "The query parameter 'category' is required.")
        api = next((v[0] for k, v in query.items() if k.lower() == "api-version"), "")
        return self._page(_listed_at(self._collections.get(key, []), api), path, query)

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        token = query.get("$skiptoken", ["0"])[0] or "0"
        if not token.isdigit():
            return 400, _error("InvalidSkipToken", "The $skiptoken is not one this server issued.")
        start = int(token)
        body: dict[str, Any] = {"value": items[start : start + self.page_size]}
        if start + self.page_size < len(items):
            rest = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            body["nextLink"] = f"{self.url}{path}?{urlencode({**rest, '$skiptoken': start + self.page_size})}"
        return 200, body


#: Scheduled query rules made with api-version 2018-04-16 keep that shape (query under
#: properties.source); the fake lists them only at that version, and the others only at later ones,
#: so that a collector must read both.
LEGACY_LOG_ALERT_VERSION = "2018-04-16"


def _listed_at(items: list[dict[str, Any]], api: str) -> list[dict[str, Any]]:
    def legacy(item: dict[str, Any]) -> bool:
        return isinstance(item.get("properties"), dict) and "source" in item["properties"]

    return [
        item
        for item in items
        if str(item.get("type", "")).lower() != "microsoft.insights/scheduledqueryrules"
        or legacy(item) == (api == LEGACY_LOG_ALERT_VERSION)
    ]


MANAGEMENT_GROUPS = "/providers/Microsoft.Management/managementGroups"


class TokenBucket:
    """A bucket of `size` tokens refilled at `refill` a second, as ARM meters reads."""

    def __init__(self, size: float, refill: float) -> None:
        self.size, self.refill = size, refill
        self.tokens, self.stamp = float(size), time.monotonic()

    def take(self) -> tuple[int, float | None]:
        now = time.monotonic()
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens < 1:
            return 0, (1 - self.tokens) / self.refill
        self.tokens -= 1
        return int(self.tokens), None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _collections_of(resource_id: str) -> list[str]:
    """The list URLs a resource appears in: its own collection, and for a top-level resource in a
    resource group, the subscription-wide list of its type too."""
    parts = resource_id.split("/")
    own = "/".join(parts[:-1]).lower()
    out = [own]
    lowered = [p.lower() for p in parts]
    providers = [i for i, p in enumerate(lowered) if p == "providers"]
    if len(providers) == 1 and len(parts) - providers[0] == 4 and "resourcegroups" in lowered[:4]:
        out.append("/".join(["", "subscriptions", lowered[2], "providers", lowered[-3], lowered[-2]]))
    return out


def _looks_like_collection(path: str) -> bool:
    """/subscriptions/{s}/providers/ns/type, .../resourceGroups/{g}/providers/ns/type, {id}/childType,
    {id}/providers/ns/extensionType: an even number of segments after the last "providers"
    (ns/type, ns/type/name/child, ...); an odd number names one resource."""
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "subscriptions" or "providers" not in parts:
        return False
    last = len(parts) - 1 - parts[::-1].index("providers")
    after = len(parts) - last - 1
    return after >= 2 and after % 2 == 0


class _Handler(BaseHTTPRequestHandler):
    arm: FakeArm
    protocol_version = "HTTP/1.1"
    quota_headers: dict[str, str] = {}  # noqa: RUF012 -- replaced per request, never changed in place

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def setup(self) -> None:
        # Without TCP_NODELAY, Nagle's algorithm holds a small answer back until the client's
        # delayed ACK: about 40 ms on every request, which hides the collector's own speed.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """The status line, headers and body in one write: one TLS record, one segment."""
        lines = [
            f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
            f"x-ms-request-id: fake-{time.monotonic_ns()}",
            *(f"{name}: {value}" for name, value in {**self.quota_headers, **(headers or {})}.items()),
        ]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        arm = self.arm
        self.quota_headers = {}
        if arm.latency:
            time.sleep(arm.latency)
        if "api-version" not in {k.lower() for k in query}:
            arm.record("GET", path, split.query, 400)
            body = _error("MissingApiVersionParameter", "The api-version query parameter is required.")
            self._send(400, json.dumps(body).encode())
            return
        remaining, wait = arm.take_read(path)
        if remaining is not None:
            self.quota_headers = {"x-ms-ratelimit-remaining-subscription-reads": str(remaining)}
        if wait is not None:
            arm.record("GET", path, split.query, 429)
            body = _error("TooManyRequests", "The subscription's read quota is spent.")
            self._send(429, json.dumps(body).encode(), {"Retry-After": str(math.ceil(wait))})
            return
        fault = arm.fault_for(path.lower())
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                arm.record("GET", path, split.query, 0)
                self.close_connection = True
                self.connection.close()
                return
            if fault.malformed or fault.body is not None:
                status = fault.status if fault.body is not None else 200
                arm.record("GET", path, split.query, status)
                text = fault.body if fault.body is not None else '{"value": [ {"id": "/subscriptions/truncated'
                self._send(status, text.encode())
                return
            if fault.status != 200:
                arm.record("GET", path, split.query, fault.status)
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                code = fault.code or {403: "AuthorizationFailed", 429: "TooManyRequests"}.get(
                    fault.status, "InternalServerError"
                )
                self._send(fault.status, json.dumps(_error(code, f"injected {fault.status}")).encode(), headers)
                return
        status, body = arm.answer(path, query)
        arm.record("GET", path, split.query, status)
        self._send(status, json.dumps(body).encode())

    def _refuse(self) -> None:
        split = urlsplit(self.path)
        self.arm.record(self.command, split.path, split.query, 405)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(405, json.dumps(_error("MethodNotAllowed", "the fake ARM serves reads only")).encode())

    def _graph_query(self) -> None:
        """POST /providers/Microsoft.ResourceGraph/resources: the one POST that reads."""
        split, arm = urlsplit(self.path), self.arm
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.quota_headers = {}
        if arm.latency:
            time.sleep(arm.latency)
        headers: dict[str, str] = {}
        if arm._graph_quota is not None:
            remaining, resets, allowed = arm._graph_quota.take()
            headers = fake_graph.quota_headers(remaining, resets)
            if not allowed:
                arm.record("POST", split.path, split.query, 429, "resourcegraph")
                error = _error("RateLimiting", "Please provide below info when asking for support: quota spent.")
                self._send(429, json.dumps(error).encode(), {**headers, "Retry-After": str(math.ceil(resets))})
                return
        fault = arm.fault_for(split.path.lower())
        if fault is not None and fault.status != 200:
            arm.record("POST", split.path, split.query, fault.status, "resourcegraph")
            code = fault.code or {403: "AuthorizationFailed"}.get(fault.status, "InternalServerError")
            self._send(fault.status, json.dumps(_error(code, f"injected {fault.status}")).encode(), headers)
            return
        if "api-version" not in parse_qs(split.query):
            status, answer = 400, _error("MissingApiVersionParameter", "The api-version query parameter is required.")
        else:
            status, answer = fake_graph.answer(
                arm.readable_resources(), body, {k.lower(): v for k, v in arm.graph_rows.items()}, arm.graph_page_size
            )
        arm.record("POST", split.path, split.query, status, "resourcegraph")
        self._send(status, json.dumps(answer).encode(), headers)

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        if split.path.lower() == "/providers/microsoft.resourcegraph/resources":
            self._graph_query()
            return
        match = re.match(r"^(.*)/config/(appsettings|connectionstrings)/list$", split.path, re.I)
        settings = {k.lower(): v for k, v in self.arm.site_settings.items()}
        if match is None or match.group(1).lower() not in settings:
            self._refuse()
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        values = settings[match.group(1).lower()].get(match.group(2).lower(), {})
        self.arm.record("POST", split.path, split.query, 200)
        body = {"id": split.path[: -len("/list")], "name": match.group(2).lower(), "properties": values}
        self._send(200, json.dumps(body).encode())

    do_PUT = do_PATCH = do_DELETE = _refuse


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost, made at start-up."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "golive fake ARM test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    paths[0].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[2].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return paths
