"""Managed messaging for backpressure: advisory, as the guide recommends rather than requires it."""

from __future__ import annotations

from auditor.api import Area, Remediation, Resource, Severity, Verdict, check, failed, not_applicable, passed
from auditor.inventory import Context

BROKERS = ("Microsoft.ServiceBus/namespaces", "Microsoft.EventHub/namespaces", "Microsoft.SignalRService/SignalR")
APP = "Microsoft.App/containerApps"


@check(
    id="scale.managed-messaging",
    title="A managed messaging service absorbs backpressure",
    severity=Severity.LOW,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=list(BROKERS),
    reads=[APP],
    scope="subscription",
    rationale="The demo handles messages in process, so a slow dependency backs up into live calls. The guide "
    "adds Service Bus (commands, dead letters), Event Hubs (streams) or SignalR (WebSocket fan-out) to buffer "
    "load and isolate failures.",
    remediation=Remediation(
        text="Introduce Service Bus queues (or Event Hubs / SignalR) between the call front end and the workers.",
        az="az servicebus namespace create --name sb-{resourceGroup} --resource-group {resourceGroup} --sku Premium",
        bicep="resource sb 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {\n  sku: { name: 'Premium' }\n"
        "  properties: { disableLocalAuth: true, publicNetworkAccess: 'Disabled' }\n}",
    ),
    refs=["https://learn.microsoft.com/azure/service-bus-messaging/service-bus-messaging-overview"],
)
def managed_messaging(subscription: Resource, ctx: Context) -> Verdict:
    if not ctx.resources(APP):
        return not_applicable("no container apps in this subscription")
    brokers = [r.name for rtype in BROKERS for r in ctx.resources(rtype)]
    subscription.note("messagingServices", brokers)
    if brokers:
        return passed(f"managed messaging: {', '.join(brokers)}", expected="Service Bus, Event Hubs or SignalR")
    return failed(
        "no Service Bus, Event Hubs or SignalR: messages are handled in process",
        expected="Service Bus, Event Hubs or SignalR",
    )
