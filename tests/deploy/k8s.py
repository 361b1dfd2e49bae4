"""What the deployment checks share: the overlays rendered by kustomize, and the tools and CRD
schemas deploy/local/install.sh puts in the cache (a missing one fails the test that needs it)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

import yaml

from liveline_devstack.servers import CACHE, DEPLOY_LOCAL, versions

K8S = DEPLOY_LOCAL.parent / "k8s"
OVERLAYS = ("dev", "prod")
# The Kubernetes version the built-in kinds are validated against.
KUBERNETES_VERSION = "1.34.0"
# Deployment → the service whose module and settings (LIVELINE_<SVC>_) it runs.
SERVICE_OF = {
    "order": "order", "slots": "slots", "queue-notifier": "queue-notifier",
    "media": "media", "media-worker": "media", "gateway": "gateway",
}


def tool(name: str) -> Path:
    """A command-line tool installed by deploy/local/install.sh."""
    v = versions()
    paths = {
        "kustomize": CACHE / "bin" / f"kustomize-{v['KUSTOMIZE_VERSION']}",
        "promtool": CACHE / "bin" / f"promtool-{v['PROMETHEUS_VERSION']}",
        "kubernetes-validate": CACHE / "tools" / f"kubernetes-validate-{v['KUBERNETES_VALIDATE_VERSION']}" / "bin" / "kubernetes-validate",
        "checkov": CACHE / "tools" / f"checkov-{v['CHECKOV_VERSION']}" / "bin" / "checkov",
    }
    path = paths[name]
    assert path.exists(), f"{name} is not installed at {path}: run `make install`"
    return path


def crd_path(kind: str) -> Path:
    v = versions()
    path = {
        "ScaledObject": CACHE / "crds" / f"keda-{v['KEDA_VERSION']}" / "keda.sh_scaledobjects.yaml",
        "KafkaTopic": CACHE / "crds" / f"strimzi-{v['STRIMZI_VERSION']}" / "kafkatopic.yaml",
    }[kind]
    assert path.exists(), f"the {kind} CRD is not installed at {path}: run `make install`"
    return path


def run(args: list[str], timeout: float = 180, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


@functools.cache
def rendered_text(overlay: str) -> str:
    result = run([str(tool("kustomize")), "build", str(K8S / "overlays" / overlay)], timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def rendered(overlay: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered_text(overlay)) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def structural(schema: Any) -> Any:
    """A CRD's openAPIV3Schema as the API server applies it with strict field validation: an
    object's unknown fields are errors unless the schema preserves them."""
    if isinstance(schema, list):
        return [structural(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: structural(v) for k, v in schema.items()}
    if (out.get("type") == "object" and "properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def crd_schema(kind: str, api_version: str) -> dict[str, Any]:
    """The schema the CRD serves for `api_version` (group/version)."""
    crd = yaml.safe_load(crd_path(kind).read_text())
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group, (kind, api_version)
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    return structural(served["schema"]["openAPIV3Schema"])
