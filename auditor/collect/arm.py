"""Reads ARM as raw wire JSON through the azure-mgmt clients' authenticated pipelines.

Each type is read through the pipeline of the azure-mgmt client that owns its namespace
(plan.client_for), built with golive's policy list: no automatic provider registration, a
read-only guard, capped retries. Requests are plain GETs of the list URLs (`send_request` with
azure.core.rest.HttpRequest), so that a resource is stored exactly as ARM returned it, whatever
the SDK's models know of it; the SDK models differ between packages, and checks read the wire shape.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from auditor.collect import auth
from auditor.collect.pacing import Pacer
from auditor.collect.plan import EXTRA_QUERY, SUBSCRIPTIONS_API_VERSION, api_version, client_for

#: The subscription id the clients are built with: every URL golive sends is absolute, so the
#: clients' own subscription parameter is never used.
_UNUSED_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


class ReadError(Exception):
    """A read that did not give a usable answer; `code` goes into the snapshot's coverage."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


class Reader:
    """One transport and one policy list, shared by a client per namespace and by the worker
    threads (azure-core pipelines are thread-safe)."""

    def __init__(
        self,
        target: auth.Target,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        retry_after_cap: float = 30.0,
        timeout: float = 60.0,
        pool_size: int = 16,
        allow_list_actions: bool = False,
    ) -> None:
        self.target = target
        self.credential = auth.credential(target)
        self.counter = auth.RequestCounter()
        self.pacer = Pacer()
        self.policies = auth.pipeline_policies(
            self.credential, target, self.counter, retries, backoff, retry_after_cap, allow_list_actions, self.pacer
        )
        self.transport = _transport(target, timeout, pool_size)
        self._clients: dict[str, Any] = {}
        self._building: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # guards the two dicts only, never an import or a build
        self._host = urlsplit(target.endpoint).netloc.lower()

    def pipeline(self, rtype: str) -> Any:
        """The ARM pipeline client of the azure-mgmt client that owns `rtype`. Building one
        imports its package; a read waits only for the client it needs, never for another's."""
        name = client_for(rtype)
        client = self._clients.get(name)
        if client is not None:
            return client
        with self._lock:
            building = self._building.setdefault(name, threading.Lock())
        with building:
            if name not in self._clients:
                self._clients[name] = self._build(name)
        return self._clients[name]

    def prepare(self, rtypes: Iterable[str]) -> threading.Thread:
        """Build the clients of `rtypes` on a background thread, while the subscriptions are
        listed, so that the first reads of each type find their client ready."""
        names = list(dict.fromkeys(rtypes))
        thread = threading.Thread(target=lambda: [self.pipeline(t) for t in names], daemon=True, name="golive-clients")
        thread.start()
        return thread

    def _build(self, name: str) -> Any:
        module, cls = name.split(":")
        client_class = getattr(importlib.import_module(module), cls)
        arguments = () if cls == "SubscriptionClient" else (_UNUSED_SUBSCRIPTION,)
        client = client_class(
            self.credential,
            *arguments,
            base_url=self.target.endpoint,
            policies=self.policies,
            transport=self.transport,
        )
        return client._client

    def _absolute(self, url: str) -> str:
        # Not the client's format_url: it treats braces in a resource name as a URL template.
        return url if urlsplit(url).scheme else f"{self.target.endpoint}{url}"

    def request(self, method: str, url: str, rtype: str, body: Any = None) -> Any:
        """The JSON answer to one call (with a JSON `body`, for the Resource Graph query), or
        ReadError; retries happen inside the pipeline."""
        from azure.core.exceptions import ServiceRequestError, ServiceResponseError
        from azure.core.rest import HttpRequest

        pipeline = self.pipeline(rtype)
        try:
            response = pipeline.send_request(HttpRequest(method, self._absolute(url), json=body))
        except ServiceRequestError as exc:
            # A connect timeout (a loaded server, a slow TLS handshake) is a timeout like a read one.
            code = "Timeout" if "timed out" in _cause(exc).lower() else "ConnectionFailed"
            raise ReadError(code, f"could not connect: {_cause(exc)}") from None
        except ServiceResponseError as exc:
            code = "Timeout" if "timeout" in _cause(exc).lower() else "NoResponse"
            raise ReadError(code, f"no answer: {_cause(exc)}") from None
        body = response.content
        if response.status_code >= 400:
            code, message = str(response.status_code), response.reason or ""
            error = _json(body)
            if isinstance(error, dict) and isinstance(error.get("error"), dict):
                code = str(error["error"].get("code") or code)
                message = str(error["error"].get("message") or message)
            raise ReadError(code, message, response.status_code)
        parsed = _json(body)
        if parsed is _INVALID:
            raise ReadError("MalformedResponse", f"the answer to {method} is not JSON")
        return parsed

    def pages(self, path: str, rtype: str, api: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page of a list, following nextLink on the same host only: a bearer token must
        not follow a link elsewhere."""
        query = {"api-version": api or api_version(rtype), **EXTRA_QUERY.get(rtype.lower(), {})}
        url: str | None = f"{path}?{urlencode(query)}"
        seen: set[str] = set()
        while url:
            page = self.request("GET", url, rtype)
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise ReadError("MalformedResponse", "the list has no 'value' array")
            items = page["value"]
            if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
                raise ReadError("MalformedResponse", "an item of the list has no 'id'")
            yield items
            url = page.get("nextLink") or None
            if url is not None:
                if not isinstance(url, str) or url in seen:
                    raise ReadError("MalformedResponse", "the nextLink is not a new URL")
                host = urlsplit(url).netloc.lower()
                if host and host != self._host:
                    raise ReadError("MalformedResponse", f"the nextLink points to another host ({host})")
                seen.add(url)

    def list(self, path: str, rtype: str, api: str | None = None) -> list[dict[str, Any]]:
        """Every item of every page, as ARM sent it (collector.snapshot_resource types and redacts it)."""
        return [item for page in self.pages(path, rtype, api) for item in page]

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription the identity can see, as ARM describes them."""
        rtype = "Microsoft.Resources/subscriptions"
        return [s for page in self.pages("/subscriptions", rtype, SUBSCRIPTIONS_API_VERSION) for s in page]


_INVALID: Any = object()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return _INVALID


def _cause(exc: Exception) -> str:
    inner = getattr(exc, "inner_exception", None) or exc
    return type(inner).__name__ if not str(inner) else f"{type(inner).__name__}: {str(inner)[:200]}"


def _transport(target: auth.Target, timeout: float, pool_size: int) -> Any:
    """One connection pool as wide as the worker pool, so that parallel reads reuse connections."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(
        session=session,
        session_owner=True,
        connection_verify=target.ca_bundle or True,
        connection_timeout=timeout,
        read_timeout=timeout,
    )
