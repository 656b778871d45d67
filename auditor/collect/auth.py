"""Credentials, clouds and the SDK pipeline golive reads through.

No secret is ever a command-line argument: azure-identity's chain reads service-principal
secrets, workload identity and managed identity from the environment, or uses the Azure CLI
login. GOLIVE_ACCESS_TOKEN may hold a pre-acquired ARM access token (for Azure Stack Hub, air-gapped
runners and tests against the fake ARM).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# This module is imported only when golive collects, never by `golive --help`.
from azure.core.pipeline.policies import SansIOHTTPPolicy

CLOUDS = {
    "AzureCloud": ("https://management.azure.com", "login.microsoftonline.com"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
TOKEN_VARIABLE = "GOLIVE_ACCESS_TOKEN"
NOT_LOGGED_IN = (
    "cannot authenticate to Azure: run 'az login', or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET; "
    "see docs/collecting.md"
)


def show_credential_chain(verbose: bool) -> None:
    """azure-identity logs every credential it tried, a dozen lines, when none works. golive's one-line
    error says what to do; the chain is shown only with -v."""
    import logging

    chain_logger = logging.getLogger("azure.identity")
    if verbose:
        chain_logger.handlers[:] = [h for h in chain_logger.handlers if not isinstance(h, logging.NullHandler)]
    elif not any(isinstance(h, logging.NullHandler) for h in chain_logger.handlers):
        chain_logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Target:
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    tenant: str | None = None

    @property
    def endpoint(self) -> str:
        return (self.arm_endpoint or CLOUDS[self.cloud][0]).rstrip("/")

    @property
    def scope(self) -> str:
        return f"{CLOUDS[self.cloud][0]}/.default"


class StaticToken:
    """A credential that hands out a token acquired elsewhere."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


class TenantCredential:
    """Pins every token request to one tenant (--tenant)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner, self._tenant = inner, tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        kwargs["tenant_id"] = self._tenant
        return self._inner.get_token(*scopes, **kwargs)


def credential(target: Target) -> Any:
    token = os.environ.get(TOKEN_VARIABLE)
    if token:
        return StaticToken(token)
    from azure.identity import DefaultAzureCredential

    chain = DefaultAzureCredential(
        authority=CLOUDS[target.cloud][1],
        exclude_interactive_browser_credential=True,
        additionally_allowed_tenants=["*"] if target.tenant else [],
    )
    return TenantCredential(chain, target.tenant) if target.tenant else chain


def pipeline_policies(
    cred: Any,
    target: Target,
    counter: RequestCounter,
    retries: int,
    backoff: float,
    retry_after_cap: float,
    allow_list_actions: bool = False,
    pacer: Any = None,
) -> list[Any]:
    """The SDK's ARM policies minus automatic resource-provider registration (which POSTs
    /register on a 409 MissingSubscriptionRegistration: golive never writes), with a retry
    policy whose Retry-After honouring is capped, a read-only guard and request counters.
    A `pacer` (collect.pacing.Pacer) after the retry policy makes every attempt wait for its
    share of Azure's read quota. There is no ContentDecodePolicy: golive keeps the body as JSON
    and parses it once itself."""
    from azure.core.pipeline import policies
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

    class CappedRetryPolicy(policies.RetryPolicy):
        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(value, retry_after_cap)

    return [
        policies.RequestIdPolicy(),
        policies.HeadersPolicy(),
        policies.UserAgentPolicy(sdk_moniker="golive"),
        policies.ProxyPolicy(),
        ReadOnlyPolicy(allow_list_actions),
        policies.RedirectPolicy(),
        counter.calls,
        CappedRetryPolicy(
            retry_total=retries,
            retry_connect=retries,
            retry_read=retries,
            retry_status=retries,
            retry_backoff_factor=backoff,
            retry_backoff_max=retry_after_cap,
        ),
        *([pacer] if pacer is not None else []),
        counter,
        ARMChallengeAuthenticationPolicy(cred, target.scope),
        policies.SensitiveHeaderCleanupPolicy(),
        ARMHttpLoggingPolicy(),
    ]


class ReadOnlyPolicy(SansIOHTTPPolicy):
    """Refuses every request that is not a GET, except the Resource Graph query (a POST that
    reads; exactly that path, at the root of the endpoint) and the App Service list actions the
    user opted into with --inspect-app-settings."""

    list_actions = ("/config/appsettings/list", "/config/connectionstrings/list")
    resource_graph_query = "/providers/microsoft.resourcegraph/resources"

    def __init__(self, allow_list_actions: bool = False) -> None:
        super().__init__()
        self.allow_list_actions = allow_list_actions

    def on_request(self, request: Any) -> None:
        http = request.http_request
        path = http.url.split("?", 1)[0].lower()
        if http.method == "GET":
            return
        if http.method == "POST" and urlsplit(path).path == self.resource_graph_query:
            return
        if http.method == "POST" and self.allow_list_actions and path.endswith(self.list_actions):
            return
        raise PermissionError(f"golive is read-only and refused {http.method} {path}")


class _CallCounter(SansIOHTTPPolicy):
    """Sits before the retry policy: sees each call once, however often it is retried."""

    def __init__(self, owner: RequestCounter) -> None:
        super().__init__()
        self._owner = owner

    def on_request(self, request: Any) -> None:
        with self._owner.lock:
            self._owner.calls_made += 1


class RequestCounter(SansIOHTTPPolicy):
    """Sits after the retry policy: counts every attempt, and the throttled, failed and
    unanswered ones. `retries` is attempts minus calls."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.calls = _CallCounter(self)
        self.calls_made = 0
        self.requests = 0
        self.throttled = 0
        self.server_errors = 0
        self.connection_errors = 0
        self.methods: set[str] = set()

    @property
    def retries(self) -> int:
        return self.requests - self.calls_made

    def on_request(self, request: Any) -> None:
        with self.lock:
            self.requests += 1
            self.methods.add(request.http_request.method)

    def on_response(self, request: Any, response: Any) -> None:
        status = response.http_response.status_code
        with self.lock:
            if status == 429:
                self.throttled += 1
            elif status >= 500:
                self.server_errors += 1

    def on_exception(self, request: Any) -> None:
        with self.lock:
            self.connection_errors += 1
