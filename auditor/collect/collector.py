"""Reads Azure Resource Manager into a snapshot: raw wire JSON, in parallel, read-only.

Every list is one job on a bounded thread pool; when a list of parents arrives, the lists below
each parent (child collections, diagnostic settings, App Service settings) are queued at once, so
that subscriptions and types proceed in parallel without waiting for one another. A type that
cannot be read in a scope (403, 404, timeout, a malformed body) is recorded in the snapshot's
coverage, together with every type below it that therefore could not be read, and the run goes on.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import urlencode

from auditor.collect import auth
from auditor.collect.arm import Reader, ReadError
from auditor.collect.permissions import permission
from auditor.collect.plan import DIAGNOSTIC_SETTINGS, EXTRA_API_VERSIONS, SITE_CONFIG, Plan, api_version
from auditor.model import InputError
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
    resource_groups: list[str] = field(default_factory=list)
    concurrency: int = 16
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


@dataclass(frozen=True)
class _Read:
    """One list: the resources of `rtype` directly in `scope` (a subscription, resource group or parent)."""

    subscription: str
    rtype: str
    scope: str
    path: str
    api: str | None = None  # an api-version other than the plan's (EXTRA_API_VERSIONS)


class _Progress:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream, self._last = stream, 0.0

    def show(self, done: int, total: int, resources: int, final: bool = False) -> None:
        if self.stream is None or (not final and time.monotonic() - self._last < 0.1):
            return
        self._last = time.monotonic()
        filled = int(20 * done / max(1, total))
        self.stream.write(
            f"\rgolive: [{'#' * filled}{'.' * (20 - filled)}] {done}/{total} lists, {resources} resources"
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Collector:
    def __init__(self, plan: Plan, diag_targets: set[str], options: Options, reader: Reader) -> None:
        self.plan, self.options, self.reader = plan, options, reader
        self.diag_targets = {t.lower() for t in diag_targets}
        self.resources: dict[str, dict[str, Any]] = {}  # by lower-cased id: a list repeated by paging counts once
        self.failures: list[dict[str, Any]] = []
        self.counts: dict[tuple[str, str], int] = {}
        self._pending: dict[Future[list[dict[str, Any]]], _Read] = {}
        self._submitted = 0
        self._progress = _Progress(sys.stderr if options.progress else None)

    def run(self, subscriptions: list[str]) -> None:
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.concurrency), thread_name_prefix="golive-read")
        try:
            for sub in subscriptions:
                for rtype in self.plan.top_level:
                    for scope in self._scopes(sub):
                        self._submit(pool, _Read(sub, rtype, scope, f"{scope}/providers/{rtype}"))
                        for api in EXTRA_API_VERSIONS.get(rtype.lower(), ()):
                            self._submit(pool, _Read(sub, rtype, scope, f"{scope}/providers/{rtype}", api))
                for rtype in self.plan.subscription_level:
                    scope = f"/subscriptions/{sub}"
                    self._submit(pool, _Read(sub, rtype, scope, f"{scope}/providers/{rtype}"))
            while self._pending:
                done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                for future in done:
                    read = self._pending.pop(future)
                    try:
                        self._absorb(pool, read, future.result())
                    except ReadError as exc:
                        self._fail(read, exc)
                self._progress.show(self._submitted - len(self._pending), self._submitted, len(self.resources))
        except BaseException:
            # Ctrl-C: drop what is queued instead of finishing it; nothing has been written yet.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        self._progress.show(self._submitted, self._submitted, len(self.resources), final=True)

    def _scopes(self, sub: str) -> list[str]:
        groups = {g.lower(): g for g in self.options.resource_groups}.values()
        return [f"/subscriptions/{sub}/resourceGroups/{g}" for g in groups] or [f"/subscriptions/{sub}"]

    def _submit(self, pool: ThreadPoolExecutor, read: _Read) -> None:
        self._submitted += 1
        self._pending[pool.submit(self._execute, read)] = read

    def _execute(self, read: _Read) -> list[dict[str, Any]]:
        if read.rtype == SITE_CONFIG:
            return [self._app_settings(read)]
        try:
            return self.reader.list(read.path, read.rtype, read.api)
        except ReadError as exc:
            if exc.code in EMPTY_CODES:  # the provider is not registered: there is none of the type
                return []
            raise

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
        key = (read.subscription, read.rtype)
        self.counts[key] = self.counts.get(key, 0)
        for item in items:
            if self.resources.setdefault(item["id"].lower(), item) is item:
                self.counts[key] += 1
                self._follow(pool, read, item)

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
        denied = error.status in DENIED_STATUSES
        entry = {
            "subscriptionId": read.subscription,
            "type": read.rtype,
            "collected": False,
            "scope": read.scope,
            "errorCode": error.code,
            "message": error.message[:500],
        }
        self.failures.append({**entry, "permission": permission(read.rtype)} if denied else entry)
        for below in self.plan.descendants_of(read.rtype):
            derived = {
                **entry,
                "type": below,
                "message": f"not read because {read.rtype} could not be read: {error.message}"[:500],
            }
            self.failures.append({**derived, "permission": permission(read.rtype)} if denied else derived)

    def coverage(self, subscriptions: list[str]) -> list[dict[str, Any]]:
        """Every planned type per subscription as collected, with its count, unless it failed for
        the whole subscription; then every failure with its scope. The inventory treats a failure
        as a gap in everything under its scope."""
        whole = {
            (f["subscriptionId"], f["type"])
            for f in self.failures
            if f["scope"] == f"/subscriptions/{f['subscriptionId']}"
        }
        entries = [
            {"subscriptionId": sub, "type": rtype, "collected": True, "count": self.counts.get((sub, rtype), 0)}
            for sub in subscriptions
            for rtype in self.plan.types
            if (sub, rtype) not in whole
        ]
        return entries + sorted(
            self.failures, key=lambda f: (f["subscriptionId"], f["type"].lower(), f["scope"].lower())
        )


def _visible_subscriptions(reader: Reader) -> list[dict[str, Any]]:
    """The subscription list, or a one-line error: without it nothing can be read."""
    from azure.core.exceptions import AzureError

    try:
        return reader.subscriptions()
    except ReadError as exc:
        raise InputError(reader.target.endpoint, f"cannot list subscriptions: {exc}") from None
    except AzureError as exc:  # no credential in the chain, a token that cannot be had
        raise InputError(reader.target.endpoint, f"cannot authenticate: {str(exc).splitlines()[0]}") from None


def _choose(options: Options, visible: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {str(s.get("subscriptionId", "")).lower(): s for s in visible}
    if options.all_subscriptions:
        chosen = [s for s in visible if str(s.get("state", "")).lower() == "enabled"]
    else:
        missing = [s for s in options.subscriptions if s.lower() not in by_id]
        if missing:
            raise InputError("--subscription", f"{missing[0]} is not visible to this identity")
        chosen = list({s.lower(): by_id[s.lower()] for s in options.subscriptions}.values())
    if not chosen:
        raise InputError("--subscription", "no subscription to collect (give --subscription or --all-subscriptions)")
    return chosen


def collect(plan: Plan, diag_targets: set[str], options: Options) -> tuple[Snapshot, Stats]:
    reader = Reader(
        options.target,
        retries=options.retries,
        backoff=options.backoff,
        retry_after_cap=options.retry_after_cap,
        timeout=options.timeout,
        pool_size=options.concurrency,
        allow_list_actions=options.inspect_app_settings,
    )
    chosen = _choose(options, _visible_subscriptions(reader))
    ids = [s["subscriptionId"] for s in chosen]
    collector = Collector(plan, diag_targets, options, reader)
    collector.run(ids)
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
    resources = sorted(collector.resources.values(), key=lambda r: r["id"].lower())
    counter = reader.counter
    stats = Stats(
        requests=counter.requests,
        retries=counter.retries,
        throttled=counter.throttled,
        server_errors=counter.server_errors,
        connection_errors=counter.connection_errors,
        methods=set(counter.methods),
        resources=len(resources),
        failures=len(collector.failures),
    )
    return Snapshot(scope=scope, resources=resources, coverage=collector.coverage(ids)), stats
