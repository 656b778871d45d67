"""Managed messaging for backpressure: advisory, as the guide recommends rather than requires it."""

from __future__ import annotations

from auditor.api import Area, Param, Remediation, Resource, Severity, Verdict, check, failed, not_applicable, passed
from auditor.inventory import Context

BROKERS = ("Microsoft.ServiceBus/namespaces", "Microsoft.EventHub/namespaces", "Microsoft.SignalRService/SignalR")
APP = "Microsoft.App/containerApps"
SERVICE_BUS = "Microsoft.ServiceBus/namespaces"
QUEUE = "Microsoft.ServiceBus/namespaces/queues"
ACS = "Microsoft.Communication/CommunicationServices"
SYSTEM_TOPIC = "Microsoft.EventGrid/systemTopics"
EVENT_SUBSCRIPTION = "Microsoft.EventGrid/systemTopics/eventSubscriptions"


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


@check(
    id="messaging.servicebus-premium",
    title="Service Bus runs on the Premium tier in production",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[SERVICE_BUS],
    rationale=(
        "Basic and Standard namespaces share capacity with other tenants, so latency varies with their load, and "
        "they offer neither private endpoints, availability zones nor geo-disaster recovery. The guide's "
        "backpressure queue sits in the path of live calls: Premium gives it dedicated, predictable capacity."
    ),
    remediation=Remediation(
        text="Create a Premium namespace (or migrate the Standard one) and move the queues to it.",
        az="az servicebus namespace create --name {name}-premium --resource-group {resourceGroup} --sku Premium "
        "--capacity 1",
        bicep="sku: {\n  name: 'Premium'\n  tier: 'Premium'\n  capacity: 1\n}",
    ),
    refs=["https://learn.microsoft.com/azure/service-bus-messaging/service-bus-premium-messaging"],
)
def servicebus_premium(namespace: Resource, ctx: Context) -> Verdict:
    tier = namespace.get("sku.tier", default=None, expect=str) or namespace.get("sku.name", expect=str)
    if tier.lower() == "premium":
        return passed("Premium tier", expected="Premium")
    return failed(f"{tier} tier: shared capacity, no private endpoints or zones", expected="Premium")


@check(
    id="messaging.queue-dead-lettering",
    title="Service Bus queues dead-letter expired messages and bound redelivery",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="load-testing",
    types=[QUEUE],
    params={
        "min_delivery_count": Param(2, "Lowest acceptable maxDeliveryCount (1 dead-letters on the first failure)."),
        "max_delivery_count": Param(20, "Highest acceptable maxDeliveryCount (a poison message retries this often)."),
    },
    rationale=(
        "Dead-letter support is the reason the guide picks Service Bus. Without dead-lettering on expiration an "
        "expired command vanishes without a trace; a maxDeliveryCount of 1 gives up on the first transient "
        "failure, and a huge one lets a poison message block a worker for hours."
    ),
    remediation=Remediation(
        text="Enable dead-lettering on message expiration and keep maxDeliveryCount between 2 and 20 (10 is the "
        "default).",
        az="az servicebus queue update --namespace-name <namespace> --resource-group {resourceGroup} --name {name} "
        "--enable-dead-lettering-on-message-expiration true --max-delivery-count 10",
        bicep="properties: {\n  deadLetteringOnMessageExpiration: true\n  maxDeliveryCount: 10\n}",
    ),
    refs=["https://learn.microsoft.com/azure/service-bus-messaging/service-bus-dead-letter-queues"],
)
def queue_dead_lettering(queue: Resource, ctx: Context) -> Verdict:
    # Defaults of SBQueueProperties: deadLetteringOnMessageExpiration false, maxDeliveryCount 10.
    dead_letters = queue.get("properties.deadLetteringOnMessageExpiration", default=False, expect=bool)
    deliveries = queue.get("properties.maxDeliveryCount", default=10, expect=int)
    low, high = ctx.params["min_delivery_count"], ctx.params["max_delivery_count"]
    expected = f"dead-lettering on expiration, maxDeliveryCount {low}-{high}"
    gaps = []
    if not dead_letters:
        gaps.append("expired messages are dropped, not dead-lettered")
    if not low <= deliveries <= high:
        gaps.append(f"maxDeliveryCount is {deliveries}, outside {low}-{high}")
    if gaps:
        return failed("; ".join(gaps), expected=expected)
    return passed(f"dead-lettering on expiration, maxDeliveryCount {deliveries}", expected=expected)


def _delivery_problems(subscription: Resource) -> list[str]:
    problems = []
    destinations = [
        subscription.get(path, default=None, expect=dict)
        for path in ("properties.deadLetterDestination", "properties.deadLetterWithResourceIdentity")
    ]
    if not any(destinations):
        problems.append("no dead-letter destination")
    # Event Grid retries 30 times over 1,440 minutes when no retryPolicy is given (delivery-and-retry doc).
    attempts = subscription.get(
        "properties.retryPolicy.maxDeliveryAttempts", default=30, expect=int, parent_optional="properties.retryPolicy"
    )
    if attempts < 2:
        problems.append(f"retries {attempts} time")
    return problems


@check(
    id="messaging.acs-call-events",
    title="Communication Services call events reach a subscriber with retries and a dead-letter destination",
    severity=Severity.MEDIUM,
    area=Area.SCALABILITY,
    checklist="environment-validated",
    types=[ACS],
    reads=[SYSTEM_TOPIC, EVENT_SUBSCRIPTION],
    rationale=(
        "Incoming calls arrive as Event Grid events from the Communication Services resource. Without a system "
        "topic and a subscription with a dead-letter destination, an event the app could not take during a "
        "restart or scale-out is dropped after the retries, and the caller hears nothing."
    ),
    remediation=Remediation(
        text="Create an Event Grid system topic for the ACS resource and a subscription with a retry policy and a "
        "dead-letter blob container.",
        az="az eventgrid system-topic event-subscription create --name incoming-calls --resource-group "
        "{resourceGroup} --system-topic-name <topic> --endpoint <url> --deadletter-endpoint "
        "<storage-id>/blobServices/default/containers/deadletter --max-delivery-attempts 30 --event-ttl 1440",
        bicep="properties: {\n  retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }\n"
        "  deadLetterDestination: { endpointType: 'StorageBlob', properties: { resourceId: storage.id, "
        "blobContainerName: 'deadletter' } }\n}",
    ),
    refs=[
        "https://learn.microsoft.com/azure/event-grid/manage-event-delivery",
        "https://learn.microsoft.com/azure/communication-services/concepts/call-automation/incoming-call-notification",
    ],
)
def acs_call_events(acs: Resource, ctx: Context) -> Verdict:
    expected = "an Event Grid subscription on the ACS resource with retries and a dead-letter destination"
    topics = [
        t
        for t in ctx.resources(SYSTEM_TOPIC)
        if t.get("properties.source", default="", expect=str).lower() == acs.id.lower()
    ]
    if not topics:
        return failed("no Event Grid system topic for this resource: call events reach nobody", expected=expected)
    judged = []
    for topic in topics:
        for subscription in ctx.children(topic, EVENT_SUBSCRIPTION):
            problems = _delivery_problems(subscription)
            if not problems:
                return passed(
                    f"event subscription {topic.name}/{subscription.name} retries and dead-letters", expected=expected
                )
            judged.append(f"{subscription.name}: {', '.join(problems)}")
    if not judged:
        return failed(f"system topic {topics[0].name} has no event subscription", expected=expected)
    return failed("; ".join(judged), expected=expected)
