"""Reads Azure into a snapshot: raw wire JSON, in parallel, read-only.

Every list (and every Resource Graph query) is one job on a bounded thread pool; when a list of
parents arrives, the lists below each parent (child collections, diagnostic settings, App Service
settings) are queued at once, so that subscriptions and types proceed in parallel without waiting
for one another. Subscriptions are taken in batches, at most two batches open at a time, and each
is handed to a sink as soon as everything in it is read: memory holds the open subscriptions
only, however large the tenant. A type that cannot be read in a scope (403, 404, timeout, a
malformed body) is recorded in the snapshot's coverage, together with every type below it that
therefore could not be read, and the run goes on.
"""

from __future__ import annotations

import queue
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlencode

from auditor.collect import auth, graph
from auditor.collect.arm import Reader, ReadError
from auditor.collect.permissions import permission
from auditor.collect.plan import (
    DIAGNOSTIC_SETTINGS,
    EXTRA_API_VERSIONS,
    SINGLETON_CHILDREN,
    SITE_CONFIG,
    Plan,
    api_version,
)
from auditor.collect.scope import Shard, choose, is_readable
from auditor.model import InputError
from auditor.redaction import redact_resource
from auditor.secrets import redact_settings
from auditor.snapshot import Snapshot, new_scope

#: Answers that mean "nothing of this type here" rather than "could not look".
EMPTY_CODES = {"MissingSubscriptionRegistration", "NoRegisteredProviderFound", "SubscriptionNotRegistered"}
#: Answers that mean the identity lacks a permission, so coverage names the one it needs.
DENIED_STATUSES = {401, 403}
APP_SETTING_LISTS = ("appsettings", "connectionstrings")


@dataclass
class Options:
    target: auth.Target = field(default_factory=auth.Target)
    subscriptions: list[str] = field(default_factory=list)
    all_subscriptions: bool = False
    management_groups: list[str] = field(default_factory=list)
    exclude_subscriptions: list[str] = field(default_factory=list)
    shard: Shard | None = None
    resource_groups: list[str] = field(default_factory=list)
    #: "resourcegraph": top-level types from Resource Graph where it holds them; "arm": ARM lists only.
    source: str = "resourcegraph"
    concurrency: int = 16
    #: Subscriptions per batch (and per Resource Graph query); at most two batches are open at once.
    batch: int = 100
    retries: int = 4
    backoff: float = 0.5
    retry_after_cap: float = 30.0
    timeout: float = 60.0
    inspect_app_settings: bool = False
    progress: bool = False


@dataclass
class Stats:
    requests: int  # every attempt sent, retries included
    retries: int
    throttled: int
    server_errors: int
    connection_errors: int
    methods: set[str]
    resources: int
    failures: int
    paced: float = 0.0  # seconds requests waited for their share of the quota, all workers together


@dataclass(frozen=True)
class _Read:
    """One list: the resources of `rtype` directly in `scope` (a subscription, resource group or parent)."""

    subscription: str
    rtype: str
    scope: str
    path: str
    api: str | None = None  # an api-version other than the plan's (EXTRA_API_VERSIONS)


@dataclass(frozen=True)
class _GraphRead:
    """One Resource Graph query, all its pages: the planned top-level `types` of `subscriptions`."""

    subscriptions: tuple[str, ...]
    types: tuple[str, ...]


#: What the sink is given for each subscription once it is read: its id, resources and coverage.
Sink = Callable[[str, list[dict[str, Any]], list[dict[str, Any]]], None]


def snapshot_resource(raw: dict[str, Any], rtype: str) -> dict[str, Any]:
    """The one place a resource as read (an ARM list item, a by-name GET, a Resource Graph row in
    ARM shape) becomes a snapshot resource: typed, and every secret in it replaced by a marker
    (auditor.redaction), salted with its subscription. It runs in the worker that read it, before
    anything is kept."""
    raw.setdefault("type", rtype)  # a few child lists omit it
    rid = raw.get("id")
    salt = rid.split("/")[2].lower() if isinstance(rid, str) and rid.count("/") > 2 else ""
    return redact_resource(raw, salt)


class _Progress:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream, self._last = stream, 0.0

    def show(self, done: int, total: int, resources: int, quota: str, final: bool = False) -> None:
        if self.stream is None or (not final and time.monotonic() - self._last < 0.1):
            return
        self._last = time.monotonic()
        filled = int(20 * done / max(1, total))
        self.stream.write(
            f"\rgolive: [{'#' * filled}{'.' * (20 - filled)}] {done}/{total} subscriptions, "
            f"{resources} resources{quota}\x1b[K"
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Collector:
    def __init__(
        self, plan: Plan, diag_targets: set[str], options: Options, reader: Reader, sink: Sink | None = None
    ) -> None:
        self.plan, self.options, self.reader = plan, options, reader
        self.diag_targets = {t.lower() for t in diag_targets}
        self.sink = sink
        self.graph_types = (
            tuple(t for t in plan.top_level if graph.from_graph(t))
            if options.source == "resourcegraph" and not options.resource_groups
            else ()
        )
        self._planned = {t.lower(): t for t in plan.types}
        # Per open subscription: resources by lower-cased id (a list repeated by paging counts once),
        # counts and sources per type, failures, and the jobs still running for it.
        self._resources: dict[str, dict[str, dict[str, Any]]] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self._sources: dict[tuple[str, str], str] = {}
        self._failures: dict[str, list[dict[str, Any]]] = {}
        self._open: dict[str, int] = {}
        self._pending: dict[Future[Any], _Read | _GraphRead] = {}
        self._done: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self._progress = _Progress(sys.stderr if options.progress else None)
        self.done = 0
        self.total = 0
        self.resource_count = 0
        self.failure_count = 0

    def run(self, subscriptions: list[str]) -> None:
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.concurrency), thread_name_prefix="golive-read")
        batches = list(graph.batches(subscriptions, max(1, min(self.options.batch, graph.MAX_SUBSCRIPTIONS_PER_QUERY))))
        batches.reverse()
        self.total = len(subscriptions)
        try:
            while batches or self._pending:
                while batches and len(self._open) < 2 * self.options.batch:
                    self._start(pool, batches.pop())
                for future in self._finished():
                    job = self._pending.pop(future)
                    if isinstance(job, _GraphRead):
                        self._absorb_graph(pool, job, future)
                        continue
                    try:
                        self._absorb(pool, job, future.result())
                    except ReadError as exc:
                        self._fail(job, exc)
                    self._close(job.subscription)
                self._show()
        except BaseException:
            # Ctrl-C: drop what is queued instead of finishing it; what the sink has is complete.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        self._show(final=True)

    def _finished(self) -> list[Future[Any]]:
        """The jobs done since last asked, waiting for one if none is. Futures report themselves
        on a queue as they finish: with thousands pending, concurrent.futures.wait would scan
        them all for every answer."""
        done: list[Future[Any]] = []
        while not done:
            try:  # with a timeout, so that Ctrl-C is seen while waiting
                done.append(self._done.get(timeout=0.5))
            except queue.Empty:
                continue
        while True:
            try:
                done.append(self._done.get_nowait())
            except queue.Empty:
                return done

    def _show(self, final: bool = False) -> None:
        pacer = self.reader.pacer
        quota = "".join(
            (
                f", {pacer.arm_remaining} ARM reads left" if pacer.arm_remaining is not None else "",
                f", {pacer.graph_remaining} Resource Graph queries left" if pacer.graph_remaining is not None else "",
            )
        )
        self._progress.show(self.done, self.total, self.resource_count, quota, final)

    def _start(self, pool: ThreadPoolExecutor, batch: list[str]) -> None:
        for sub in batch:
            self._resources[sub] = {}
            self._failures[sub] = []
            self._open[sub] = 1  # held until every first job of the subscription is queued
        if self.graph_types:
            job = _GraphRead(tuple(batch), self.graph_types)
            for sub in batch:
                self._open[sub] += 1
                # Resource Graph leaves out silently what the caller cannot read: ask what it may.
                scope = f"/subscriptions/{sub}"
                self._submit(
                    pool, _Read(sub, graph.PERMISSIONS_TYPE, scope, f"{scope}/providers/{graph.PERMISSIONS_TYPE}")
                )
            self._track(pool.submit(self._query, job), job)
        for sub in batch:
            for rtype in self.plan.top_level:
                if rtype not in self.graph_types:
                    self._list_top_level(pool, sub, rtype)
            for rtype in self.plan.subscription_level:
                scope = f"/subscriptions/{sub}"
                self._submit(pool, _Read(sub, rtype, scope, f"{scope}/providers/{rtype}"))
            self._close(sub)

    def _list_top_level(self, pool: ThreadPoolExecutor, sub: str, rtype: str) -> None:
        """The ARM lists of a top-level type in a subscription: per scope, at the plan's
        api-version and at each older one whose resources keep their own shape (EXTRA_API_VERSIONS)."""
        for scope in self._scopes(sub):
            path = f"{scope}/providers/{rtype}"
            self._submit(pool, _Read(sub, rtype, scope, path))
            for api in EXTRA_API_VERSIONS.get(rtype.lower(), ()):
                self._submit(pool, _Read(sub, rtype, scope, path, api))

    def _close(self, sub: str) -> None:
        """One job of `sub` is over; when it was the last, the subscription is complete."""
        self._open[sub] -= 1
        if self._open[sub]:
            return
        del self._open[sub]
        resources = sorted(self._resources.pop(sub).values(), key=lambda r: r["id"].lower())
        coverage = self.coverage_of(sub)
        self._failures.pop(sub)
        self.done += 1
        if self.sink is not None:
            self.sink(sub, resources, coverage)

    def _scopes(self, sub: str) -> list[str]:
        groups = {g.lower(): g for g in self.options.resource_groups}.values()
        return [f"/subscriptions/{sub}/resourceGroups/{g}" for g in groups] or [f"/subscriptions/{sub}"]

    def _submit(self, pool: ThreadPoolExecutor, read: _Read) -> None:
        self._open[read.subscription] += 1
        self._track(pool.submit(self._execute, read), read)

    def _track(self, future: Future[Any], job: _Read | _GraphRead) -> None:
        self._pending[future] = job
        future.add_done_callback(self._done.put)

    def _execute(self, read: _Read) -> list[dict[str, Any]]:
        if read.rtype == SITE_CONFIG and read.path.endswith("/list"):
            return [self._app_settings(read)]
        if read.rtype == graph.PERMISSIONS_TYPE:
            url = f"{read.path}?{urlencode({'api-version': graph.PERMISSIONS_API_VERSION})}"
            return [{"permissions": self.reader.request("GET", url, read.rtype)}]
        if read.rtype.lower() in SINGLETON_CHILDREN:
            return self._singleton(read)
        try:
            return [snapshot_resource(item, read.rtype) for item in self.reader.list(read.path, read.rtype, read.api)]
        except ReadError as exc:
            if exc.code in EMPTY_CODES:  # the provider is not registered: there is none of the type
                return []
            raise

    def _singleton(self, read: _Read) -> list[dict[str, Any]]:
        """A child ARM serves by name only (a storage account's managementPolicies/default)."""
        name = SINGLETON_CHILDREN[read.rtype.lower()]
        url = f"{read.path}/{name}?{urlencode({'api-version': api_version(read.rtype)})}"
        try:
            body = self.reader.request("GET", url, read.rtype)
        except ReadError as exc:
            if exc.status == 404:  # none configured
                return []
            raise
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ReadError("MalformedResponse", f"the {read.rtype} answer has no 'id'")
        return [snapshot_resource(body, read.rtype)]

    def _query(self, job: _GraphRead) -> list[dict[str, Any]]:
        """Every row of one Resource Graph query, following $skipToken page by page, each in ARM's
        shape as a snapshot resource."""
        rows: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        url = f"{graph.GRAPH_QUERY_PATH}?{urlencode({'api-version': graph.GRAPH_API_VERSION})}"
        wanted = {t.lower(): t for t in job.types}
        while True:
            body = graph.request_body(list(job.subscriptions), job.types, token)
            page = self.reader.request("POST", url, graph.GRAPH_TYPE, body)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list) or not all(_has_id(r) for r in data):
                raise ReadError("MalformedResponse", "the Resource Graph answer has no 'data' array of rows with ids")
            rows.extend(snapshot_resource(graph.as_arm_shape(row, wanted), "") for row in data)
            token = page.get("$skipToken") or None
            if token is None:
                return rows
            if not isinstance(token, str) or token in seen:
                raise ReadError("MalformedResponse", "the $skipToken is not a new token")
            seen.add(token)

    def _absorb_graph(self, pool: ThreadPoolExecutor, job: _GraphRead, future: Future[Any]) -> None:
        """Rows to their subscriptions, in ARM's shape; a query that failed falls back to ARM lists."""
        try:
            rows = future.result()
        except ReadError:
            for sub in job.subscriptions:
                for rtype in job.types:
                    self._list_top_level(pool, sub, rtype)
                self._close(sub)
            return
        by_sub: dict[str, dict[str, list[dict[str, Any]]]] = {
            s.lower(): {t: [] for t in job.types} for s in job.subscriptions
        }
        for resource in rows:
            sub = resource["id"].split("/")[2].lower() if resource["id"].count("/") > 2 else ""
            if sub in by_sub and resource["type"] in by_sub[sub]:
                by_sub[sub][resource["type"]].append(resource)
        for sub in job.subscriptions:
            for rtype, items in by_sub[sub.lower()].items():
                self._sources[(sub, rtype)] = "resourcegraph"
                self._absorb(pool, _Read(sub, rtype, f"/subscriptions/{sub}", ""), items)
            self._close(sub)

    def _app_settings(self, read: _Read) -> dict[str, Any]:
        """The one list action golive makes, only with --inspect-app-settings. Values are
        redacted here, in the worker, before anything is kept."""
        url = f"{read.path}?{urlencode({'api-version': api_version(SITE_CONFIG)})}"
        body = self.reader.request("POST", url, SITE_CONFIG)
        raw = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(raw, dict):
            raise ReadError("MalformedResponse", "the settings list has no 'properties' object")
        values = {k: (v.get("value") if isinstance(v, dict) else v) or "" for k, v in raw.items()}
        name = read.path.rsplit("/", 2)[-2]
        return {
            "id": f"{read.scope}/config/{name}",
            "name": name,
            "type": SITE_CONFIG,
            "properties": redact_settings(values, read.subscription.lower()),
        }

    def _absorb(self, pool: ThreadPoolExecutor, read: _Read, items: list[dict[str, Any]]) -> None:
        if read.rtype == graph.PERMISSIONS_TYPE:
            unreadable = graph.unreadable_types(items[0]["permissions"], self.graph_types)
            for rtype in sorted(unreadable):
                error = ReadError(
                    "NotReadableAtSubscriptionScope",
                    f"the identity may not read {rtype} on the whole subscription, and Resource Graph "
                    "leaves out silently what it cannot read",
                    403,
                )
                self._fail(_Read(read.subscription, rtype, read.scope, ""), error)
            return
        key = (read.subscription, read.rtype)
        self.counts[key] = self.counts.get(key, 0)
        kept = self._resources[read.subscription]
        for resource in items:  # snapshot resources already (snapshot_resource, in the worker)
            if kept.setdefault(resource["id"].lower(), resource) is resource:
                self.counts[key] += 1
                self.resource_count += 1
                self._follow(pool, read, resource)

    def _follow(self, pool: ThreadPoolExecutor, read: _Read, item: dict[str, Any]) -> None:
        """Queue the lists below one resource that was just read."""
        rid = item["id"].rstrip("/")
        for child in self.plan.children_of(read.rtype):
            self._submit(pool, _Read(read.subscription, child, rid, f"{rid}/{child.rsplit('/', 1)[1]}"))
        if self.plan.diagnostic_settings and read.rtype.lower() in self.diag_targets:
            self._submit(
                pool, _Read(read.subscription, DIAGNOSTIC_SETTINGS, rid, f"{rid}/providers/{DIAGNOSTIC_SETTINGS}")
            )
        if self.plan.app_settings and read.rtype.lower() == "microsoft.web/sites":
            for name in APP_SETTING_LISTS:
                self._submit(pool, _Read(read.subscription, SITE_CONFIG, rid, f"{rid}/config/{name}/list"))

    def _fail(self, read: _Read, error: ReadError) -> None:
        """Record the failure, and the same gap for every type below: their absence proves nothing."""
        if read.rtype == graph.PERMISSIONS_TYPE:  # what Resource Graph answered cannot be trusted
            for rtype in self.graph_types:
                self._fail(_Read(read.subscription, rtype, read.scope, read.path), error)
            return
        denied = error.status in DENIED_STATUSES
        entry = {
            "subscriptionId": read.subscription,
            "type": read.rtype,
            "collected": False,
            "scope": read.scope,
            "errorCode": error.code,
            "message": error.message[:500],
        }
        failures = self._failures[read.subscription]
        # Only the settings list is an action; every other read, {site}/config included, is a GET.
        needed = permission(read.rtype) if read.path.endswith("/list") else f"{read.rtype}/read"
        failures.append({**entry, "permission": needed} if denied else entry)
        self.failure_count += 1
        for below in self.plan.descendants_of(read.rtype):
            derived = {
                **entry,
                "type": below,
                "message": f"not read because {read.rtype} could not be read: {error.message}"[:500],
            }
            failures.append({**derived, "permission": permission(read.rtype)} if denied else derived)
            self.failure_count += 1

    def coverage_of(self, sub: str) -> list[dict[str, Any]]:
        """Every planned type of one subscription as collected, with its count, source and
        api-version, unless it failed for the whole subscription; then every failure with its
        scope. The inventory treats a failure as a gap in everything under its scope."""
        failures = self._failures.get(sub, [])
        whole = {f["type"] for f in failures if f["scope"] == f"/subscriptions/{sub}"}
        entries = []
        for rtype in self.plan.types:
            if rtype in whole:
                continue
            source = self._sources.pop((sub, rtype), "arm")
            entry = {"subscriptionId": sub, "type": rtype, "collected": True, "count": self.counts.pop((sub, rtype), 0)}
            entry["source"] = source
            if source == "arm":
                entry["apiVersion"] = api_version(rtype)
            entries.append(entry)
        return entries + sorted(failures, key=lambda f: (f["type"].lower(), f["scope"].lower()))


def _has_id(row: Any) -> bool:
    return isinstance(row, dict) and isinstance(row.get("id"), str)


def not_read(plan: Plan, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """The coverage of a subscription golive does not read (not Enabled): every planned type a gap."""
    sub, state = subscription["subscriptionId"], str(subscription.get("state"))
    return [
        {
            "subscriptionId": sub,
            "type": rtype,
            "collected": False,
            "scope": f"/subscriptions/{sub}",
            "errorCode": f"Subscription{state}",
            "message": f"the subscription is {state}: golive reads only Enabled subscriptions",
        }
        for rtype in plan.types
    ]


def _visible_subscriptions(reader: Reader) -> list[dict[str, Any]]:
    """The subscription list, or a one-line error: without it nothing can be read."""
    from azure.core.exceptions import AzureError

    try:
        return reader.subscriptions()
    except ReadError as exc:
        raise InputError(reader.target.endpoint, f"cannot list subscriptions: {exc}") from None
    except AzureError as exc:  # no credential in the chain, a token that cannot be had
        from auditor.collect.auth import NOT_LOGGED_IN

        raise InputError(reader.target.endpoint, f"{NOT_LOGGED_IN} ({str(exc).splitlines()[0]})") from None


def make_reader(options: Options) -> Reader:
    return Reader(
        options.target,
        retries=options.retries,
        backoff=options.backoff,
        retry_after_cap=options.retry_after_cap,
        timeout=options.timeout,
        pool_size=options.concurrency,
        allow_list_actions=options.inspect_app_settings,
    )


def plan_scope(plan: Plan, options: Options, reader: Reader) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The snapshot's scope, and the subscriptions in it, each as ARM lists it (with its state).
    The clients the plan needs are built meanwhile, on their own thread."""
    reader.prepare([*plan.types, graph.GRAPH_TYPE])
    chosen = choose(
        reader,
        _visible_subscriptions(reader),
        subscriptions=options.subscriptions,
        all_subscriptions=options.all_subscriptions,
        management_groups=options.management_groups,
        exclude=options.exclude_subscriptions,
        shard=options.shard,
    )
    tenants = {s.get("tenantId") for s in chosen if s.get("tenantId")}
    scope = new_scope(
        [
            {"subscriptionId": s["subscriptionId"], "displayName": s.get("displayName"), "state": s.get("state")}
            for s in chosen
        ],
        tenants.pop() if len(tenants) == 1 else options.target.tenant,
        options.target.cloud,
    )
    if options.resource_groups:
        scope["resourceGroups"] = list(options.resource_groups)
    if len(options.management_groups) == 1:
        scope["managementGroup"] = options.management_groups[0]
    return scope, chosen


def run_collection(
    plan: Plan,
    diag_targets: set[str],
    options: Options,
    reader: Reader,
    subscriptions: list[dict[str, Any]],
    sink: Sink,
) -> Stats:
    """Read every subscription in `subscriptions` that is Enabled, and hand each to `sink` once
    complete; the others go to `sink` at once, with their coverage saying why they were not read."""
    for sub in subscriptions:
        if not is_readable(sub):
            sink(sub["subscriptionId"], [], not_read(plan, sub))
    collector = Collector(plan, diag_targets, options, reader, sink)
    collector.run([s["subscriptionId"] for s in subscriptions if is_readable(s)])
    counter = reader.counter
    return Stats(
        requests=counter.requests,
        retries=counter.retries,
        throttled=counter.throttled,
        server_errors=counter.server_errors,
        connection_errors=counter.connection_errors,
        methods=set(counter.methods),
        resources=collector.resource_count,
        failures=collector.failure_count,
        paced=reader.pacer.waited,
    )


def collect(plan: Plan, diag_targets: set[str], options: Options) -> tuple[Snapshot, Stats]:
    """Collect into memory (for an audit run straight after)."""
    reader = make_reader(options)
    scope, chosen = plan_scope(plan, options, reader)
    resources: list[dict[str, Any]] = []
    coverage: list[dict[str, Any]] = []

    def keep(sub: str, found: list[dict[str, Any]], covered: list[dict[str, Any]]) -> None:
        resources.extend(found)
        coverage.extend(covered)

    stats = run_collection(plan, diag_targets, options, reader, chosen, keep)
    order = {s["subscriptionId"]: n for n, s in enumerate(chosen)}
    coverage.sort(key=lambda c: order.get(c["subscriptionId"], 0))
    resources.sort(key=lambda r: r["id"].lower())
    return Snapshot(scope=scope, resources=resources, coverage=coverage), stats
