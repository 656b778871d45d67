"""Every actionable line of the production guide, and what proves it: checks, a manual checklist item
(a person attests it; checks may bring evidence), or nothing, because configuration cannot show it.

docs/checks.md renders this map (auditor/docs.py); tests/test_guide_map.py keeps it complete against
the guide: each actionable line (list items, table rows, the scale YAML) must start with exactly one
`line` below, once its Markdown is stripped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideLine:
    line: str  # the start of the guide's line, Markdown stripped
    checks: tuple[str, ...] = ()
    item: str = ""  # a manual checklist item id (auditor/checklist.py)
    reason: str = ""  # why configuration cannot prove it, or what the line is

    @property
    def kind(self) -> str:
        if self.item:
            return "manual"
        return "check" if self.checks else "not provable from configuration"


def _l(line: str, *checks: str, item: str = "", reason: str = "") -> GuideLine:
    return GuideLine(line, tuple(checks), item, reason)


PRIVATE = (
    "aca.environment-internal",
    "network.acs.public-access",
    "network.redis.private-endpoint",
    "network.cosmos.private-endpoint",
    "network.cognitive.private-endpoint",
    "network.keyvault.private-endpoint",
)
MANAGED_IDENTITY = (
    "identity.aca.managed-identity",
    "identity.cognitive.local-auth-disabled",
    "identity.cosmos.local-auth-disabled",
    "identity.redis.local-auth-disabled",
    "identity.acs.local-auth-disabled",
    "secrets.aca-env-plaintext",
)
APP_CODE = "behaviour of the application's code, which no Azure resource records"
PRACTICE = "a team practice; evidence lives outside Azure Resource Manager"
DR = ("dr.cosmos", "dr.mongo-vcore-ha", "dr.redis", "dr.storage", "dr.acr-geo-replication")

GUIDE_MAP: tuple[GuideLine, ...] = (
    # Current state
    _l("Networking |", "network.waf-fronts-http", *PRIVATE),
    _l("Authentication |", *MANAGED_IDENTITY),
    _l("API Gateway |", "apim.fronts-ai-services", "apim.rate-limit"),
    _l("Message Queuing |", "scale.managed-messaging", "messaging.servicebus-premium"),
    _l("Observability |", "monitor.workload-telemetry", "alerts.availability", "alerts.e2e-latency"),
    # Application Gateway
    _l("Centralized SSL/TLS termination", "appgw.https-redirect", "appgw.tls-min-1-2", "aca.ingress-https-only"),
    _l(
        "Web Application Firewall",
        "appgw.waf-prevention",
        "appgw.waf-rule-set",
        "frontdoor.waf-prevention",
        "network.waf-fronts-http",
    ),
    _l("Path-based routing and load balancing", reason="routing rules are a design choice; any rule set is valid"),
    _l("Health probes for backend availability", "appgw.health-probes"),
    # API Management as AI gateway
    _l("Rate Limiting |", "apim.rate-limit"),
    _l("Token Counting |", "apim.token-limit", "ai.capacity-vs-gateway"),
    _l("Request Transformation |", reason="which transformations normalise which models is the API's design"),
    _l("Caching | Cache common responses", "apim.ai-caching"),
    _l("Circuit Breaking |", "apim.circuit-breaker"),
    # Private endpoints
    _l("Azure Communication Services |", "network.acs.public-access"),
    _l("Azure Cache for Redis |", "network.redis.private-endpoint", "network.redis.public-access"),
    _l("Cosmos DB |", "network.cosmos.private-endpoint", "network.cosmos.public-access"),
    _l("Azure OpenAI |", "network.cognitive.private-endpoint", "network.cognitive.public-access"),
    _l("Speech Services |", "network.cognitive.private-endpoint", "network.cognitive.public-access"),
    _l("Container Apps |", "aca.environment-internal", "aca.ingress-not-public"),
    # Authentication architecture
    _l(
        "Azure Entra ID for operator/admin access",
        "keyvault.rbac",
        reason="RBAC on the vault is checked; who may operate the rest is Entra ID and PIM configuration outside ARM",
    ),
    _l("Managed Identity for all service-to-service", *MANAGED_IDENTITY),
    _l("Call Authentication via DTMF", reason=APP_CODE),
    _l("Session Validation with secure token", reason=APP_CODE),
    # Managed messaging
    _l(
        "Azure Service Bus |",
        "scale.managed-messaging",
        "messaging.servicebus-premium",
        "messaging.queue-dead-lettering",
    ),
    _l("Azure SignalR Service |", "scale.managed-messaging", "network.signalr.private-endpoint"),
    _l("Azure Event Hubs |", "scale.managed-messaging", "network.eventhubs.private-endpoint"),
    _l("Connection Management", "scale.managed-messaging"),
    _l("Backpressure Handling", "scale.managed-messaging", "messaging.queue-dead-lettering"),
    _l("Failure Isolation", "messaging.queue-dead-lettering", "messaging.acs-call-events"),
    _l("Horizontal Scaling", "aca.scale-rules", "aca.max-replicas"),
    # Container Apps configuration (the scale YAML)
    _l("scale:", "aca.scale-rules"),
    _l("minReplicas: 2", "aca.min-replicas"),
    _l("maxReplicas: 20", "aca.max-replicas"),
    _l("rules:", "aca.scale-rules"),
    _l("- name: http-requests", "aca.scale-rules", "aca.scale-thresholds"),
    _l("http:", "aca.scale-thresholds"),
    _l("metadata:", "aca.scale-thresholds"),
    _l('concurrentRequests: "50"', "aca.scale-thresholds"),
    _l("- name: cpu-utilization", "aca.scale-rules", "aca.scale-thresholds"),
    _l("custom:", "aca.scale-thresholds"),
    _l("type: cpu", "aca.scale-thresholds"),
    _l('value: "70"', "aca.scale-thresholds"),
    # Monitoring stack
    _l("Application Insights |", "monitor.appinsights-workspace", "monitor.workload-telemetry"),
    _l("Azure Monitor |", "alerts.service-health", "alerts.container-cpu"),
    _l(
        "Log Analytics |",
        "monitor.aca-environment.diagnostic-logs",
        "monitor.apim.diagnostic-logs",
        "keyvault.audit-logs",
    ),
    _l(
        "Dashboards |",
        item="performance-baselines",
        reason="dashboards are portal or Grafana content golive does not read; the baselines attestation covers them",
    ),
    # Key metrics
    _l("Latency | End-to-end response |", "alerts.e2e-latency"),
    _l("Latency | STT processing", "alerts.stt-latency"),
    _l("Latency | TTS generation", "alerts.tts-latency"),
    _l("Availability | Service uptime", "alerts.availability"),
    _l("Quality | Call drop rate", "alerts.call-drop-rate"),
    _l("Resources | Container CPU", "alerts.container-cpu"),
    _l("Resources | Redis memory", "alerts.redis-memory"),
    # Correlation
    _l("callConnectionId", reason="log fields are written by the application; only its telemetry shows them"),
    _l("sessionId", reason="log fields are written by the application; only its telemetry shows them"),
    _l("requestId", reason="log fields are written by the application; only its telemetry shows them"),
    # Deployment checklist
    _l("Private endpoints configured for all services", *PRIVATE),
    _l("Application Gateway with WAF deployed", "appgw.waf-prevention", "network.waf-fronts-http"),
    _l("API Management configured with rate limiting", "apim.rate-limit", "apim.token-limit"),
    _l("Managed Identity enabled", *MANAGED_IDENTITY),
    _l("Key Vault integration for all secrets", "secrets.aca-secrets-in-keyvault", "keyvault.rbac"),
    _l("Monitoring dashboards and alerts configured", "alerts.availability", "alerts.e2e-latency"),
    _l("Load testing completed at target scale", "aca.min-replicas", "aca.scale-thresholds", item="load-testing"),
    _l("Security assessment performed", "security.defender-plans", "ai.content-filter", item="security-assessment"),
    _l("Disaster recovery procedures documented", *DR, item="disaster-recovery"),
    _l(
        "Production environment validated",
        "aca.environment-zone-redundant",
        "messaging.acs-call-events",
        reason="every automated check counts toward it",
    ),
    _l("Rollback procedures tested", item="rollback-tested"),
    _l("Support team trained", item="support-trained"),
    _l("Incident response playbooks ready", item="incident-playbooks"),
    _l("Performance baselines established", item="performance-baselines"),
    _l("Metrics reviewed against targets", item="metrics-reviewed"),
    _l("Cost optimization opportunities identified", "cost.budget", "ai.slm-cascade", item="cost-optimization"),
    _l("Continuous improvement roadmap updated", item="roadmap-updated"),
    # Cost optimisation
    _l("Right-sizing |", reason="right-sizing needs usage metrics over time, not configuration"),
    _l(
        "Reserved Capacity |",
        "ai.provisioned-throughput",
        reason="reservations are billing objects outside the subscription's resources; PTU deployments are reported",
    ),
    _l("Auto-scaling |", "cost.off-peak-schedule", "aca.scale-rules"),
    _l("Caching | Cache TTS", "apim.ai-caching"),
    _l("Idle Timeout |", item="idle-timeout", reason="the idle timer lives in the application's session handling"),
    # Cascade architecture
    _l("Tier 1 | Fine-tuned Phi-3/SLM", "ai.slm-cascade"),
    _l("Tier 2 | GPT-4o-mini", "ai.slm-cascade"),
    _l("Tier 3 | GPT-4o", "ai.slm-cascade"),
    _l("80-90% cost reduction", "ai.slm-cascade", reason="the saving itself shows only on the bill"),
    _l("Lower latency for simple requests", "ai.slm-cascade", reason="latency is measured, not configured"),
    _l("Graceful fallback when SLM confidence", reason="the router's confidence threshold is application code"),
    _l(
        "Domain specialization through fine-tuning",
        reason="fine-tuned models show as deployments (ai.slm-cascade lists them); the training data does not",
    ),
    # Context management
    _l("Hierarchical Summarization |", reason=APP_CODE),
    _l("Semantic Chunking |", reason=APP_CODE),
    _l("Memory Tiering |", "memory.redis-eviction", "memory.cosmos-session-ttl", "memory.blob-lifecycle"),
    _l("Entity Extraction |", reason=APP_CODE),
    _l("Azure AI Foundry for managed memory", reason="an option to explore, not a requirement"),
    _l("Semantic Kernel for structured memory", reason="an SDK inside the application"),
    _l(
        "Custom embeddings for conversation",
        reason="an option to explore; embedding deployments are listed by ai.slm-cascade",
    ),
    # Evaluations
    _l("Fluency |", reason="evaluation results come from evaluation runs, not from resource configuration"),
    _l("Groundedness |", reason="evaluation results come from evaluation runs, not from resource configuration"),
    _l("Relevance |", reason="evaluation results come from evaluation runs, not from resource configuration"),
    _l(
        "Safety | Content filtering",
        "ai.content-filter",
        reason="PII detection happens in the application or Content Safety calls and is not provable",
    ),
    _l("Latency | End-to-end response time", "alerts.e2e-latency", reason="P95 targets are measured, not configured"),
    _l("Baseline Metrics", item="performance-baselines"),
    _l("Golden Dataset", reason=PRACTICE),
    _l("Automated Pipelines", reason="evaluation runs live in CI, not in Azure Resource Manager"),
    _l("Human-in-the-Loop", reason=PRACTICE),
    _l("A/B Testing", reason="traffic splits for experiments are application or gateway logic over time"),
    # Resources
    _l("[Azure Well-Architected Framework]", reason="a reference, not a requirement"),
    _l(
        "[Azure Security Baseline]",
        "security.defender-plans",
        reason="the baseline is broad; Defender for Cloud assesses it continuously",
    ),
    _l("[Azure Architecture Center]", reason="a reference, not a requirement"),
)
