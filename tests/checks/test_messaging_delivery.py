"""Service Bus tier and queues, and the Event Grid delivery of Communication Services call events.

Shapes from azure-rest-api-specs: servicebus .../examples/NameSpaces/SBNameSpaceGet.json (sku Premium) and
Queues/SBQueueGet.json (deadLetteringOnMessageExpiration, maxDeliveryCount 10); eventgrid
stable/2025-02-15/examples/SystemTopics_Get.json (properties.source, topicType) and
SystemTopicEventSubscriptions_Get.json (retryPolicy 30 attempts / 1440 minutes, no dead-letter destination).
"""

from tests.checks.helpers import arm_id, only, resource, verdicts

NAMESPACE = "Microsoft.ServiceBus/Namespaces"
QUEUE = "Microsoft.ServiceBus/Namespaces/Queues"
ACS = "Microsoft.Communication/CommunicationServices"
TOPIC = "Microsoft.EventGrid/systemTopics"
SUBSCRIPTION = "Microsoft.EventGrid/systemTopics/eventSubscriptions"


def namespace(tier):
    return resource(
        NAMESPACE, "sdk-Namespace-2924", sku={"name": tier, "tier": tier}, properties={"provisioningState": "Succeeded"}
    )


def test_premium_namespace_passes_and_standard_fails():
    assert verdicts("messaging.servicebus-premium", [namespace("Premium")]) == {"sdk-Namespace-2924": "pass"}
    finding = only("messaging.servicebus-premium", [namespace("Standard")])
    assert finding.status.value == "fail" and "Standard" in finding.evidence["message"]
    assert verdicts("messaging.servicebus-premium", []) == {"test": "not_applicable"}


def queue(dead_letter=True, deliveries=10):
    props = {
        "lockDuration": "PT1M",
        "maxSizeInMegabytes": 1024,
        "requiresDuplicateDetection": False,
        "requiresSession": False,
        "deadLetteringOnMessageExpiration": dead_letter,
        "enableBatchedOperations": True,
        "status": "Active",
    }
    if deliveries is not None:
        props["maxDeliveryCount"] = deliveries
    return resource(QUEUE, "sdk-Namespace-2924", "sdk-Queues-5647", properties=props)


def test_queue_dead_lettering_and_delivery_count():
    assert verdicts("messaging.queue-dead-lettering", [queue()]) == {"sdk-Queues-5647": "pass"}
    assert verdicts("messaging.queue-dead-lettering", [queue(deliveries=None)]) == {"sdk-Queues-5647": "pass"}
    finding = only("messaging.queue-dead-lettering", [queue(dead_letter=False, deliveries=2147483647)])
    assert finding.status.value == "fail"
    assert "dropped" in finding.evidence["message"] and "2147483647" in finding.evidence["message"]
    assert verdicts("messaging.queue-dead-lettering", [queue(deliveries=1)]) == {"sdk-Queues-5647": "fail"}
    assert verdicts("messaging.queue-dead-lettering", []) == {"test": "not_applicable"}
    assert verdicts("messaging.queue-dead-lettering", [queue(deliveries="10")]) == {"sdk-Queues-5647": "not_assessed"}


def acs():
    return resource(ACS, "acs1", location="global", properties={"hostName": "acs1.communication.azure.com"})


def topic(source):
    return resource(
        TOPIC,
        "acs-events",
        properties={
            "provisioningState": "Succeeded",
            "source": source,
            "topicType": "microsoft.communication.communicationservices",
        },
    )


def event_subscription(dead_letter=True, retry=None):
    props = {
        "topic": arm_id(TOPIC, "acs-events"),
        "destination": {
            "endpointType": "WebHook",
            "properties": {"endpointBaseUrl": "https://calls.contoso.com/events"},
        },
        "filter": {"includedEventTypes": ["Microsoft.Communication.IncomingCall"]},
        "eventDeliverySchema": "EventGridSchema",
    }
    if retry is not None:
        props["retryPolicy"] = retry
    if dead_letter:
        props["deadLetterDestination"] = {
            "endpointType": "StorageBlob",
            "properties": {"resourceId": arm_id("Microsoft.Storage/storageAccounts", "st"), "blobContainerName": "dl"},
        }
    return resource(SUBSCRIPTION, "acs-events", "incoming-calls", properties=props)


def test_call_events_with_retry_and_dead_letter_pass():
    source = arm_id(ACS, "acs1").lower()  # ARM may answer the source id lower-cased (SystemTopics_Get.json)
    items = [
        acs(),
        topic(source),
        event_subscription(retry={"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}),
    ]
    assert verdicts("messaging.acs-call-events", items) == {"acs1": "pass"}
    # Without retryPolicy Event Grid's default (30 attempts, 24 hours) applies.
    assert verdicts("messaging.acs-call-events", [acs(), topic(source), event_subscription()]) == {"acs1": "pass"}


def test_call_events_without_dead_letter_or_topic_fail():
    source = arm_id(ACS, "acs1")
    finding = only("messaging.acs-call-events", [acs(), topic(source), event_subscription(dead_letter=False)])
    assert finding.status.value == "fail" and "no dead-letter destination" in finding.evidence["message"]
    no_retry = event_subscription(retry={"maxDeliveryAttempts": 1, "eventTimeToLiveInMinutes": 1440})
    assert verdicts("messaging.acs-call-events", [acs(), topic(source), no_retry]) == {"acs1": "fail"}
    assert verdicts("messaging.acs-call-events", [acs(), topic(source)]) == {"acs1": "fail"}
    assert verdicts("messaging.acs-call-events", [acs(), topic(arm_id("Microsoft.Storage/storageAccounts", "x"))]) == {
        "acs1": "fail"
    }


def test_call_events_not_applicable_and_not_collected():
    assert verdicts("messaging.acs-call-events", []) == {"test": "not_applicable"}
    assert verdicts("messaging.acs-call-events", [acs()], collected=[ACS]) == {"acs1": "not_assessed"}


def test_a_dead_letter_destination_of_another_type_is_not_assessed():
    odd = event_subscription(dead_letter=False)
    odd["properties"]["deadLetterDestination"] = "storage"
    assert verdicts("messaging.acs-call-events", [acs(), topic(arm_id(ACS, "acs1")), odd]) == {"acs1": "not_assessed"}
