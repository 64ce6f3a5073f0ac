"""deploy/compose.yaml through `docker-compose config` (Debian's docker-compose; no engine is needed or
started), cross-checked against the collector's CLI and routes, Grafana's provisioning, the gateway
configs and ClickHouse's users."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from ao_collector.schema import load
from tests.deploy.config_files import DEPLOY, SECRETS, compose_config, from_env, options, serve_options, xml
from tests.grafana.dashboards import GRAFANA


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    done = compose_config(SECRETS)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_every_secret_is_required(missing: str) -> None:
    done = compose_config({k: v for k, v in SECRETS.items() if k != missing})
    assert done.returncode != 0 and f"set {missing}" in done.stderr


def test_services_images_and_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"clickhouse", "ao-collector", "otel-gateway", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), f"{name}: pin {image}"
        for port in service.get("ports", []):
            assert _published(port)[0] == "127.0.0.1", f"{name} publishes {port} beyond loopback"


def test_collector_command_matches_the_cli(compose: dict[str, Any]) -> None:
    services = compose["services"]
    collector = services["ao-collector"]
    args = options(collector["command"])
    assert set(args) <= serve_options()
    assert args["--host"] == "0.0.0.0" and collector["environment"]["AO_API_TOKEN"] == SECRETS["AO_API_TOKEN"]
    assert re.fullmatch(r"http://clickhouse:8123", args["--clickhouse-url"]) and "clickhouse" in services
    assert collector["environment"]["CLICKHOUSE_PASSWORD"] == SECRETS["AO_CLICKHOUSE_PASSWORD"]
    assert [_published(port) for port in collector["ports"]] == [("127.0.0.1", args["--api-port"], args["--api-port"])]
    assert "/readyz" in " ".join(collector["healthcheck"]["test"])
    for service in ("fake-llm", "example-agent"):
        assert services[service]["image"] == collector["image"]


def _published(port: Any) -> tuple[str, str, str]:
    """(host ip, published port, container port) of a compose port entry."""
    if isinstance(port, dict):
        return port.get("host_ip", ""), str(port["published"]), str(port["target"])
    host, published, target = port.split("/")[0].split(":")
    return host, published, target


def test_clickhouse_users_match_the_clients(compose: dict[str, Any]) -> None:
    services = compose["services"]
    users = xml((DEPLOY / "clickhouse" / "users.xml").read_text())
    assert from_env(users) <= set(services["clickhouse"]["environment"])
    names = {user.tag for user in users.find("users")}
    assert services["ao-collector"]["environment"]["CLICKHOUSE_USER"] in names
    datasource = _clickhouse_datasource()
    assert datasource["jsonData"]["username"] in names
    grafana_user = users.find(f"users/{datasource['jsonData']['username']}")
    profile = users.find(f"profiles/{grafana_user.findtext('profile')}")
    assert profile.findtext("readonly") == "1", "Grafana's ClickHouse user is read-only"
    assert any(v.endswith("/etc/clickhouse-server/users.d/ao.xml:ro") for v in _volumes(services["clickhouse"]))


def _clickhouse_datasource() -> dict[str, Any]:
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "ao.yaml").read_text())["datasources"]
    return next(s for s in sources if s["type"] == "grafana-clickhouse-datasource")


def _volumes(service: dict[str, Any]) -> list[str]:
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            mounts.append(volume)
        else:
            mounts.append(f"{volume['source']}:{volume['target']}" + (":ro" if volume.get("read_only") else ""))
    return mounts


def test_grafana_provisioning_paths_plugin_and_data_sources(compose: dict[str, Any]) -> None:
    services = compose["services"]
    grafana = services["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in _volumes(grafana)}
    assert mounts["/etc/grafana/provisioning"] == str(GRAFANA / "provisioning")
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ao.yaml").read_text())["providers"][0]
    assert mounts[provider["options"]["path"]] == str(GRAFANA / "dashboards")
    assert grafana["environment"]["GF_INSTALL_PLUGINS"].split()[0] == "grafana-clickhouse-datasource"
    datasources_text = (GRAFANA / "provisioning" / "datasources" / "ao.yaml").read_text()
    for name in re.findall(r"\$\{(\w+)\}", datasources_text):
        assert name in grafana["environment"], f"the data sources read ${name}, which Grafana's environment lacks"
    datasource = _clickhouse_datasource()
    assert datasource["jsonData"]["host"] in services and datasource["jsonData"]["port"] == 9000
    traces = datasource["jsonData"]["traces"]
    assert traces["otelEnabled"] and traces["defaultTable"] == "otel_traces" and traces["defaultDatabase"] == "ao"
    prometheus = next(s for s in yaml.safe_load(datasources_text)["datasources"] if s["type"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090" and "prometheus" in services


def test_prometheus_scrapes_the_collector_metrics(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "ao-collector")
    host, port = job["static_configs"][0]["targets"][0].split(":")
    assert host in compose["services"] and port == options(compose["services"]["ao-collector"]["command"])["--api-port"]
    assert job["metrics_path"] == "/metrics" and "authorization" not in job  # /metrics needs no token


@pytest.mark.parametrize("mode", ["forward", "clickhouse"])
def test_gateway_configs(compose: dict[str, Any], mode: str) -> None:
    services = compose["services"]
    gateway = services["otel-gateway"]
    assert gateway["command"] == ["--config=/etc/otelcol/forward.yaml"]  # AO_GATEWAY_MODE defaults to forward
    assert any(v.startswith(f"{DEPLOY / 'otel-gateway'}:/etc/otelcol") for v in _volumes(gateway))
    text = (DEPLOY / "otel-gateway" / f"{mode}.yaml").read_text()
    for name in re.findall(r"\$\{env:(\w+)\}", text):
        assert name in gateway["environment"], f"{mode}.yaml reads {name}"
    config = yaml.safe_load(text)
    pipeline = config["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), f"{mode}: undefined {kind}"
    assert {"4317", "4318"} == {p["endpoint"].rsplit(":", 1)[1] for p in config["receivers"]["otlp"]["protocols"].values()}
    collector_args = options(services["ao-collector"]["command"])
    if mode == "forward":
        endpoint = config["exporters"]["otlphttp/ao"]["endpoint"]
        assert endpoint == f"http://ao-collector:{collector_args['--http-port']}"
        assert config["exporters"]["otlphttp/ao"]["headers"]["authorization"] == "Bearer ${env:AO_API_TOKEN}"
    else:
        exporter = config["exporters"]["clickhouse"]
        assert exporter["endpoint"].startswith("tcp://clickhouse:9000") and exporter["create_schema"] is False
        assert exporter["database"] == collector_args["--database"] and exporter["username"] == "ao"
        _, migrations = load(exporter["database"])
        ddl = " ".join(s for m in migrations for s in m.statements)
        assert f"CREATE TABLE IF NOT EXISTS {exporter['database']}.{exporter['traces_table_name']} " in ddl


def test_dockerfile_exposes_the_collector_ports(compose: dict[str, Any]) -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    exposed = set(re.search(r"^EXPOSE (.+)$", dockerfile, re.M).group(1).split())
    args = options(compose["services"]["ao-collector"]["command"])
    assert exposed == {args["--grpc-port"], args["--http-port"], args["--api-port"]}
    for path in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (DEPLOY.parent / path).exists(), path
