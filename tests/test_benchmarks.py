"""Every benchmark still runs: each once at a tiny size, checked for the lines it reports. The
figures themselves are not checked, since they depend on the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TINY = {
    "billings_search": (
        ["--lines", "400", "--requests", "3", "--unindexed-requests", "2"],
        ["ratio indexed/unindexed q=<4 digits>", "ratio indexed/unindexed sort=-order_number"],
    ),
    "month_end_run": (
        ["--customers", "20", "--lines", "2", "--sizes", "1,2"],
        ["ratio run / floor", "growth 2x/1x"],
    ),
    "order_latency": (
        [
            "--orders",
            "2",
            "--in-flight",
            "2",
            "--shapes",
            "in-process,processes",
            "--sizes",
            "1,2",
            "--rounds",
            "2",
        ],
        [
            "ratio per-item/bare at 2 in flight",
            "ratio batched/processes/bare at 2 in flight over 2 rounds",
            "ratio batched/bare at 2 in flight",
            "ratio batched/processes/bare at 2 in flight",
            "CPU per order",
            "growth batched/processes at 2 in flight",
            "bare CPU per order: process",
        ],
    ),
    "summary_invoices": (
        ["--invoices", "20", "--customers", "4"],
        ["ratio end to end / raw", "ratio tax sync / bare throughput", "CPU per sync"],
    ),
    "waiting_orders": (
        [
            *("--orders", "10", "--sizes", "1,2", "--in-flight", "5", "--server-store", "wal"),
            *("--shape", "processes", "--batch", "3"),
        ],
        [
            "orders waiting: resident api",
            "submissions in batches of 3",
            "worker",
            "store on disk",
            "(bare signal p50",
            "(ratio",
            "order recovery over every waiting order",
            "CPU per submission",
            "growth x2 orders: api memory",
        ],
    ),
    "delta_generation": (
        ["--subscriptions", "200", "--page-size", "10"],
        ["ratio generation / baseline", "second generation / first"],
    ),
    "orders_list": (
        ["--orders", "2000", "--requests", "2", "--unindexed-requests", "1"],
        ["ratio indexed/unindexed newest first", "ratio indexed/unindexed recovery page"],
    ),
    "index_plans": (
        ["--customers", "20", "--lines", "2"],
        ["index ix_billing_lines_issuer_order_key:", "index ix_billing_lines_invoice_id:"],
    ),
}


def test_every_benchmark_is_run_here() -> None:
    # tests/test_api_fuzz.py runs the fuzzer its own way.
    benchmarks = {p.stem for p in (ROOT / "bench").glob("*.py")}
    assert benchmarks - {"__init__", "api_fuzz"} == set(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size_and_prints_its_ratios(
    name: str, database_url: str
) -> None:
    arguments, expected = TINY[name]
    finished = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for line in expected:
        assert line in finished.stdout, finished.stdout
