"""docs/capacity.md's table is what bench/capacity.py computes from the committed benchmark
output, and moves when the figures do."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

from tests.deploy.k8s import run

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "capacity.py"


def load_capacity():
    spec = importlib.util.spec_from_file_location("liveline_bench_capacity", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["liveline_bench_capacity"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_capacity_table_is_what_the_benchmark_output_gives():
    result = run([sys.executable, str(SCRIPT), "check"], timeout=60)
    assert result.returncode == 0, result.stderr


def test_slower_edits_need_more_media_workers(tmp_path):
    capacity = load_capacity()
    before = {row["part"]: row for row in capacity.rows(capacity.Assumptions(), capacity.figures())}
    for result in capacity.RESULTS.glob("*.txt"):
        shutil.copy(result, tmp_path / result.name)
    transcode = tmp_path / "transcode.txt"
    seconds = float(re.search(r"edit time on one core:\s+([\d.]+)", transcode.read_text()).group(1))
    transcode.write_text(transcode.read_text().replace(f"{seconds:.2f} s", f"{seconds * 2:.2f} s"))
    capacity.RESULTS = tmp_path
    after = {row["part"]: row for row in capacity.rows(capacity.Assumptions(), capacity.figures())}
    workers = next(part for part in after if part.startswith("media-worker"))
    cores = lambda row: float(row["cores"].replace(",", ""))  # noqa: E731
    assert cores(after[workers]) > 1.9 * cores(before[workers])
    assert after[next(p for p in after if p.startswith("slots"))] == before[next(p for p in before if p.startswith("slots"))]
