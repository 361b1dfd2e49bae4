"""The five services as processes: they start, report ready, and follow Kafka's availability."""

from __future__ import annotations

import time

from liveline_devstack.services import SERVICES, ServiceProcess, get_json


def wait_for_status(service: ServiceProcess, status: int, *, deadline_s: float) -> dict:
    deadline = time.monotonic() + deadline_s
    code, body = service.readiness()
    while code != status and time.monotonic() < deadline:
        time.sleep(0.2)
        code, body = service.readiness()
    assert code == status, f"{service.service} /readyz stayed {code} {body}"
    return body


def test_all_five_services_report_ready_with_their_dependencies(services):
    assert set(services) == set(SERVICES)
    for name, service in services.items():
        body = wait_for_status(service, 200, deadline_s=10)
        expected = {"kafka", "mongo", "minio"} if name == "media" else {"kafka", "mongo"}
        assert body["checks"] == {check: "ok" for check in expected}
        assert get_json(f"{service.url}/healthz") == (200, {"status": "alive", "service": name})


def test_metrics_are_served_in_prometheus_format(services):
    import urllib.request

    with urllib.request.urlopen(f"{services['order'].url}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'liveline_dependency_up{dependency="kafka"} 1.0' in text


def test_readiness_turns_red_without_kafka_and_green_again_without_a_restart(own_kafka, stack_endpoints, tmp_path):
    from dataclasses import replace

    endpoints = replace(stack_endpoints, kafka_bootstrap_servers=own_kafka.bootstrap_servers)
    service = ServiceProcess("slots", endpoints, tmp_path, environment="test")
    service.start()
    try:
        service.wait_ready(timeout=60)
        pid = service.process.pid

        own_kafka.stop()
        body = wait_for_status(service, 503, deadline_s=30)
        assert body["checks"]["kafka"] != "ok"
        assert body["checks"]["mongo"] == "ok"

        own_kafka.start()
        own_kafka.wait_ready()
        wait_for_status(service, 200, deadline_s=60)
        assert service.process.pid == pid and service.process.alive()
    finally:
        service.stop()
