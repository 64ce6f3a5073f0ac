"""Reading deploy/ and what the code says, for the cross-checks: compose as `docker-compose config`
resolves it, Kubernetes documents, the gateway configs, ClickHouse XML, the collector's CLI options."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import typer.main
import yaml

from ao_collector.cli import app as cli_app
from tests.collector_service.helpers import REPO

DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SECRETS = {
    "AO_API_TOKEN": "token-for-tests",
    "AO_CLICKHOUSE_PASSWORD": "ao-password",
    "AO_GRAFANA_CLICKHOUSE_PASSWORD": "grafana-password",
    "GRAFANA_ADMIN_PASSWORD": "admin-password",
}
DOCKER_COMPOSE = shutil.which("docker-compose") or "/usr/bin/docker-compose"


def compose_config(env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on deploy/compose.yaml (no Docker engine needed)."""
    environment = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("COMPOSE_")}
    environment.update(env or {})
    return subprocess.run([DOCKER_COMPOSE, "-f", str(DEPLOY / "compose.yaml"), "config"], capture_output=True,
                          text=True, env=environment, cwd=REPO, timeout=60)


def serve_options() -> set[str]:
    """Every option of `ao-collector serve`."""
    command = typer.main.get_command(cli_app)
    return {opt for param in command.commands["serve"].params for opt in param.opts}  # type: ignore[attr-defined]


def options(args: list[str]) -> dict[str, str]:
    """`--name value` pairs of an argument list (flags map to "")."""
    found: dict[str, str] = {}
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            name, _, value = arg.partition("=")
            following = args[index + 1] if index + 1 < len(args) else ""
            found[name] = value or ("" if following.startswith("--") else following)
    return found


def kubernetes_documents() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def xml(text: str) -> ET.Element:
    return ET.fromstring(text)


def from_env(root: ET.Element) -> set[str]:
    """Environment variables a ClickHouse XML config reads (`from_env` attributes)."""
    return {element.attrib["from_env"] for element in root.iter() if "from_env" in element.attrib}


def env_names(container: dict[str, Any]) -> set[str]:
    return {entry["name"] for entry in container.get("env", [])}


def read(path: Path) -> str:
    return path.read_text()
