"""Every overlay renders, every built-in kind is valid for the stated Kubernetes version, the
Strimzi and KEDA resources are valid for their CRDs, and the policy linter finds nothing.

Each check is also shown to bite: a manifest with the mistake it exists for fails it."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy.k8s import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    crd_schema,
    of_kind,
    rendered,
    rendered_text,
    run,
    tool,
)

CUSTOM_KINDS = {"KafkaTopic", "ScaledObject"}


def kubernetes_validate(path: Path):
    return run([str(tool("kubernetes-validate")), "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(path)])


def write_built_in(docs: list[dict], path: Path) -> Path:
    path.write_text(yaml.safe_dump_all([d for d in docs if d["kind"] not in CUSTOM_KINDS]))
    return path


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_built_in_kind_is_valid_for_the_stated_kubernetes_version(overlay, tmp_path):
    docs = rendered(overlay)
    assert {d["kind"] for d in docs} - CUSTOM_KINDS >= {
        "Namespace", "ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "NetworkPolicy",
    }
    result = kubernetes_validate(write_built_in(docs, tmp_path / f"{overlay}.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_refuses_a_misspelled_field(tmp_path):
    docs = rendered("prod")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}}
    result = kubernetes_validate(write_built_in([deployment], tmp_path / "bad.yaml"))
    assert result.returncode != 0
    assert "readinesProbe" in result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("kind", sorted(CUSTOM_KINDS))
def test_strimzi_and_keda_resources_are_valid_for_their_crds(overlay, kind):
    resources = of_kind(rendered(overlay), kind)
    assert resources, kind
    for name, resource in resources.items():
        schema = crd_schema(kind, resource["apiVersion"])
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(resource)]
        assert not errors, (name, errors)


@pytest.mark.parametrize("kind", sorted(CUSTOM_KINDS))
def test_crd_schemas_refuse_what_their_operators_would(kind):
    resource = copy.deepcopy(next(iter(of_kind(rendered("prod"), kind).values())))
    if kind == "KafkaTopic":
        resource["spec"]["partitions"] = 0  # minimum 1
        resource["spec"]["replicationFactor"] = 3  # the field is `replicas`
    else:
        resource["spec"]["maxReplicas"] = 10  # the field is `maxReplicaCount`
        del resource["spec"]["scaleTargetRef"]
    schema = crd_schema(kind, resource["apiVersion"])
    assert list(jsonschema.Draft7Validator(schema).iter_errors(resource))


def checkov(path: Path):
    return run([str(tool("checkov")), "--config-file", str(K8S / "checkov.yaml"), "-f", str(path)], timeout=300)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_policy_linter_finds_nothing(overlay, tmp_path):
    path = tmp_path / f"{overlay}.yaml"
    path.write_text(rendered_text(overlay))
    result = checkov(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed checks" in result.stdout


def test_the_policy_linter_fails_a_container_without_probes_limits_or_hardening(tmp_path):
    deployment = copy.deepcopy(of_kind(rendered("prod"), "Deployment")["order"])
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for field in ("livenessProbe", "readinessProbe", "securityContext"):
        del container[field]
    del container["resources"]["limits"]
    del pod["securityContext"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(deployment))
    result = checkov(path)
    assert result.returncode != 0
    failed = result.stdout
    for check in (
        "CKV_K8S_8",   # liveness probe
        "CKV_K8S_9",   # readiness probe
        "CKV_K8S_11",  # CPU limit
        "CKV_K8S_13",  # memory limit
        "CKV_K8S_20",  # allowPrivilegeEscalation
        "CKV_K8S_22",  # read-only root filesystem
        "CKV_K8S_28",  # NET_RAW (capabilities not dropped)
        "CKV_K8S_37",  # capabilities
    ):
        assert check in failed, (check, failed)
