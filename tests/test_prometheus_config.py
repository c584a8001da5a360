"""Prometheus's configuration and alert rules (infra/prometheus), checked with Prometheus's
own `promtool` (Debian's `prometheus` package, installed by scripts/system-deps.sh) and
against the metrics the code really exports."""

import importlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

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


def exported_metric_names() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    names = {
        sample_name
        for family in REGISTRY.collect()
        for sample_name in (family.name, f"{family.name}_total")
    }
    return names | {family.name for family in LagCollector().collect()}


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
