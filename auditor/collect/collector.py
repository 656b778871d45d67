"""Reads Azure Resource Manager into a snapshot: raw wire JSON, in parallel, read-only.

Reads go through the azure-mgmt-resource client's authenticated ARM pipeline (the real SDK,
with its retry and authentication policies) as plain GETs, so that every resource is stored
exactly as ARM returned it, whatever the SDK's models know of it. A type that cannot be read
in a scope (403, 404, timeout, a malformed body) is recorded in the snapshot's coverage with
the permission it needs, and the run goes on.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from auditor.collect import auth
from auditor.collect.plan import EXTRA_QUERY, Plan, api_version, permission
from auditor.model import InputError
from auditor.secrets import redact_settings
from auditor.snapshot import Snapshot, new_scope

#: Answers that mean "nothing of this type here" rather than "could not look".
EMPTY_CODES = {"MissingSubscriptionRegistration", "NoRegisteredProviderFound", "SubscriptionNotRegistered"}


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
    requests: int
    throttled: int
    server_errors: int
    methods: set[str]
    resources: int
    failures: int


class ReadError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class _Reader:
    """GETs through one SDK client shared by the worker threads (the pipeline is thread-safe)."""

    def __init__(self, options: Options) -> None:
        from azure.mgmt.resource.resources import ResourceManagementClient

        target = options.target
        self.credential = auth.credential(target)
        self.counter = auth.RequestCounter()
        self.policies = auth.pipeline_policies(
            self.credential, target, self.counter, options.retries, options.backoff, options.retry_after_cap
        )
        self.transport = {"transport": _transport(options)}
        self.client = ResourceManagementClient(
            self.credential,
            "00000000-0000-0000-0000-000000000000",
            base_url=target.endpoint,
            policies=self.policies,
            **self.transport,
        )
        self.endpoint = target.endpoint

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription the identity can see, through the SDK's typed operation."""
        from azure.mgmt.subscription import SubscriptionClient

        client = SubscriptionClient(self.credential, base_url=self.endpoint, policies=self.policies, **self.transport)
        return [
            {
                "subscriptionId": s.subscription_id,
                "displayName": s.display_name,
                "state": str(s.state or ""),
                "tenantId": getattr(s, "tenant_id", None),
            }
            for s in client.subscriptions.list()
        ]

    def request(self, method: str, url: str) -> Any:
        from azure.core.exceptions import DecodeError, ServiceRequestError, ServiceResponseError
        from azure.core.rest import HttpRequest

        try:
            response = self.client.send_request(HttpRequest(method, url))
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise ReadError("ConnectionFailed", f"no answer: {type(exc).__name__}") from None
        except DecodeError:
            raise ReadError("MalformedResponse", "the response body is not JSON") from None
        if response.status_code >= 400:
            code, message = str(response.status_code), response.reason or ""
            try:
                error = response.json().get("error", {})
                code, message = error.get("code", code), error.get("message", message)
            except ValueError:
                pass
            raise ReadError(code, message, response.status_code)
        try:
            return response.json()
        except ValueError:
            raise ReadError("MalformedResponse", "the response body is not JSON") from None

    def list(self, path: str, rtype: str) -> list[dict[str, Any]]:
        query = {"api-version": api_version(rtype), **EXTRA_QUERY.get(rtype.lower(), {})}
        url: str | None = f"{path}?{urlencode(query)}"
        items: list[dict[str, Any]] = []
        while url:
            page = self.request("GET", url)
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise ReadError("MalformedResponse", "the response has no 'value' array")
            for item in page["value"]:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise ReadError("MalformedResponse", "an item has no 'id'")
                item.setdefault("type", rtype)
                items.append(item)
            url = page.get("nextLink")
        return items


@dataclass
class _Outcome:
    subscription: str
    rtype: str
    scope: str
    items: list[dict[str, Any]]
    error: ReadError | None = None


class Collector:
    def __init__(self, plan: Plan, diag_targets: Iterable[str], options: Options) -> None:
        self.plan, self.options = plan, options
        self.diag_targets = {t.lower() for t in diag_targets}
        self.reader = _Reader(options)
        self.resources: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.collected: dict[tuple[str, str], int] = {}
        self._done = 0
        self._lock = threading.Lock()

    # -- bookkeeping ---------------------------------------------------------------------------
    def _absorb(self, outcome: _Outcome) -> None:
        with self._lock:
            self._done += 1
            key = (outcome.subscription, outcome.rtype)
            if outcome.error is None or outcome.error.code in EMPTY_CODES:
                self.resources.extend(outcome.items)
                self.collected[key] = self.collected.get(key, 0) + len(outcome.items)
            else:
                self.failures.append(
                    {
                        "subscriptionId": outcome.subscription,
                        "type": outcome.rtype,
                        "collected": False,
                        "scope": outcome.scope,
                        "errorCode": outcome.error.code,
                        "message": outcome.error.message[:500],
                        "permission": permission(outcome.rtype),
                    }
                )
            if self.options.progress:
                sys.stderr.write(f"\rgolive: {self._done} lists read, {len(self.resources)} resources")
                sys.stderr.flush()

    def _run(self, jobs: list[Callable[[], _Outcome]]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            for outcome in pool.map(lambda job: job(), jobs):
                self._absorb(outcome)

    def _list_job(self, sub: str, rtype: str, path: str) -> Callable[[], _Outcome]:
        def job() -> _Outcome:
            try:
                return _Outcome(sub, rtype, path, self.reader.list(path, rtype))
            except ReadError as exc:
                return _Outcome(sub, rtype, path, [], exc)

        return job

    def _of_type(self, rtype: str) -> list[dict[str, Any]]:
        key = rtype.lower()
        return [r for r in self.resources if str(r.get("type", "")).lower() == key]

    # -- the run -------------------------------------------------------------------------------
    def run(self, subscriptions: list[str]) -> None:
        groups = self.options.resource_groups
        jobs = []
        for sub in subscriptions:
            for rtype in self.plan.top_level:
                if groups:
                    jobs += [
                        self._list_job(sub, rtype, f"/subscriptions/{sub}/resourceGroups/{g}/providers/{rtype}")
                        for g in groups
                    ]
                else:
                    jobs.append(self._list_job(sub, rtype, f"/subscriptions/{sub}/providers/{rtype}"))
            jobs += [
                self._list_job(sub, t, f"/subscriptions/{sub}/providers/{t}") for t in self.plan.subscription_level
            ]
        self._run(jobs)
        for rtype in self.plan.children:  # ordered: parents first
            parent_type, segment = rtype.rsplit("/", 1)
            parents = self._of_type(parent_type)
            self._run([self._list_job(_sub_of(p["id"]), rtype, f"{p['id']}/{segment}") for p in parents])
            for sub in subscriptions:
                self.collected.setdefault((sub, rtype), 0)
        if self.plan.diagnostic_settings:
            targets = [r for r in self.resources if str(r.get("type", "")).lower() in self.diag_targets]
            rtype = "Microsoft.Insights/diagnosticSettings"
            self._run([self._list_job(_sub_of(r["id"]), rtype, f"{r['id']}/providers/{rtype}") for r in targets])
            for sub in subscriptions:
                self.collected.setdefault((sub, rtype), 0)
        if self.plan.app_settings:
            self._read_app_settings(subscriptions)
        if self.options.progress:
            sys.stderr.write("\n")

    def _read_app_settings(self, subscriptions: list[str]) -> None:
        """The one list action golive makes, only with --inspect-app-settings: values are
        redacted here, before anything is kept."""
        rtype = "Microsoft.Web/sites/config"

        def job(site: dict[str, Any], name: str) -> _Outcome:
            sub = _sub_of(site["id"])
            url = f"{site['id']}/config/{name}/list?{urlencode({'api-version': api_version(rtype)})}"
            try:
                body = self.reader.request("POST", url)
            except ReadError as exc:
                return _Outcome(sub, rtype, site["id"], [], exc)
            raw = (body or {}).get("properties") or {}
            values = {k: (v.get("value") if isinstance(v, dict) else v) or "" for k, v in raw.items()}
            item = {
                "id": f"{site['id']}/config/{name}",
                "name": name,
                "type": rtype,
                "properties": redact_settings(values, sub),
            }
            return _Outcome(sub, rtype, site["id"], [item])

        sites = self._of_type("Microsoft.Web/sites")
        self._run([lambda s=s, n=n: job(s, n) for s in sites for n in ("appsettings", "connectionstrings")])
        for sub in subscriptions:
            self.collected.setdefault((sub, rtype), 0)

    def coverage(self, subscriptions: list[str]) -> list[dict[str, Any]]:
        """Every planned type as collected (with its count), plus each scope that failed: the
        inventory treats a failure as covering everything under its scope."""
        entries = [
            {"subscriptionId": sub, "type": rtype, "collected": True, "count": self.collected.get((sub, rtype), 0)}
            for sub in subscriptions
            for rtype in self.plan.types
        ]
        return entries + self.failures


def _transport(options: Options) -> Any:
    """One connection pool as wide as the worker pool, so that parallel reads reuse connections."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, options.concurrency))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(
        session=session,
        session_owner=True,
        connection_verify=options.target.ca_bundle or True,
        connection_timeout=options.timeout,
        read_timeout=options.timeout,
    )


def _sub_of(resource_id: str) -> str:
    return resource_id.split("/")[2]


def collect(plan: Plan, diag_targets: Iterable[str], options: Options) -> tuple[Snapshot, Stats]:
    collector = Collector(plan, diag_targets, options)
    visible = collector.reader.subscriptions() if (options.all_subscriptions or options.subscriptions) else []
    by_id = {s["subscriptionId"].lower(): s for s in visible}
    if options.all_subscriptions:
        chosen = [s for s in visible if s["state"].lower() in ("enabled", "subscriptionstate.enabled")]
    else:
        missing = [s for s in options.subscriptions if s.lower() not in by_id]
        if missing:
            raise InputError("--subscription", f"{missing[0]} is not visible to this identity")
        chosen = [by_id[s.lower()] for s in options.subscriptions]
    if not chosen:
        raise InputError("--subscription", "no subscription to collect (give --subscription or --all-subscriptions)")
    ids = [s["subscriptionId"] for s in chosen]
    collector.run(ids)
    tenants = {s.get("tenantId") for s in chosen if s.get("tenantId")}
    scope = new_scope(
        [{"subscriptionId": s["subscriptionId"], "displayName": s["displayName"], "state": s["state"]} for s in chosen],
        tenants.pop() if len(tenants) == 1 else options.target.tenant,
        options.target.cloud,
    )
    if options.resource_groups:
        scope["resourceGroups"] = list(options.resource_groups)
    resources = sorted(collector.resources, key=lambda r: r["id"].lower())
    counter = collector.reader.counter
    stats = Stats(
        counter.requests,
        counter.throttled,
        counter.server_errors,
        set(counter.methods),
        len(resources),
        len(collector.failures),
    )
    return Snapshot(scope=scope, resources=resources, coverage=collector.coverage(ids)), stats
