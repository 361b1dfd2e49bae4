"""The capacity table of docs/capacity.md, recomputed from the benchmarks' output, so the plan
stays true when the figures move:

    .venv/bin/python bench/capacity.py measure [transcode backbone orders]   # run the benchmarks,
                                                 # keep their summaries in bench/results/
    .venv/bin/python bench/capacity.py write     # recompute the table into docs/capacity.md
    .venv/bin/python bench/capacity.py check     # exit 1 if docs/capacity.md's table is not what write makes

`measure` runs each benchmark with the services' logging (JSON at info, as in production) and
keeps only its summary lines. `make capacity` runs write; tests/deploy/test_capacity.py runs check.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "capacity.md"
BASE = HERE.parent / "deploy" / "k8s" / "base"
START, END = "<!-- capacity-table:start -->", "<!-- capacity-table:end -->"

# The benchmarks ran on one 2-core machine that also ran Kafka, FerretDB and the load's clients,
# so a figure per core is the measured rate divided by 2: a floor for the service's own cores.
MACHINE_CORES = 2
BENCHES = {
    "transcode": ["bench/transcode.py", "--clips", "3", "--seconds", "15"],
    "backbone": ["bench/backbone.py", "--events", "5000", "--rounds", "2"],
    "orders": ["bench/orders.py", "--requests", "200", "--levels", "8,32"],
}
PRELUDE = ("import runpy, sys; from liveline_shared.logging import configure_logging; "
           "configure_logging('bench', level='info', json=True); "
           "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


@dataclass(frozen=True)
class Assumptions:
    """A large city's dinner peak."""

    orders_per_day: int = 2_000_000
    dinner_hour_share: float = 0.20      # of the day's orders placed in the dinner-peak hour
    burst: float = 3.0                   # the busiest minute against that hour's average
    pushes_due_in_a_minute: int = 500_000  # users due a queue push at 17:00
    uploads_per_hour: int = 20_000
    target_utilisation: float = 0.70     # what the autoscalers aim at, leaving room for a burst
    brokers: int = 3


@dataclass(frozen=True)
class Figures:
    orders_per_core_s: float
    events_per_core_s: float
    bare_kafka_per_core_s: float
    edit_core_s: float
    clip_s: float


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise SystemExit(f"bench output lacks {pattern!r}: run `bench/capacity.py measure`")
    return float(match.group(1).replace(",", ""))


def figures() -> Figures:
    backbone = (RESULTS / "backbone.txt").read_text()
    orders = (RESULTS / "orders.txt").read_text()
    transcode = (RESULTS / "transcode.txt").read_text()
    best_orders = max(float(m) for m in re.findall(r"^\s*\d+ \|\s+(\d+)", orders, re.MULTILINE))
    return Figures(
        orders_per_core_s=best_orders / MACHINE_CORES,
        events_per_core_s=_number(r"outbox → relay → Kafka → idempotent:\s+([\d,]+) events/s", backbone) / MACHINE_CORES,
        bare_kafka_per_core_s=_number(r"bare aiokafka producer → consumer:\s+([\d,]+) events/s", backbone) / MACHINE_CORES,
        edit_core_s=_number(r"edit time on one core:\s+([\d.]+) s", transcode),
        clip_s=_number(r"clip length:\s+([\d.]+) s", transcode),
    )


def limits(deployment: str) -> tuple[float, str]:
    """(CPU cores, memory) one replica of `deployment` may use, from deploy/k8s/base."""
    doc = next(d for d in yaml.safe_load_all((BASE / f"{deployment}.yaml").read_text()) if d["kind"] == "Deployment")
    resources = doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    cpu = str(resources["cpu"])
    return (float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)), resources["memory"]


def _mib(memory: str) -> int:
    return int(memory[:-2]) * (1024 if memory.endswith("Gi") else 1)


def _partitions(replicas: int, brokers: int) -> int:
    """At least one partition per consumer replica, a multiple of the brokers, never below 12."""
    return max(12, math.ceil(replicas / brokers) * brokers)


def rows(a: Assumptions, f: Figures) -> list[dict[str, str]]:
    peak_orders_s = a.orders_per_day * a.dinner_hour_share / 3600 * a.burst
    pushes_s = a.pushes_due_in_a_minute / 60
    parts = [
        # (part, Deployment, peak load, its unit, work per core-second, what that figure is,
        #  the topic its replicas share by partitions (None: not a consumer), scaler)
        ("gateway + order (placing orders)", "gateway", peak_orders_s, "orders/s", f.orders_per_core_s,
         "orders/s per core (bench/orders.py)", None, "HPA on CPU (gateway); order fixed"),
        ("slots (a slot list per order)", "slots", peak_orders_s, "events/s", f.events_per_core_s,
         "events/s per core (bench/backbone.py)", "liveline.orders.v1", "KEDA: lag of `slots`"),
        ("queue-notifier (the 17:00 push minute)", "queue-notifier", pushes_s, "pushes/s", f.events_per_core_s,
         "events/s per core (bench/backbone.py)", None, "KEDA cron pre-scale (a push due at a preset time is no lag)"),
        ("media-worker (edits)", "media-worker", a.uploads_per_hour / 3600, "uploads/s", 1 / f.edit_core_s,
         f"edits/s per core ({f.clip_s:g} s clip, bench/transcode.py)", "liveline.videos.v1",
         "KEDA: lag of `media-editing`"),
    ]
    table = []
    for part, deployment, load, unit, per_core, basis, topic, scaler in parts:
        cores = load / per_core / a.target_utilisation
        cpu, memory = limits(deployment)
        replicas = max(2, math.ceil(cores / cpu))
        partitions = f"{_partitions(replicas, a.brokers)} of `{topic}`" if topic else "—"
        table.append({
            "part": part, "peak load": f"{load:,.1f} {unit}", "per core (measured)": f"{per_core:,.2f} {basis}",
            "cores": f"{cores:,.0f}", "replicas × CPU limit": f"{replicas} × {cpu:g}",
            "memory": f"{replicas * _mib(memory) / 1024:,.1f} GiB", "partitions": partitions, "scaler": scaler,
        })
    # An order makes OrderPlaced, SlotOffered and SlotChosen; a push a NotificationCreated; an
    # upload VideoUploaded and VideoEdited.
    kafka_events_s = peak_orders_s * 3 + pushes_s + a.uploads_per_hour / 3600 * 2
    table.append({
        "part": "Kafka (all topics)", "peak load": f"{kafka_events_s:,.0f} events/s",
        "per core (measured)": f"{f.bare_kafka_per_core_s:,.0f} events/s per core (bare aiokafka, bench/backbone.py)",
        "cores": f"{kafka_events_s / f.bare_kafka_per_core_s / a.target_utilisation:,.1f}",
        "replicas × CPU limit": f"{a.brokers} brokers", "memory": "—", "partitions": "—", "scaler": "none (Strimzi)",
    })
    return table


def max_replicas() -> dict[str, int]:
    """The most replicas the base lets each autoscaled Deployment have."""
    found = {}
    for doc in yaml.safe_load_all((BASE / "scaledobjects.yaml").read_text()):
        found[doc["spec"]["scaleTargetRef"]["name"]] = doc["spec"]["maxReplicaCount"]
    hpa = yaml.safe_load((BASE / "gateway-hpa.yaml").read_text())
    found["gateway"] = hpa["spec"]["maxReplicas"]
    return found


def saturates_first(table: list[dict[str, str]]) -> str:
    """The part whose peak needs the largest multiple of what its autoscaler may give today."""
    deployments = {"gateway": "gateway", "slots": "slots", "queue-notifier": "queue-notifier", "media-worker": "media-worker"}
    ceilings = max_replicas()
    worst = None
    for row in table:
        name = next((d for d in deployments if row["part"].startswith(d)), None)
        if name is None:
            continue
        cores = float(row["cores"].replace(",", ""))
        ceiling = ceilings[name] * limits(name)[0]
        if worst is None or cores / ceiling > worst[1]:
            worst = (row["part"], cores / ceiling, ceiling)
    part, ratio, ceiling = worst  # type: ignore[misc]
    return (f"Saturates first: **{part}**, which needs {ratio:,.1f} times the {ceiling:g} cores its autoscaler "
            "may give it in deploy/k8s/base.")


def render(a: Assumptions = Assumptions()) -> str:
    table = rows(a, figures())
    columns = list(table[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(row[c] for c in columns) + " |" for row in table]
    return "\n".join([START, *lines, "", saturates_first(table), END])


def current_table() -> str:
    text = DOC.read_text()
    return text[text.index(START):text.index(END) + len(END)]


def measure(names: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        argv = BENCHES[name]
        print(f"running {' '.join(argv)}", flush=True)
        result = subprocess.run([sys.executable, "-c", PRELUDE, *argv], cwd=HERE.parent, capture_output=True,
                                text=True, timeout=3600, check=False)
        kept = [line for line in result.stdout.splitlines() if not line.startswith("{")]
        if result.returncode != 0:
            raise SystemExit(f"{name} failed:\n" + "\n".join(kept[-20:]) + result.stderr[-3000:])
        (RESULTS / f"{name}.txt").write_text("\n".join(kept).strip() + "\n")


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "measure":
        measure(sys.argv[2:] or list(BENCHES))
    elif command == "write":
        DOC.write_text(DOC.read_text().replace(current_table(), render()))
    elif command == "check":
        if current_table() != render():
            print("docs/capacity.md's table is stale: run `make capacity`", file=sys.stderr)
            return 1
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
