"""The exposure map: every way the internet reaches the deployment's workloads and its data and AI
services, computed from the snapshot alone.

Nodes are resources (plus "Internet" and the backends a gateway names that match nothing). Edges
carry how the hop is made: a public frontend, a routing rule to a backend pool, a Front Door route
to an origin, an API Management backend, an app's setting that names a service's host, a service's
own public endpoint. Each node's ways in are classified by what they cross:

- ``waf``: a WAF in Prevention mode, every rule on;
- ``weak``: a WAF in Detection mode, or with rules switched off;
- ``around``: no WAF, because some node on the way is itself reachable from the internet;
- ``private``: no way in from the internet at all.

An edge the graph cannot resolve (a backend host that matches nothing, a property of an odd shape, a
type that was not collected) is unknown, never private: a node reached only over unknown edges, or
whose private verdict rests on a type that was not collected, is ``not_assessed`` with the reason.

The WAF judgement is the checks' own (auditor.checks._waf and the gateway's policy links in
auditor.checks.appgw); the public-endpoint judgement of each service is network.py's and
ingress.py's. The graph only joins them.
"""

from __future__ import annotations

import gc
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from auditor.api import _MISSING, DataError, Resource, Status
from auditor.inventory import Context, Inventory, NotCollected, strings_in
from auditor.model import ODD_DATA_ERRORS

INTERNET = "internet"
TIERS = ("internet", "edge", "gateway", "compute", "data")

GATEWAY = "Microsoft.Network/applicationGateways"
GATEWAY_WAF_POLICY = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
PUBLIC_IP = "Microsoft.Network/publicIPAddresses"
LOAD_BALANCER = "Microsoft.Network/loadBalancers"
FRONT_DOOR = "Microsoft.Cdn/profiles"
FD_ROUTE = "Microsoft.Cdn/profiles/afdEndpoints/routes"
FD_ORIGIN_GROUP = "Microsoft.Cdn/profiles/originGroups"
FD_ORIGIN = "Microsoft.Cdn/profiles/originGroups/origins"
APIM = "Microsoft.ApiManagement/service"
APIM_API = "Microsoft.ApiManagement/service/apis"
APIM_BACKEND = "Microsoft.ApiManagement/service/backends"
APIM_POLICY_TYPES = (
    "Microsoft.ApiManagement/service/policies",
    "Microsoft.ApiManagement/service/apis/policies",
    "Microsoft.ApiManagement/service/apis/operations/policies",
    "Microsoft.ApiManagement/service/products/policies",
    "Microsoft.ApiManagement/service/policyFragments",
)
APP = "Microsoft.App/containerApps"
ENVIRONMENT = "Microsoft.App/managedEnvironments"
SITE = "Microsoft.Web/sites"
PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"

#: Types whose resources make ways in: when one was not collected, an unseen gateway may front anything.
ENTRY_TYPES = (
    GATEWAY,
    LOAD_BALANCER,
    FRONT_DOOR,
    FD_ROUTE,
    FD_ORIGIN_GROUP,
    FD_ORIGIN,
    APIM,
    APIM_API,
    APIM_BACKEND,
    *APIM_POLICY_TYPES,
    APP,
    SITE,
)

#: Where each data service publishes the host names its clients use.
HOST_PATHS: dict[str, tuple[str, ...]] = {
    "microsoft.keyvault/vaults": ("properties.vaultUri",),
    "microsoft.cache/redis": ("properties.hostName",),
    "microsoft.cache/redisenterprise": ("properties.hostName",),
    "microsoft.documentdb/databaseaccounts": ("properties.documentEndpoint",),
    "microsoft.cognitiveservices/accounts": ("properties.endpoint", "properties.endpoints"),
    "microsoft.storage/storageaccounts": ("properties.primaryEndpoints",),
    "microsoft.containerregistry/registries": ("properties.loginServer",),
    "microsoft.servicebus/namespaces": ("properties.serviceBusEndpoint",),
    "microsoft.eventhub/namespaces": ("properties.serviceBusEndpoint",),
    "microsoft.signalrservice/signalr": ("properties.hostName",),
    "microsoft.communication/communicationservices": ("properties.hostName",),
    "microsoft.documentdb/mongoclusters": ("properties.connectionString",),
}
#: Scanning stops here: host names sit at the start of settings, and the scan must stay linear.
SCAN_LIMIT = 4096
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9.\-]+")

CLASS_ORDER = ("around", "weak", "not_assessed", "waf", "private")
CLASS_TITLES = {
    "waf": "through a WAF in Prevention mode",
    "weak": "through a WAF in Detection mode or with rules switched off",
    "around": "around the WAF",
    "not_assessed": "not assessed",
    "private": "private only",
}


@dataclass
class Node:
    id: str  # the resource id as the snapshot spells it, or "internet", or "unknown:<host>"
    name: str
    type: str
    tier: str
    waf: str | None = None  # "waf", "weak", "none" for an edge node; "unknown" when it cannot be read
    waf_reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.id.lower()


@dataclass(frozen=True)
class Edge:
    source: str  # node keys
    target: str
    how: str
    known: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Path:
    target: str
    cls: str
    edges: tuple[Edge, ...]
    reason: str = ""


@dataclass(frozen=True)
class Reach:
    """How the internet reaches one node."""

    cls: str  # one of CLASS_ORDER
    path: Path | None
    reason: str = ""


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.gaps: list[str] = []
        #: Workloads whose settings hide where they connect (node key -> why): a way around the WAF
        #: through one of them may reach any service.
        self.opaque: dict[str, str] = {}
        self._opaque_around: list[tuple[str, str]] | None = None
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        self._states: dict[str, dict[tuple[str, bool], tuple[Edge, ...]]] | None = None

    # -- building ------------------------------------------------------------------------------
    def add_node(self, node: Node) -> Node:
        return self.nodes.setdefault(node.key, node)

    def add_edge(self, edge: Edge) -> None:
        if edge.source == edge.target:
            return
        self.edges.append(edge)
        self._out.setdefault(edge.source, []).append(edge)
        self._in.setdefault(edge.target, []).append(edge)
        self._states = None
        self._opaque_around = None

    def outgoing(self, key: str) -> list[Edge]:
        return self._out.get(key, [])

    # -- judging -------------------------------------------------------------------------------
    def _step(self, cls: str, known: bool, edge: Edge) -> tuple[str, bool]:
        """The (class, every hop known) of a path after it takes `edge`."""
        node = self.nodes[edge.target]
        next_cls, next_known = cls, known and edge.known
        if cls != "waf":
            if node.waf == "waf":
                next_cls = "waf"
            elif node.waf == "weak":
                next_cls = "weak"
            elif node.waf == "unknown":
                next_known = False
        return next_cls, next_known

    def _propagate(self) -> dict[str, dict[tuple[str, bool], tuple[Edge, ...]]]:
        if self._states is None:
            self._states = self._walk()
        return self._states

    def _walk(self, skip_internet_into: str | None = None) -> dict[str, dict[tuple[str, bool], tuple[Edge, ...]]]:
        """Breadth-first over (node, class so far, every hop known): at most six states a node, so
        linear in the edges, and each state keeps one shortest example path."""
        states: dict[str, dict[tuple[str, bool], tuple[Edge, ...]]] = {INTERNET: {("around", True): ()}}
        queue: deque[tuple[str, str, bool]] = deque([(INTERNET, "around", True)])
        while queue:
            key, cls, known = queue.popleft()
            path = states[key][(cls, known)]
            for edge in self.outgoing(key):
                if key == INTERNET and edge.target == skip_internet_into:
                    continue
                state = self._step(cls, known, edge)
                seen = states.setdefault(edge.target, {})
                if state in seen:
                    continue
                seen[state] = (*path, edge)
                queue.append((edge.target, *state))
        return states

    def reach(self, key: str, *, besides_own_endpoint: bool = False) -> Reach:
        """How the internet reaches `key`; with `besides_own_endpoint`, through other hops only,
        as if the node's own edge from the Internet (its public endpoint) were closed."""
        key = key.lower()
        found = self._found_besides_own_endpoint(key) if besides_own_endpoint else self._propagate().get(key, {})
        for cls in ("around", "weak"):
            if (cls, True) in found:
                return Reach(cls, Path(key, cls, found[(cls, True)]))
        uncertain = [edges for (_, known), edges in found.items() if not known]
        if uncertain:
            path = Path(key, "not_assessed", uncertain[0], self._unknown_reason(uncertain[0]))
            return Reach("not_assessed", path, path.reason)
        if self.gaps:
            reason = "ways in could not all be seen: " + "; ".join(self.gaps)
            return Reach("not_assessed", None, reason)
        if ("waf", True) in found:
            return Reach("waf", Path(key, "waf", found[("waf", True)]))
        return Reach("private", None)

    def hide_destinations(self, key: str, why: str) -> None:
        """Record that the workload `key` connects to places its settings do not show (`why`)."""
        self.opaque[key.lower()] = why
        self._opaque_around = None

    def opaque_ways_around(self) -> list[tuple[str, str]]:
        """(name, why) of each workload the internet reaches without a blocking WAF whose settings
        hide where it connects: what it reaches cannot be known."""
        if self._opaque_around is None:  # the same for every service: worked out once per graph
            around = ("around", "weak")
            self._opaque_around = [
                (self.nodes[key].name, why) for key, why in sorted(self.opaque.items()) if self.cls(key) in around
            ]
        return self._opaque_around

    def has_own_endpoint(self, key: str) -> bool:
        """Whether the Internet reaches `key` directly, by an edge known to exist (its own public endpoint)."""
        key = key.lower()
        return any(edge.source == INTERNET and edge.known for edge in self._in.get(key, []))

    def _found_besides_own_endpoint(self, key: str) -> dict[tuple[str, bool], tuple[Edge, ...]]:
        if self.outgoing(key):  # a way in could loop through the node itself: walk again without its edge
            return self._walk(skip_internet_into=key).get(key, {})
        # A sink: its predecessors' states do not depend on it, so one step from each is exact.
        states = self._propagate()
        found: dict[tuple[str, bool], tuple[Edge, ...]] = {}
        for edge in self._in.get(key, []):
            if edge.source == INTERNET:
                continue
            for (cls, known), path in states.get(edge.source, {}).items():
                state = self._step(cls, known, edge)
                if state not in found or len(path) + 1 < len(found[state]):
                    found[state] = (*path, edge)
        return found

    def _unknown_reason(self, edges: Iterable[Edge]) -> str:
        reasons = []
        for edge in edges:
            if not edge.known:
                reasons.append(edge.reason)
            node = self.nodes[edge.target]
            if node.waf == "unknown":
                reasons.append(node.waf_reason)
        return "; ".join(dict.fromkeys(r for r in reasons if r)) or "a hop could not be resolved"

    def cls(self, key: str) -> str:
        """reach(key).cls without building the example path."""
        found = self._propagate().get(key.lower(), {})
        if ("around", True) in found or ("weak", True) in found:
            return "around" if ("around", True) in found else "weak"
        if self.gaps or any(not known for _, known in found):
            return "not_assessed"
        return "waf" if found else "private"

    def paths(self, tiers: Iterable[str] = TIERS[1:]) -> list[Path]:
        """One example path per way in (class, every hop known) to every node of `tiers`."""
        out = []
        wanted = set(tiers)
        for key, found in self._propagate().items():
            node = self.nodes[key]
            if key == INTERNET or node.tier not in wanted or node.type == "name":
                continue
            for (cls, known), edges in found.items():
                reason = "" if known else self._unknown_reason(edges)
                out.append(Path(key, cls if known else "not_assessed", edges, reason))
        out.sort(key=lambda p: (CLASS_ORDER.index(p.cls), TIERS.index(self.nodes[p.target].tier), p.target))
        return out

    def describe(self, path: Path) -> list[str]:
        """The path hop by hop, for evidence: 'Internet → agw-prod (public frontend 20.1.2.3)'."""
        hops = []
        for edge in path.edges:
            source, target = self.nodes[edge.source], self.nodes[edge.target]
            marker = "" if edge.known else " [unresolved]"
            hops.append(f"{source.name} → {target.name} ({edge.how}){marker}")
        return hops

    def to_document(self) -> dict[str, Any]:
        """Nodes, edges and paths for the JSON report."""
        with _collector_paused():
            return self._document()

    def _document(self) -> dict[str, Any]:
        nodes = []
        for node in self.nodes.values():
            doc: dict[str, Any] = {"id": node.id, "name": node.name, "type": node.type, "tier": node.tier}
            if node.key != INTERNET:
                doc["class"] = self.cls(node.key)
            if node.waf is not None:
                doc["waf"] = node.waf
            if node.notes:
                doc["notes"] = list(node.notes)
            nodes.append(doc)
        edges = [
            {"source": self.nodes[e.source].id, "target": self.nodes[e.target].id, "how": e.how, "known": e.known}
            | ({"reason": e.reason} if e.reason else {})
            for e in self.edges
        ]
        paths = [
            {
                "target": self.nodes[p.target].id,
                "class": p.cls,
                "hops": [self.nodes[INTERNET].id] + [self.nodes[e.target].id for e in p.edges],
            }
            | ({"reason": p.reason} if p.reason else {})
            for p in self.paths(("gateway", "compute", "data"))
        ]
        return {"nodes": nodes, "edges": edges, "paths": paths, "gaps": list(self.gaps)}


# -- host names ------------------------------------------------------------------------------------
def host_of(text: str) -> str:
    """'https://X.example.com:443/path' or 'x.example.com' -> 'x.example.com'; '' when it holds none."""
    text = text.strip()[:SCAN_LIMIT]
    if "//" in text:
        try:
            host = urlsplit(text).hostname or ""
        except ValueError:
            return ""
    else:
        host = text.split("/", 1)[0].rsplit(":", 1)[0] if text.count(":") <= 1 else text
    return _normal_host(host)


def _normal_host(host: str) -> str:
    # A private DNS zone answers for the same service as its public name: x.privatelink.vaultcore.azure.net.
    host = host.strip().strip(".").lower()
    return host.replace(".privatelink.", ".", 1)


def hosts_in(text: str) -> Iterator[str]:
    """Every dotted token in a setting's value, linear in its length (no backtracking pattern)."""
    for token in _TOKEN_SPLIT.split(text[:SCAN_LIMIT]):
        token = token.strip(".-")
        if "." in token:
            yield _normal_host(token)


class _Index:
    """Host names and IP addresses -> node keys."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}

    def add(self, name: str, key: str) -> None:
        name = _normal_host(name)
        if name:
            found = self.names.setdefault(name, [])
            if key not in found:
                found.append(key)

    def find(self, name: str) -> list[str]:
        return self.names.get(_normal_host(name), [])


# -- building ----------------------------------------------------------------------------------
def graph_of(inventory: Inventory, allowed_ranges: Iterable[str] = ()) -> Graph:
    """The graph for an inventory, built once and kept with the inventory (checks call this per resource)."""
    ranges = [allowed_ranges] if isinstance(allowed_ranges, str) else list(allowed_ranges)
    return inventory.derived(("exposure", tuple(ranges)), lambda: build(inventory, ranges))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building allocates tens of thousands of small objects; with a large snapshot's millions of
    objects on the heap, each full collection they trigger walks them all and frees nothing (the
    graph makes no cycles to collect). The collector is paused for the build, then restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(inventory: Inventory, allowed_ranges: list[str] | None = None) -> Graph:
    with _collector_paused():
        return _build(inventory, allowed_ranges)


def _build(inventory: Inventory, allowed_ranges: list[str] | None) -> Graph:
    from auditor.checks import network

    graph = Graph()
    graph.add_node(Node(INTERNET, "Internet", "Internet", "internet"))
    params = {"allowed_ranges": list(allowed_ranges or [])}
    services = {s.rtype.lower(): s for s in network.SERVICES if s.key not in ("apim", "appservice")}
    index = _Index()
    builders: list[tuple[Context, Resource, str]] = []
    for sub in inventory.subscriptions():
        ctx = Context(inventory, sub, params)
        for rtype in ENTRY_TYPES:
            gap = inventory.gap(rtype, sub)
            if gap is not None:
                graph.gaps.append(gap)
        for raw in _of(inventory, sub, GATEWAY):
            builders.append((ctx, _add(graph, raw, "edge"), "gateway"))
        for raw in _of(inventory, sub, FRONT_DOOR):
            builders.append((ctx, _add(graph, raw, "edge"), "frontdoor"))
        for raw in _of(inventory, sub, LOAD_BALANCER):
            builders.append((ctx, _add(graph, raw, "edge"), "loadbalancer"))
        for raw in _of(inventory, sub, APIM):
            res = _add(graph, raw, "gateway")
            _index_apim(index, res, graph)
            builders.append((ctx, res, "apim"))
        for raw in _of(inventory, sub, APP):
            res = _add(graph, raw, "compute")
            _index_app(index, res, ctx, graph)
            builders.append((ctx, res, "app"))
        for raw in _of(inventory, sub, SITE):
            res = _add(graph, raw, "compute")
            for path in ("properties.defaultHostName", "properties.hostNames", "properties.enabledHostNames"):
                for text in strings_in(res.lookup_or_none(path)):
                    index.add(text, res.id.lower())
            builders.append((ctx, res, "site"))
        for rtype in services:
            for raw in _of(inventory, sub, rtype):
                res = _add(graph, raw, "data")
                for path in HOST_PATHS.get(rtype, ()):
                    for text in strings_in(res.lookup_or_none(path)):
                        index.add(host_of(text), res.id.lower())
                builders.append((ctx, res, "data"))
        for raw in _of(inventory, sub, PRIVATE_ENDPOINT):
            _index_private_endpoint(index, Resource(raw), graph)
    for ctx, res, kind in builders:
        try:
            _ways_in(graph, index, services, ctx, res, kind)
        except DataError as exc:
            graph.gaps.append(f"the ways in through {res.name} cannot be read: {exc}")
        except ODD_DATA_ERRORS as exc:
            # A shape nobody foresaw: the ways in through this resource are unknown, never none.
            shape = f"unexpected data shape ({type(exc).__name__})"
            graph.gaps.append(f"the ways in through {res.name} cannot be read: {shape}")
    return graph


def _ways_in(graph: Graph, index: _Index, services: dict[str, Any], ctx: Context, res: _Res, kind: str) -> None:
    """The edges into and out of one resource, by its kind."""
    from auditor.checks import ingress, network

    if kind == "gateway":
        _gateway_edges(graph, index, res, ctx)
    elif kind == "frontdoor":
        _front_door_edges(graph, index, res, ctx)
    elif kind == "loadbalancer":
        _load_balancer_edges(graph, index, res, ctx)
    elif kind == "apim":
        _public_edge(graph, res, lambda r=res, c=ctx: network.public_access_verdict(r, _service("apim"), c))
        _apim_edges(graph, index, res, ctx)
    elif kind == "app":
        _public_edge(graph, res, lambda r=res, c=ctx: ingress.ingress_not_public(r, c), "external ingress")
        _settings_or_gap(graph, index, res, _app_settings)
    elif kind == "site":
        _public_edge(graph, res, lambda r=res, c=ctx: network.public_access_verdict(r, _service("appservice"), c))
        _settings_or_gap(graph, index, res, _site_settings)
    else:
        service = services[res.type.lower()]
        _public_edge(graph, res, lambda r=res, c=ctx, s=service: network.public_access_verdict(r, s, c))


def _service(key: str) -> Any:
    from auditor.checks import network

    return next(s for s in network.SERVICES if s.key == key)


def _of(inventory: Inventory, sub: str, rtype: str) -> list[dict[str, Any]]:
    return inventory.of_type(rtype, sub)


class _Res(Resource):
    """A resource view that can read a path without raising on odd shapes (for indexing only)."""

    __slots__ = ()

    def lookup_or_none(self, path: str) -> Any:
        try:
            value = self.lookup(path)
        except DataError:
            return None
        return None if value is _MISSING else value


def _add(graph: Graph, raw: dict[str, Any], tier: str) -> _Res:
    res = _Res(raw)
    graph.add_node(Node(res.id, res.name, res.type, tier))
    return res


def _index_apim(index: _Index, res: _Res, graph: Graph) -> None:
    for path in ("properties.gatewayUrl", "properties.gatewayRegionalUrl"):
        text = res.lookup_or_none(path)
        if isinstance(text, str):
            index.add(host_of(text), res.id.lower())
    for config in res.lookup_or_none("properties.hostnameConfigurations") or []:
        if isinstance(config, dict) and isinstance(config.get("hostName"), str):
            index.add(config["hostName"], res.id.lower())
    for path in ("properties.privateIPAddresses", "properties.publicIPAddresses"):
        for address in strings_in(res.lookup_or_none(path)):
            index.add(address, res.id.lower())


def _index_app(index: _Index, res: _Res, ctx: Context, graph: Graph) -> None:
    for path in ("properties.configuration.ingress.fqdn", "properties.latestRevisionFqdn"):
        text = res.lookup_or_none(path)
        if isinstance(text, str):
            index.add(text, res.id.lower())
    for domain in res.lookup_or_none("properties.configuration.ingress.customDomains") or []:
        if isinstance(domain, dict) and isinstance(domain.get("name"), str):
            index.add(domain["name"], res.id.lower())
    env_id = res.lookup_or_none("properties.managedEnvironmentId") or res.lookup_or_none("properties.environmentId")
    env = ctx.inventory.by_id(env_id) if isinstance(env_id, str) else None
    if env is None:
        return
    props = env.get("properties") if isinstance(env.get("properties"), dict) else {}
    domain = props.get("defaultDomain")
    if isinstance(domain, str):
        # Apps answer on {name}.{defaultDomain}; internal ingress on {name}.internal.{defaultDomain}.
        index.add(f"{res.name}.{domain}", res.id.lower())
        index.add(f"{res.name}.internal.{domain}", res.id.lower())
    static_ip = props.get("staticIp")
    external = res.lookup_or_none("properties.configuration.ingress.external") is True
    if isinstance(static_ip, str) and external:
        # A gateway that names the environment's address reaches its apps by host header.
        index.add(static_ip, res.id.lower())


def _index_private_endpoint(index: _Index, endpoint: Resource, graph: Graph) -> None:
    """Approved endpoints: their IP addresses and DNS names lead to the target, and the target
    notes the subnet the endpoint lives in."""
    from auditor.checks.network import _endpoint_targets

    try:
        subnet = endpoint.get("properties.subnet.id", default="", expect=str)
        conns = endpoint.get("properties.privateLinkServiceConnections", default=[], expect=list)
        conns += endpoint.get("properties.manualPrivateLinkServiceConnections", default=[], expect=list)
        targets = []
        for conn in conns:
            props = conn.get("properties") if isinstance(conn, dict) else None
            target = props.get("privateLinkServiceId") if isinstance(props, dict) else None
            if isinstance(target, str) and _endpoint_targets(endpoint, target.lower().rstrip("/")):
                targets.append(target.lower().rstrip("/"))
        dns = endpoint.get("properties.customDnsConfigs", default=[], expect=list)
    except DataError:
        return  # an odd endpoint leads nowhere known; the private-endpoint checks report its shape
    for target in targets:
        node = graph.nodes.get(target)
        if node is None:
            continue
        node.notes.append(f"private endpoint {endpoint.name} in subnet {subnet.rsplit('/', 1)[-1] or 'unknown'}")
        for entry in dns:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("fqdn"), str):
                index.add(entry["fqdn"], target)
            for address in strings_in(entry.get("ipAddresses")):
                index.add(address, target)


def _public_edge(graph: Graph, res: Resource, judge: Any, how: str = "public endpoint") -> None:
    """An edge from the Internet when the service's own check says it accepts internet traffic; an
    unknown edge when that check cannot tell."""
    try:
        verdict = judge()
    except NotCollected as exc:
        graph.add_edge(Edge(INTERNET, res.id.lower(), how, known=False, reason=str(exc)))
        return
    except DataError as exc:
        graph.add_edge(Edge(INTERNET, res.id.lower(), how, known=False, reason=f"{res.name}: {exc}"))
        return
    if verdict.status is Status.FAIL:
        # The edge says how; the service's own public-access check says why, in its finding.
        graph.add_edge(Edge(INTERNET, res.id.lower(), how))


def _resolve(graph: Graph, index: _Index, source: Resource, name: str, how: str) -> None:
    targets = index.find(name)
    if not targets:
        unknown = graph.add_node(Node(f"unknown:{_normal_host(name)}", _normal_host(name), "unresolved", "compute"))
        graph.add_edge(
            Edge(
                source.id.lower(),
                unknown.key,
                how,
                known=False,
                reason=f"{source.name} sends traffic to {_normal_host(name)}, which matches no resource in the "
                "snapshot",
            )
        )
        return
    _link(graph, source.id.lower(), name, targets, how)


def _link(graph: Graph, source: str, name: str, targets: list[str], how: str) -> None:
    """Edges from source to what a name resolves to. A name that several resources answer to (an
    environment's address, or copies of one service) goes through one node for the name, so that
    many callers of many copies cost callers + copies edges, not their product."""
    targets = [t for t in targets if t != source]
    if len(targets) == 1:
        graph.add_edge(Edge(source, targets[0], how))
        return
    if not targets:
        return
    hub_key = f"name:{_normal_host(name)}"
    if hub_key not in graph.nodes:
        tier = graph.nodes[targets[0]].tier
        graph.add_node(Node(hub_key, _normal_host(name), "name", tier))
        for target in targets:
            graph.add_edge(Edge(hub_key, target, f"{_normal_host(name)} is answered by {graph.nodes[target].name}"))
    graph.add_edge(Edge(source, hub_key, how))


# -- Application Gateway --------------------------------------------------------------------------
def _tail(ref: Any) -> str:
    """The name a sub-resource reference ({"id": ".../name"}) points at; "" when there is none. A
    reference of another shape is a DataError: read as "none", a rule would look private."""
    if ref is None:
        return ""
    value = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(value, str):
        raise DataError(f"a sub-resource reference is {type(ref).__name__}, not an object with an id")
    return value.rstrip("/").rsplit("/", 1)[-1].lower()


def _named(res: Resource, path: str) -> dict[str, dict[str, Any]]:
    # Item views, so that an odd item or odd properties (a string, a number, even a falsy 0) are a
    # DataError naming the full path (properties.httpListeners[0].properties is ...), never skipped.
    out = {}
    for item in res.item_views(path):
        props = item.get("properties", default={}, expect=dict, record=False)
        out[str(item.raw.get("name", "")).lower()] = props
    return out


def waf_class(configs: list[Any]) -> tuple[str, str]:
    """'waf' when every WAF blocks with every rule on, 'weak' when one logs only or has rules
    switched off, 'none' without a WAF. Exclusions narrow what a rule inspects; they do not switch
    it off, and appgw.waf-rule-set judges them."""
    if not configs:
        return "none", "no WAF"
    weak = [c.describe() for c in configs if not c.blocking]
    off = [w for c in configs for w in c.weakened if "exclusion" not in w and "exception" not in w]
    if weak or off:
        return "weak", "; ".join(weak + off)
    return "waf", ", ".join(f"{c.source}: Prevention" for c in configs)


def _gateway_edges(graph: Graph, index: _Index, gateway: Resource, ctx: Context) -> None:
    from auditor.checks.appgw import _is_waf_sku, waf_configs

    node = graph.nodes[gateway.id.lower()]
    try:
        configs = waf_configs(gateway, ctx) if _is_waf_sku(gateway) else []
        node.waf, node.waf_reason = waf_class(configs)
    except DataError as exc:
        node.waf, node.waf_reason = "unknown", f"the WAF of {gateway.name} cannot be judged: {exc}"
    try:
        frontends = _named(gateway, "properties.frontendIPConfigurations")
        listeners = _named(gateway, "properties.httpListeners")
        rules = _named(gateway, "properties.requestRoutingRules")
        pools = _named(gateway, "properties.backendAddressPools")
        settings = _named(gateway, "properties.backendHttpSettingsCollection")
        path_maps = _named(gateway, "properties.urlPathMaps")
    except DataError as exc:
        # What the gateway forwards to is unknown, so nothing can be proved unreachable through it.
        graph.gaps.append(f"the routing of {gateway.name} cannot be read: {exc}")
        return
    public = _public_addresses(frontends, ctx)
    if public:
        graph.add_edge(Edge(INTERNET, node.key, f"public frontend {', '.join(sorted(public.values()))}"))
    for rule_name, rule in rules.items():
        listener_name = _tail(rule.get("httpListener"))
        if listener_name not in listeners:
            raise DataError(f"rule {rule_name} names listener {listener_name or '(none)'}, which the gateway lacks")
        listener = listeners[listener_name]
        if _tail(listener.get("frontendIPConfiguration")) not in public:
            continue  # a private listener: reached from the VNet, not from the internet
        pairs = [(rule.get("backendAddressPool"), rule.get("backendHttpSettings"))]
        path_map = path_maps.get(_tail(rule.get("urlPathMap")))
        if path_map:
            pairs.append((path_map.get("defaultBackendAddressPool"), path_map.get("defaultBackendHttpSettings")))
            for path_rule in path_map.get("pathRules") or []:
                props = path_rule.get("properties") if isinstance(path_rule, dict) else None
                if isinstance(props, dict):
                    pairs.append((props.get("backendAddressPool"), props.get("backendHttpSettings")))
        for pool_ref, settings_ref in pairs:
            pool = pools.get(_tail(pool_ref))
            if pool is None:
                continue
            host_override = settings.get(_tail(settings_ref), {}).get("hostName")
            for address in pool.get("backendAddresses") or []:
                if not isinstance(address, dict):
                    continue
                name = address.get("fqdn") or address.get("ipAddress")
                if not isinstance(name, str):
                    continue
                if not index.find(name) and isinstance(host_override, str) and index.find(host_override):
                    name = host_override  # an IP backend reached by the host name its settings send
                how = f"rule {rule_name} → pool {_tail(pool_ref)}: {name}"
                _resolve(graph, index, gateway, name, how)


# -- Load Balancer ---------------------------------------------------------------------------------
def _public_addresses(frontends: dict[str, dict[str, Any]], ctx: Context) -> dict[str, str]:
    """Frontend name -> its public address (or the frontend's name when the address is not known)."""
    out = {}
    for name, props in frontends.items():
        ref = props.get("publicIPAddress")
        if not ref:
            continue
        pip = ctx.inventory.by_id(str(ref.get("id", ""))) if isinstance(ref, dict) else None
        address = ((pip or {}).get("properties") or {}).get("ipAddress")
        out[name] = address if isinstance(address, str) else name
    return out


def _load_balancer_edges(graph: Graph, index: _Index, balancer: Resource, ctx: Context) -> None:
    """A public load balancer forwards layer-4 traffic with no WAF. Its backends are addresses or
    network interfaces of machines, which the graph does not model: those hops stay unknown."""
    node = graph.nodes[balancer.id.lower()]
    node.waf = "none"
    try:
        public = _public_addresses(_named(balancer, "properties.frontendIPConfigurations"), ctx)
        pools = _named(balancer, "properties.backendAddressPools")
        rules = [
            *_named(balancer, "properties.loadBalancingRules").items(),
            *_named(balancer, "properties.inboundNatRules").items(),
        ]
    except DataError as exc:
        graph.gaps.append(f"the rules of {balancer.name} cannot be read: {exc}")
        return
    if not public:
        return  # an internal load balancer: reached from the VNet only
    graph.add_edge(Edge(INTERNET, node.key, f"public frontend {', '.join(sorted(public.values()))}"))
    for rule_name, rule in rules:
        if _tail(rule.get("frontendIPConfiguration")) not in public:
            continue
        pool = pools.get(_tail(rule.get("backendAddressPool")), {})
        how = f"rule {rule_name} → pool {_tail(rule.get('backendAddressPool'))}"
        for address in pool.get("loadBalancerBackendAddresses") or []:
            ip = ((address.get("properties") or {}).get("ipAddress")) if isinstance(address, dict) else None
            if isinstance(ip, str):
                _resolve(graph, index, balancer, ip, f"{how}: {ip}")
        for config in pool.get("backendIPConfigurations") or []:
            ref = config.get("id") if isinstance(config, dict) else None
            if isinstance(ref, str):
                machine = ref.split("/ipConfigurations/")[0].rsplit("/", 1)[-1]
                _resolve(graph, index, balancer, machine, f"{how}: network interface {machine}")


# -- Front Door ------------------------------------------------------------------------------------
def _front_door_edges(graph: Graph, index: _Index, profile: Resource, ctx: Context) -> None:
    from auditor.checks._waf import FD_ENDPOINT, front_door_waf, is_front_door, is_premium_front_door

    node = graph.nodes[profile.id.lower()]
    try:
        if not is_front_door(profile):
            return  # a classic CDN profile: not an HTTP entry the guide covers
        waf = front_door_waf(profile, ctx)
        if waf.unprotected:
            node.waf, node.waf_reason = "none", f"no WAF on {', '.join(waf.unprotected)}"
        else:
            node.waf, node.waf_reason = waf_class(waf.configs)
            if node.waf == "waf" and not is_premium_front_door(profile):
                node.waf, node.waf_reason = "weak", "the Standard tier runs no managed rule sets"
    except DataError as exc:
        node.waf, node.waf_reason = "unknown", f"the WAF of {profile.name} cannot be judged: {exc}"
    try:
        endpoints = [
            e
            for e in ctx.children(profile, FD_ENDPOINT)
            if e.get("properties.enabledState", default="Enabled", expect=str).lower() != "disabled"
        ]
        routes = [r for e in endpoints for r in ctx.children(e, FD_ROUTE)]
        groups = {g.id.lower(): g for g in ctx.children(profile, FD_ORIGIN_GROUP)}
        hops = []
        for route in routes:
            if route.get("properties.enabledState", default="Enabled", expect=str).lower() == "disabled":
                continue
            group = groups.get(route.get("properties.originGroup.id", expect=str).lower().rstrip("/"))
            if group is None:
                raise DataError(f"route {route.name} names an origin group that is not in the snapshot")
            for origin in ctx.children(group, FD_ORIGIN):
                if origin.get("properties.enabledState", default="Enabled", expect=str).lower() == "disabled":
                    continue
                host = origin.get("properties.hostName", expect=str)
                hops.append((host, f"route {route.name} → origin group {group.name} → origin {origin.name}: {host}"))
    except DataError as exc:
        graph.gaps.append(f"the routes of {profile.name} cannot be read: {exc}")
        return
    if endpoints:
        names = ", ".join(str(e.raw.get("properties", {}).get("hostName") or e.name) for e in endpoints)
        graph.add_edge(Edge(INTERNET, node.key, f"Front Door endpoint {names}"))
    for host, how in hops:
        _resolve(graph, index, profile, host, how)


# -- API Management --------------------------------------------------------------------------------
def _apim_edges(graph: Graph, index: _Index, service: Resource, ctx: Context) -> None:
    try:
        apis = ctx.children(service, APIM_API)
        backends = ctx.children(service, APIM_BACKEND)
        targets = []
        for api in apis:
            url = api.get("properties.serviceUrl", default="", expect=str)
            if url:
                targets.append((url, f"API {api.name} serviceUrl {host_of(url)}"))
        for backend in backends:
            # A pool backend names other backends (already listed); its own url is absent.
            url = backend.get("properties.url", default="", expect=str)
            if url:
                targets.append((url, f"backend {backend.name} {host_of(url)}"))
    except DataError as exc:
        graph.gaps.append(f"the backends of {service.name} cannot be read: {exc}")
        return
    for url, how in targets:
        host = host_of(url)
        if host:
            _resolve(graph, index, service, host, how)
    _policy_edges(graph, index, service, ctx)


def _policy_edges(graph: Graph, index: _Index, service: Resource, ctx: Context) -> None:
    """A policy routes too: set-backend-service base-url="..." sends an API's calls to that host (one
    that matches nothing stays unknown), and a host a policy names that matches a resource is a hop."""
    prefix = service.id.lower().rstrip("/") + "/"
    for rtype in APIM_POLICY_TYPES:
        for raw in ctx.inventory.of_type(rtype, service.subscription_id):
            if not raw["id"].lower().startswith(prefix):
                continue
            props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
            text, fmt, where = props.get("value"), props.get("format"), raw["id"][len(prefix) :]
            if isinstance(fmt, str) and fmt.lower().endswith("-link"):
                graph.gaps.append(
                    f"the policy {where} of {service.name} is stored as a link, which golive does not follow"
                )
                continue
            if not isinstance(text, str):
                continue
            for url in _attribute_values(text[: SCAN_LIMIT * 16], "base-url"):
                _resolve(graph, index, service, host_of(url) or url, f"policy {where}: base-url {host_of(url) or url}")
            for host in dict.fromkeys(hosts_in(text[: SCAN_LIMIT * 16])):
                targets = index.find(host)
                if targets:
                    _link(graph, service.id.lower(), host, targets, f"policy {where} names {host}")


def _attribute_values(text: str, name: str) -> Iterator[str]:
    """Values of name="..." (or '...') in XML text, by plain search: linear in the text."""
    start = 0
    needle = name + "="
    while True:
        at = text.find(needle, start)
        if at < 0 or at + len(needle) >= len(text):
            return
        quote = text[at + len(needle)]
        end = text.find(quote, at + len(needle) + 1) if quote in "\"'" else -1
        if end < 0:
            return
        yield text[at + len(needle) + 1 : end]
        start = end + 1


# -- settings that name a service's host ------------------------------------------------------------
def _app_settings(app: _Res) -> tuple[list[tuple[str, str]], str]:
    """The (name, value) environment variables of an app, and what hides where it connects: the
    variables taken from secrets (their values, hosts included, are not in the snapshot)."""
    out, hidden = [], []
    for container in _list_of_objects(app, "properties.template.containers"):
        env = container.get("env")
        if env is not None and not (isinstance(env, list) and all(isinstance(e, dict) for e in env)):
            raise DataError(f"properties.template.containers[].env is {type(env).__name__}, not a list of objects")
        for entry in env or []:
            if not isinstance(entry.get("name"), str):
                continue
            if isinstance(entry.get("value"), str):
                out.append((entry["name"], entry["value"]))
            elif entry.get("secretRef"):
                hidden.append(entry["name"])
    return out, f"environment variables taken from secrets: {', '.join(dict.fromkeys(hidden))}" if hidden else ""


def _site_settings(site: _Res) -> tuple[list[tuple[str, str]], str]:
    """The (name, value) app settings of a site, and what hides where it connects: the site GET
    leaves appSettings null, and the config list golive may read keeps no values."""
    settings = [
        (entry["name"], entry["value"])
        for entry in _list_of_objects(site, "properties.siteConfig.appSettings")
        if isinstance(entry.get("name"), str) and isinstance(entry.get("value"), str)
    ]
    unread = site.lookup_or_none("properties.siteConfig.appSettings") is None
    return settings, "app settings and connection strings, whose values the snapshot does not hold" if unread else ""


def _list_of_objects(res: _Res, path: str) -> list[dict[str, Any]]:
    """The list at `path` (none when absent); any other shape is a DataError, never an empty list:
    settings that cannot be read may name a service the graph would then miss."""
    value = res.lookup_or_none(path)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DataError(f"{path} is {type(value).__name__}, not a list of objects")
    return value


def _settings_or_gap(
    graph: Graph, index: _Index, res: _Res, read: Callable[[_Res], tuple[list[tuple[str, str]], str]]
) -> None:
    try:
        settings, hidden = read(res)
    except DataError as exc:
        # What the workload's settings name is unknown, so no service can be proved unreached by it.
        graph.gaps.append(f"the settings of {res.name} cannot be read: {exc}")
        return
    if hidden:
        graph.hide_destinations(res.id, hidden)
    _setting_edges(graph, index, res, settings)


def _setting_edges(graph: Graph, index: _Index, source: Resource, settings: list[tuple[str, str]]) -> None:
    """A workload reaches what its settings name. Only the variable's name and the host go into the
    edge: a value may hold a key."""
    seen = set()
    for name, value in settings:
        for host in hosts_in(value):
            targets = index.find(host)
            if not targets or host in seen:
                continue
            seen.add(host)
            notes = graph.nodes[targets[0]].notes if len(targets) == 1 else []
            over = next((n for n in notes if n.startswith("private endpoint")), "")
            how = f"setting {name} names {host}" + (f", over {over}" if over else "")
            _link(graph, source.id.lower(), host, targets, how)
