"""Static checks of docker-compose.yml and the Dockerfile against the code (no Docker needed)."""

import importlib
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from senflow.cli.lag_exporter import LagExporterSettings
from senflow.dispatcher.settings import DispatcherSettings
from senflow.registry.settings import RegistrySettings
from senflow.router.ingest.settings import IngestSettings
from senflow.router.mqtt_bridge.settings import MqttBridgeSettings
from senflow.router.settings import RouterSettings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS: dict[str, type[BaseSettings]] = {
    "registry": RegistrySettings,
    "router": RouterSettings,
    "dispatcher": DispatcherSettings,
    "ingest": IngestSettings,
    "mqtt-bridge": MqttBridgeSettings,
    "lag-exporter": LagExporterSettings,
}
REQUIRED_VAR = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*):\?[^}]+\}")
SECRETS = (
    "SENFLOW_SECRETS_KEY",
    "REGISTRY_ADMIN_TOKEN",
    "POSTGRES_PASSWORD",
    "MQTT_BRIDGE_PASSWORD",
)


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def _console_scripts() -> dict[str, str]:
    scripts: dict[str, str] = {}
    for pyproject in [
        ROOT / "libs/common/pyproject.toml",
        ROOT / "tools/cli/pyproject.toml",
        *ROOT.glob("services/*/pyproject.toml"),
    ]:
        scripts.update(tomllib.loads(pyproject.read_text())["project"].get("scripts", {}))
    return scripts


def _env_names(settings: type[BaseSettings], field_name: str) -> set[str]:
    alias = settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return {choice.upper() for choice in alias.choices if isinstance(choice, str)}
    return {f"{settings.model_config.get('env_prefix', '')}{field_name}".upper()}


def test_command_runs_a_declared_console_script_when_service_is_built(services):
    scripts = _console_scripts()
    built = {name: service for name, service in services.items() if "build" in service}
    assert set(built) == set(SETTINGS)
    for name, service in built.items():
        script = service["command"][0]
        assert script in scripts, f"{name}: {script} is in no [project.scripts]"
        module_name, _, function = scripts[script].partition(":")
        assert hasattr(importlib.import_module(module_name), function), scripts[script]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_environment_names_only_settings_fields(services, name):
    settings = SETTINGS[name]
    accepted = set().union(*(_env_names(settings, field) for field in settings.model_fields))
    unknown = {var.upper() for var in _environment(services[name])} - accepted
    assert not unknown, f"{name} sets variables its settings ignore: {sorted(unknown)}"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_environment_sets_every_required_setting(services, name):
    settings = SETTINGS[name]
    env = {var.upper() for var in _environment(services[name])}
    for field_name, field in settings.model_fields.items():
        if field.is_required():
            assert _env_names(settings, field_name) & env, f"{name} lacks {field_name}"


def test_secrets_are_required_interpolations_not_literals(services):
    seen: set[str] = set()
    for name, service in services.items():
        for var, value in _environment(service).items():
            if var in SECRETS:
                match = REQUIRED_VAR.fullmatch(value)
                assert match and match["name"] == var, f"{name}: {var}={value!r}"
                seen.add(var)
    assert seen == set(SECRETS)


def test_database_url_takes_the_postgres_password_from_the_environment(services):
    url = _environment(services["registry"])["SENFLOW_DATABASE_URL"]
    password = re.fullmatch(r"postgresql://senflow:(?P<pw>.+)@postgres:5432/senflow", url)
    assert password, url
    match = REQUIRED_VAR.fullmatch(password["pw"])
    assert match and match["name"] == "POSTGRES_PASSWORD", url


def test_every_service_has_a_healthcheck(services):
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_depends_on_waits_for_healthy_dependencies(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: the list form waits for nothing"
        for dependency, spec in depends_on.items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert spec.get("condition") == "service_healthy", f"{name} -> {dependency}"


@pytest.mark.parametrize("name", ["router", "dispatcher"])
def test_publishes_no_host_port_so_it_scales(services, name):
    assert "ports" not in services[name]
    assert "container_name" not in services[name]


def test_kafka_image_matches_the_pom_version(services):
    pom = ET.parse(ROOT / "infra/kafka/pom.xml").getroot()
    namespace = pom.tag.partition("}")[0] + "}" if pom.tag.startswith("{") else ""
    version = pom.findtext(f"{namespace}properties/{namespace}kafka.version")
    assert version
    assert services["kafka"]["image"] == f"apache/kafka:{version}"


def test_dockerfile_installs_the_components_with_constraints():
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    installs = [line for line in dockerfile.splitlines() if re.search(r"\bpip install\b", line)]
    assert installs, "the Dockerfile runs no pip install"
    for line in installs:
        assert re.search(r"(^|\s)-c\s+constraints\.txt(\s|$)", line), line
    # Every folder with a pyproject.toml is a component the image needs.
    components = {f"./{p.parent.relative_to(ROOT)}" for p in ROOT.glob("*/*/pyproject.toml")}
    components -= {"./tools/demo"}  # the demo is not part of the image
    assert components <= set(" ".join(installs).split())
    assert "-e" not in " ".join(installs).split()
