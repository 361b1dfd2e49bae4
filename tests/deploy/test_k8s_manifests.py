"""What SRE relies on in the rendered deployment, beyond what the schemas and the linter check:
every part probed, bounded, hardened and given time to shut down; secrets only by reference;
a disruption budget for every part and a scaler for every consumer; traffic only where a
service calls another; the Kafka topics as the contracts define them."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from liveline_devstack.services import SERVICES, module
from liveline_shared.events.topics import DEAD_LETTER_RETENTION_MS, QUEUE_TICKS, TOPICS
from liveline_shared.settings import ServiceSettings
from tests.deploy.k8s import K8S, OVERLAYS, SERVICE_OF, container, of_kind, rendered, run

# The consumer groups (register_consumer's `name`) each consuming Deployment runs, and their
# topics: the media worker transcodes uploads, the notifier follows orders, slots and queue
# ticks, the slots service offers slot lists (for orders and missed slots) and keeps a history
# of queue ticks. The media worker's and the notifier's are assumed until their consumers land.
CONSUMER_GROUPS = {
    # As services/media/src/liveline_media/consumers.py registers them.
    "media": {("media-orders", "liveline.orders.v1")},
    "media-worker": {("media-editing", "liveline.videos.v1")},
    # As services/queue-notifier/src/liveline_queue_notifier/consumers.py registers them.
    "queue-notifier": {
        ("queue-notifier", "liveline.orders.v1"),
        ("queue-notifier-slots", "liveline.slots.v1"),
        ("queue-notifier-ticks", "liveline.queue-ticks.v1"),
        ("queue-notifier-videos", "liveline.videos.v1"),
        ("queue-notifier-webpush", "liveline.notifications.v1"),
    },
    # As services/slots/src/liveline_slots/consumers.py registers them.
    "slots": {("slots", "liveline.orders.v1"), ("slots-missed", "liveline.slots.v1"),
              ("slots-history", "liveline.queue-ticks.v1")},
}
# Who calls whom over HTTP inside the namespace; nothing else may connect.
CALLS = {"gateway": {"order", "slots", "queue-notifier", "media"}, "slots": {"order"}, "queue-notifier": {"order"},
         "media": {"order"},
         "media-worker": {"order"}}


def shutdown_budget_s(main: dict[str, Any]) -> float:
    """Seconds a service may need after SIGTERM: the preStop pause, HTTP requests in flight
    (10 s), the consumers' drain (SHUTDOWN_DRAIN_S, 10 s unless set), the broker's wait for a
    handler past the drain (10 s) and closing; see docs/operations.md, "Shutting down"."""
    drain = next((float(v["value"]) for v in main["env"] if v["name"].endswith("_SHUTDOWN_DRAIN_S")), ServiceSettings().shutdown_drain_s)
    return main["lifecycle"]["preStop"]["sleep"]["seconds"] + 10 + drain + 10 + 5


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request) -> list[dict[str, Any]]:
    return rendered(request.param)


def test_every_service_has_a_deployment_and_a_service_and_the_media_worker_its_own_deployment(docs):
    assert set(of_kind(docs, "Deployment")) == {*SERVICES, "media-worker"}
    assert set(of_kind(docs, "Service")) == set(SERVICES)
    assert container(of_kind(docs, "Deployment")["media-worker"])["args"] == ["python", "-m", "liveline_media", "worker"]


def test_every_container_is_probed_bounded_hardened_and_given_time_to_shut_down(docs):
    for name, deployment in of_kind(docs, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        main = container(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        for kind in ("requests", "limits"):
            assert set(main["resources"][kind]) == {"cpu", "memory"}, (name, kind)
        assert main["resources"]["requests"]["memory"] == main["resources"]["limits"]["memory"], name
        hardening = main["securityContext"]
        assert hardening["readOnlyRootFilesystem"] is True, name
        assert hardening["allowPrivilegeEscalation"] is False, name
        assert hardening["capabilities"]["drop"] == ["ALL"], name
        assert {m["mountPath"] for m in main["volumeMounts"]} == {"/tmp"}, name
        assert main["lifecycle"]["preStop"]["sleep"]["seconds"] > 0, name
        assert pod["terminationGracePeriodSeconds"] >= shutdown_budget_s(main), name
        if name in SERVICES:
            assert main["args"] == ["python", "-m", module(name)], name


def test_the_media_worker_has_scratch_space_for_ffmpeg_and_time_to_finish_a_transcode(docs):
    worker = of_kind(docs, "Deployment")["media-worker"]
    (scratch,) = worker["spec"]["template"]["spec"]["volumes"]
    assert scratch["emptyDir"]["sizeLimit"] == "4Gi"
    drain = {v["name"]: v.get("value") for v in container(worker)["env"]}["LIVELINE_MEDIA_SHUTDOWN_DRAIN_S"]
    assert float(drain) >= 60


def test_settings_use_the_services_own_prefix_and_secrets_come_only_from_secret_references(docs):
    assert not of_kind(docs, "Secret")
    for name, deployment in of_kind(docs, "Deployment").items():
        prefix = "LIVELINE_" + SERVICE_OF[name].upper().replace("-", "_") + "_"
        main = container(deployment)
        for variable in main["env"]:
            assert variable["name"].startswith(prefix), (name, variable["name"])
            if any(word in variable["name"] for word in ("SECRET", "PASSWORD", "TOKEN", "MONGO_URL", "ACCESS_KEY", "SIGNING_KEY", "PRIVATE_KEY")):
                assert "secretKeyRef" in variable.get("valueFrom", {}), (name, variable["name"])
        assert all(source["prefix"] == prefix for source in main["envFrom"])
        values = {v["name"]: v.get("value") for v in main["env"]}
        assert values[f"{prefix}ENVIRONMENT"] == "production", name


def test_every_deployment_has_a_disruption_budget_that_selects_it(docs):
    budgets = of_kind(docs, "PodDisruptionBudget")
    for name, deployment in of_kind(docs, "Deployment").items():
        assert budgets[name]["spec"]["selector"] == deployment["spec"]["selector"], name
        assert budgets[name]["spec"]["maxUnavailable"] == 1, name


def test_the_gateway_scales_on_cpu_and_every_consumer_deployment_on_its_consumer_lag(docs):
    (hpa,) = of_kind(docs, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    scalers = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(docs, "ScaledObject").values()}
    assert set(scalers) == set(CONSUMER_GROUPS)
    (config,) = of_kind(docs, "ConfigMap").values()
    partitions = {name: t["spec"]["partitions"] for name, t in of_kind(docs, "KafkaTopic").items()}
    for target, scaler in scalers.items():
        triggers = [t for t in scaler["spec"]["triggers"] if t["type"] == "kafka"]
        pre_scale = [t for t in scaler["spec"]["triggers"] if t["type"] == "cron"]
        assert len(triggers) + len(pre_scale) == len(scaler["spec"]["triggers"]), target
        assert all(int(t["metadata"]["desiredReplicas"]) <= scaler["spec"]["maxReplicaCount"] for t in pre_scale)
        assert {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in triggers} == CONSUMER_GROUPS[target]
        assert {t["metadata"]["bootstrapServers"] for t in triggers} == {config["data"]["KAFKA_BOOTSTRAP_SERVERS"]}
        # More members than partitions would sit idle.
        assert scaler["spec"]["maxReplicaCount"] <= min(partitions[t["metadata"]["topic"]] for t in triggers), target
        assert scaler["spec"]["minReplicaCount"] >= 1, target


def test_every_consumer_group_a_service_registers_is_scaled_with_the_deployment_that_runs_it():
    result = run([sys.executable, "-m", "liveline_devstack.asyncapi", "--consumer-groups"], timeout=120)
    assert result.returncode == 0, result.stderr
    registered = {process: {tuple(pair) for pair in pairs} for process, pairs in json.loads(result.stdout).items()}
    assert registered["liveline_slots"], "the slots service registers consumer groups; nothing was compared"
    docs = rendered("prod")
    # `python -m <module> [argument]`: the process a Deployment runs.
    running = {" ".join(container(d)["args"][2:]): name for name, d in of_kind(docs, "Deployment").items()}
    scaled = {
        s["spec"]["scaleTargetRef"]["name"]: {
            (t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in s["spec"]["triggers"] if t["type"] == "kafka"
        }
        for s in of_kind(docs, "ScaledObject").values()
    }
    for process, groups in registered.items():
        deployment = running[process]
        assert groups <= scaled.get(deployment, set()), (deployment, groups - scaled.get(deployment, set()))


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_allows(peer: dict[str, Any], source: dict[str, str]) -> bool:
    """Whether a policy peer admits `source` ({"namespace": ..., "app": ...})."""
    if "ipBlock" in peer:
        return source["namespace"] == "outside"
    namespace = peer.get("namespaceSelector")
    if namespace is not None:
        if not _selects(namespace, {"kubernetes.io/metadata.name": source["namespace"]}):
            return False
    elif source["namespace"] != "liveline":
        return False
    pods = peer.get("podSelector")
    return pods is None or _selects(pods, {"app.kubernetes.io/name": source.get("app", "")})


def _allowed(policies: list[dict], direction: str, pod: str, peer: dict[str, str]) -> bool:
    """Whether some policy of `direction` selecting `pod` has a rule admitting `peer` on the http port."""
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in policies:
        spec = policy["spec"]
        if direction not in spec["policyTypes"] or not _selects(spec["podSelector"], {"app.kubernetes.io/name": pod}):
            continue
        for rule in spec.get(key, []):
            ports = {p["port"] for p in rule.get("ports", [{"port": "http"}])}
            if "http" in ports and (peers not in rule or any(_peer_allows(p, peer) for p in rule[peers])):
                return True
    return False


def test_only_the_gateway_takes_outside_traffic_and_each_service_reaches_only_the_services_it_calls(docs):
    policies = list(of_kind(docs, "NetworkPolicy").values())
    pods = set(of_kind(docs, "Deployment"))
    for target in pods:
        from_outside = _allowed(policies, "Ingress", target, {"namespace": "ingress-nginx"})
        assert from_outside == (target == "gateway"), target
        assert _allowed(policies, "Ingress", target, {"namespace": "monitoring"}), f"Prometheus cannot scrape {target}"
        for source in pods - {target}:
            inside = {"namespace": "liveline", "app": source}
            reachable = (_allowed(policies, "Egress", source, {"namespace": "liveline", "app": target})
                         and _allowed(policies, "Ingress", target, inside))
            assert reachable == (target in CALLS.get(source, set())), (source, target)


def test_the_ingress_routes_to_the_gateway_and_keeps_event_streams_open(docs):
    (ingress,) = of_kind(docs, "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]


def test_the_kafka_topics_are_the_contracts_topics_with_their_dead_letter_topics(docs):
    topics = of_kind(docs, "KafkaTopic")
    assert set(topics) == {t.name for t in TOPICS} | {t.dead_letters for t in TOPICS}
    (config,) = of_kind(docs, "ConfigMap").values()
    for topic in TOPICS:
        spec = topics[topic.name]["spec"]
        assert spec["config"]["cleanup.policy"] == topic.cleanup_policy, topic.name
        assert spec["config"]["retention.ms"] == topic.retention_ms, topic.name
        assert spec["partitions"] == int(config["data"]["KAFKA_PARTITIONS"]), topic.name
        assert spec["replicas"] == int(config["data"]["KAFKA_REPLICATION_FACTOR"]), topic.name
        dead = topics[topic.dead_letters]["spec"]
        assert (dead["partitions"], dead["config"]["retention.ms"]) == (1, DEAD_LETTER_RETENTION_MS)
        assert spec["config"]["min.insync.replicas"] == max(1, spec["replicas"] - 1), topic.name
    assert topics[QUEUE_TICKS.name]["spec"]["config"]["cleanup.policy"] == "compact"


def test_dev_runs_one_replica_of_everything_in_its_own_namespace_and_prod_two_or_more():
    for overlay, namespace, replicas in (("dev", "liveline-dev", {1}), ("prod", "liveline", {2})):
        docs = rendered(overlay)
        assert {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"} == {namespace}
        assert {d["metadata"].get("namespace", namespace) for d in docs} == {namespace}
        assert {d["spec"]["replicas"] for d in of_kind(docs, "Deployment").values()} == replicas
        images = {name: container(d)["image"] for name, d in of_kind(docs, "Deployment").items()}
        assert not any(image.endswith(":latest") or ":" not in image for image in images.values()), overlay
        media = {name for name, image in images.items() if "/liveline-media:" in image}
        assert media == {"media", "media-worker"}, overlay
        assert len({images[name].split(":")[-1] for name in images}) == 1, overlay


def test_the_dockerfile_builds_both_images_from_a_pinned_base_as_the_deployments_user():
    dockerfile = (K8S.parent.parent / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    base = next(line.split("=", 1)[1] for line in lines if line.startswith("ARG PYTHON_IMAGE="))
    assert base.startswith("python:3.11.") and base.count(".") >= 2, base  # a patch release, not a moving tag
    assert {line.split(" AS ")[-1] for line in lines if line.startswith("FROM ")} == {"build", "service", "media"}
    runs_as = {line.split()[1].split(":")[0] for line in lines if line.startswith("USER ")} - {"root"}
    deployments = of_kind(rendered("prod"), "Deployment").values()
    assert runs_as == {str(d["spec"]["template"]["spec"]["securityContext"]["runAsUser"]) for d in deployments}
    media_stage = lines.index("FROM service AS media")
    assert any("ffmpeg" in line for line in lines[media_stage:])
    assert not any("ffmpeg" in line for line in lines[:media_stage])
    ignored = (K8S.parent.parent / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".liveline"} <= set(ignored)
