"""The Prometheus configuration shipped with docker-compose: alert rules that name only metrics
the engine exposes, and scrape targets on the ports the settings default to."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from billing.metrics import _families
from billing.settings import Settings
from billing.store.operations_figures import OperationsFigures

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "ops" / "prometheus"


def exposed_names() -> set[str]:
    zero = OperationsFigures(0, 0, 0.0, {}, {}, {}, 0, 0, 0.0, {})
    names = {family.name for family in _families(zero)} | {"billing_database_up"}
    # Counters are exposed with the `_total` suffix.
    return names | {f"{name}_total" for name in names}


def test_alert_rules_use_only_metrics_the_engine_exposes() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    [group] = rules["groups"]
    alerts = {rule["alert"]: rule for rule in group["rules"]}
    assert {"BillingOrdersStuck", "BillingTaxSyncFailed", "BillingRunNotFinished"} <= set(alerts)
    assert alerts["BillingOrdersStuck"]["for"] == "1h"
    known = exposed_names()
    for rule in group["rules"]:
        used = set(re.findall(r"\bbilling_[a-z_]+", rule["expr"]))
        assert used <= known, (rule["alert"], used - known)
        assert rule["annotations"]["summary"]


def test_prometheus_scrapes_the_api_and_every_worker_on_the_default_ports() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["billing-api"]["static_configs"][0]["targets"] == ["api:8000"]
    defaults = Settings.model_validate({})
    assert jobs["billing-worker"]["dns_sd_configs"][0]["port"] == defaults.worker_metrics_port
    assert (
        jobs["billing-worker-sdk"]["dns_sd_configs"][0]["port"] == defaults.worker_sdk_metrics_port
    )


def test_docker_compose_runs_prometheus_with_the_shipped_files() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = compose["services"]["prometheus"]
    for mount in prometheus["volumes"]:
        source = mount.split(":")[0]
        assert (ROOT / source).is_file(), source
    assert {"api", "worker"} <= set(prometheus["depends_on"])
