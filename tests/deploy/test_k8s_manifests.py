"""The Kubernetes deployment renders with kustomize and every service in it is probed, bounded
and hardened, with secrets only by reference."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from liveline_devstack.servers import CACHE, DEPLOY_LOCAL, versions
from liveline_devstack.services import SERVICES

K8S = DEPLOY_LOCAL.parent / "k8s"


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    kustomize = CACHE / "bin" / f"kustomize-{versions()['KUSTOMIZE_VERSION']}"
    output = subprocess.run(
        [str(kustomize), "build", str(K8S / "overlays" / "production")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def deployments(rendered: list[dict]) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in rendered if d["kind"] == "Deployment"}


def test_every_service_has_a_deployment_and_a_service(rendered):
    assert set(deployments(rendered)) == set(SERVICES)
    assert {d["metadata"]["name"] for d in rendered if d["kind"] == "Service"} == set(SERVICES)


def test_every_container_is_probed_bounded_and_hardened(rendered):
    for name, deployment in deployments(rendered).items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["resources"]["limits"]["memory"], name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert container["args"] == ["python", "-m", "liveline_" + name.replace("-", "_")]


def test_settings_use_the_services_own_prefix_and_secrets_come_from_secret_references(rendered):
    for name, deployment in deployments(rendered).items():
        prefix = "LIVELINE_" + name.upper().replace("-", "_") + "_"
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        for variable in container["env"]:
            assert variable["name"].startswith(prefix), (name, variable["name"])
            if any(word in variable["name"] for word in ("SECRET", "PASSWORD", "TOKEN", "MONGO_URL", "ACCESS_KEY")):
                assert "secretKeyRef" in variable.get("valueFrom", {}), (name, variable["name"])
        assert all(source["prefix"] == prefix for source in container["envFrom"])
        production = {v["name"]: v.get("value") for v in container["env"]}
        assert production[f"{prefix}ENVIRONMENT"] == "production"
