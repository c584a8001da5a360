"""Prometheus's configuration and alert rules (infra/prometheus), checked with Prometheus's
own `promtool` (Debian's `prometheus` package, installed by scripts/system-deps.sh) and
against the metrics the code really exports."""

import importlib
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.core import Metric

from senflow.cli.lag_exporter import LagCollector

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "infra" / "prometheus"
METRIC_MODULES = (
    "senflow.router.metrics",
    "senflow.router.ingest.metrics",
    "senflow.router.mqtt_bridge.metrics",
    "senflow.dispatcher.metrics",
    "senflow.registry.metrics",
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run scripts/system-deps.sh (Debian package prometheus)"
    return subprocess.run([tool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)


def test_config_and_rules_are_valid() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_config_written_by_the_script_is_valid(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "prometheus.sh"), "config"],
        env={"SENFLOW_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    config = Path(result.stdout.strip())
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# The series a family of each type serves (prometheus_client names a counter's family
# without its `_total`).
SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}


def series_names(families: Iterable[Metric]) -> set[str]:
    return {
        family.name + suffix
        for family in families
        for suffix in SERIES_SUFFIXES.get(family.type, ("",))
    }


def exported_metric_names() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    return series_names(REGISTRY.collect()) | series_names(LagCollector(30).collect())


def test_only_counters_get_total_when_names_are_listed() -> None:
    names = exported_metric_names()
    assert "senflow_router_uplinks_total" in names
    assert "senflow_lag_exporter_failed_measurements_total" in names
    assert "senflow_router_decode_seconds_bucket" in names
    assert "senflow_registry_outbox_backlog" in names
    assert "senflow_registry_outbox_backlog_total" not in names
    assert "senflow_consumergroup_lag_total" not in names
    assert "senflow_router_uplinks" not in names


@pytest.mark.parametrize("rule_file", ["alerts.yml"])
def test_rules_use_only_metrics_the_services_export(rule_file: str) -> None:
    rules = yaml.safe_load((PROMETHEUS / rule_file).read_text())
    exported = exported_metric_names()
    used = {
        name
        for group in rules["groups"]
        for rule in group["rules"]
        for name in re.findall(r"\bsenflow_[a-z0-9_]+", rule["expr"])
    }
    assert used, "no Senflow metric in the rules"
    assert used <= exported, f"not exported by any service: {sorted(used - exported)}"


def test_compose_prometheus_scrapes_every_service_on_its_port() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets: dict[str, str] = {}
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.split(":")
                targets[host] = port
        for sd in job.get("dns_sd_configs", []):
            for host in sd["names"]:
                targets[host] = str(sd["port"])
    senflow_services = {name for name, service in compose.items() if "build" in service}
    assert set(targets) == senflow_services
    for name, port in targets.items():
        healthcheck = " ".join(compose[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/" in healthcheck, f"{name} serves /metrics elsewhere"
    mounted = " ".join(compose["prometheus"]["volumes"])
    assert "alerts.yml" in mounted and "prometheus.yml" in mounted


def scrape_jobs(config: dict[str, Any]) -> set[str]:
    return {job["job_name"] for job in config["scrape_configs"]}


def test_every_scraped_job_has_a_rule_for_when_none_of_its_targets_answers(
    tmp_path: Path,
) -> None:
    """`absent()` cannot know which jobs should exist: each needs its own rule, in the
    compose configuration and in the one scripts/prometheus.sh writes alike."""
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    guarded = set()
    for rule in (rule for group in rules["groups"] for rule in group["rules"]):
        if rule.get("alert") == "SenflowServiceUnavailable":
            job = rule["labels"]["job"]
            assert rule["expr"] == f'absent(up{{job="{job}"}} == 1)'
            guarded.add(job)
    compose = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    local = subprocess.run(
        [str(ROOT / "scripts" / "prometheus.sh"), "config"],
        env={"SENFLOW_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    written = yaml.safe_load(Path(local.stdout.strip()).read_text())
    assert guarded == scrape_jobs(compose) == scrape_jobs(written)


def test_router_outcomes_are_exported_at_zero_before_their_first_uplink() -> None:
    """A counter series that appears with its first increment shows no increase() to the
    dead-letter alert: every outcome the router knows is there, at 0, from the start."""
    metrics = importlib.import_module("senflow.router.metrics")
    errors = importlib.import_module("senflow.router.errors")
    reasons = {
        cls.reason
        for cls in errors.UplinkRejected.__subclasses__()
        if cls.__module__ == errors.__name__  # the MQTT bridge's count elsewhere
    }
    assert reasons | {"routed", "internal-error"} == set(metrics.UPLINK_OUTCOMES)
    for outcome in metrics.UPLINK_OUTCOMES:
        value = REGISTRY.get_sample_value("senflow_router_uplinks_total", {"outcome": outcome})
        assert value is not None, f"{outcome} is not exported before its first use"
