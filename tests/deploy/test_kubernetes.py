"""deploy/kubernetes validated with kubernetes-validate (its bundled schemas, strict: no unknown fields,
offline) and cross-checked: selectors, ports and probes against the collector's routes and CLI, the
ClickHouse cluster against the `--cluster` DDL, Keeper, the gateway and Grafana files of the repository."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ao_collector.ops.routes import ops_router
from ao_collector.schema import load
from ao_collector.service import ServiceConfig
from tests.deploy.config_files import (
    DEPLOY,
    KUBERNETES,
    by_kind,
    env_names,
    from_env,
    kubernetes_documents,
    options,
    serve_options,
    xml,
)
from tests.grafana.dashboards import GRAFANA

DOCUMENTS = kubernetes_documents()
WORKLOADS = {**by_kind(DOCUMENTS, "Deployment"), **by_kind(DOCUMENTS, "StatefulSet")}
SERVICES = by_kind(DOCUMENTS, "Service")
CONFIGMAPS = by_kind(DOCUMENTS, "ConfigMap")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_validates_against_the_kubernetes_schema(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def test_an_invalid_manifest_is_refused() -> None:
    broken = yaml.safe_load(yaml.safe_dump(WORKLOADS["ao-collector"]))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_kustomization_lists_every_file() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files and kustomization["namespace"] == "ao"
    assert {d["metadata"].get("namespace", "ao") for d in DOCUMENTS} == {"ao"}


def _pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return workload["spec"]["template"]["spec"]["containers"]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_services_select_pods_and_name_their_ports() -> None:
    for name, service in SERVICES.items():
        selected = [w for w in WORKLOADS.values() if _selects(service["spec"]["selector"], _pod_labels(w))]
        assert selected, f"Service {name} selects no pods"
        for workload in selected:
            ports = {p["name"]: p["containerPort"] for c in _containers(workload) for p in c.get("ports", [])}
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                assert target in ports or target in ports.values() or port["port"] in ports.values(), (name, port)
    for workload in by_kind(DOCUMENTS, "StatefulSet").values():
        headless = SERVICES[workload["spec"]["serviceName"]]
        assert headless["spec"]["clusterIP"] == "None"
    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        for name, document in by_kind(DOCUMENTS, kind).items():
            if kind == "HorizontalPodAutoscaler":
                assert document["spec"]["scaleTargetRef"]["name"] in WORKLOADS
            else:
                assert any(_selects(document["spec"]["selector"]["matchLabels"], _pod_labels(w)) for w in WORKLOADS.values()), name
    for workload in WORKLOADS.values():
        for container in _containers(workload):
            assert "requests" in container["resources"] and "limits" in container["resources"]
            image = container["image"]
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest")


def test_collector_deployment_matches_the_cli_and_routes() -> None:
    deployment = WORKLOADS["ao-collector"]
    (container,) = _containers(deployment)
    args = options(container["args"])
    assert container["args"][0] == "serve" and set(args) <= serve_options()
    assert args["--host"] == "0.0.0.0" and "AO_API_TOKEN" in env_names(container)
    assert args["--clickhouse-url"] == "http://clickhouse:8123" and "clickhouse" in SERVICES
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert (ports["otlp-grpc"], ports["otlp-http"], ports["api"]) == tuple(int(args[f"--{n}-port"]) for n in ("grpc", "http", "api"))
    routes = _ops_paths()
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "api"} and "/livez" in routes
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "api"} and "/readyz" in routes
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == args["--api-port"] and annotations["prometheus.io/path"] in routes
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > ServiceConfig().shutdown_timeout, "SIGTERM's flush must finish before the kill"
    assert deployment["spec"]["replicas"] >= 2 and "volumeClaimTemplates" not in deployment["spec"]  # stateless


def _ops_paths() -> set[str]:
    """The paths of the operations router (built over placeholders: only its routes are read)."""
    router = ops_router(None, None)  # type: ignore[arg-type]
    return {route.path for route in router.routes}


def _cluster_xml() -> Any:
    return xml(CONFIGMAPS["clickhouse"]["data"]["cluster.xml"])


def test_clickhouse_cluster_is_two_shards_of_two_replicas_for_the_cluster_ddl() -> None:
    (container,) = _containers(WORKLOADS["ao-collector"])
    cluster_name = options(container["args"])["--cluster"]
    config = _cluster_xml()
    cluster = config.find(f"remote_servers/{cluster_name}")
    assert cluster is not None, f"no cluster {cluster_name!r} in remote_servers"
    shards = cluster.findall("shard")
    assert len(shards) == 2 and all(len(s.findall("replica")) == 2 for s in shards)
    assert all(s.findtext("internal_replication") == "true" for s in shards)  # Replicated tables replicate themselves
    for index, shard in enumerate(shards):
        statefulset = WORKLOADS[f"clickhouse-shard{index}"]
        assert statefulset["spec"]["replicas"] == 2
        hosts = [f"clickhouse-shard{index}-{i}.{statefulset['spec']['serviceName']}" for i in range(2)]
        assert [r.findtext("host") for r in shard.findall("replica")] == hosts
        (server,) = _containers(statefulset)
        assert {"name": "CLICKHOUSE_SHARD", "value": str(index)} in server["env"]
        assert from_env(config) | from_env(xml(CONFIGMAPS["clickhouse"]["data"]["users.xml"])) <= env_names(server) | {"HOSTNAME"}
    macros = {m.tag for m in config.find("macros")}
    bootstrap, migrations = load("ao", cluster_name)
    ddl = " ".join(s for m in [bootstrap, *migrations] for s in m.statements)
    used = set(re.findall(r"\{([A-Za-z_]\w*)\}", ddl))
    assert used and used <= macros | {"database", "table"}, f"the --cluster DDL uses macros {used}"
    assert f"ON CLUSTER '{cluster_name}'" in ddl and f"Distributed('{cluster_name}'" in ddl
    service = SERVICES["clickhouse"]
    assert {p["port"] for p in service["spec"]["ports"]} >= {8123, 9000}


def test_keeper_quorum_matches_the_clickhouse_config() -> None:
    keeper = xml(CONFIGMAPS["clickhouse-keeper"]["data"]["keeper.xml"]).find("keeper_server")
    statefulset = WORKLOADS["clickhouse-keeper"]
    replicas = statefulset["spec"]["replicas"]
    servers = keeper.findall("raft_configuration/server")
    assert replicas == 3 and [s.findtext("id") for s in servers] == ["1", "2", "3"]
    assert [s.findtext("hostname") for s in servers] == [f"clickhouse-keeper-{i}.clickhouse-keeper" for i in range(3)]
    assert "${HOSTNAME##*-} + 1" in _containers(statefulset)[0]["args"][0]  # server ids are ordinals + 1
    nodes = _cluster_xml().findall("zookeeper/node")
    assert [(n.findtext("host"), n.findtext("port")) for n in nodes] == [
        (s.findtext("hostname"), keeper.findtext("tcp_port")) for s in servers]


def test_files_of_the_repository_are_embedded_unchanged() -> None:
    assert CONFIGMAPS["clickhouse"]["data"]["users.xml"] == (DEPLOY / "clickhouse" / "users.xml").read_text()
    assert CONFIGMAPS["otel-gateway"]["data"]["forward.yaml"] == (DEPLOY / "otel-gateway" / "forward.yaml").read_text()
    gateway = yaml.safe_load(CONFIGMAPS["otel-gateway"]["data"]["forward.yaml"])
    host, port = gateway["exporters"]["otlphttp/ao"]["endpoint"].removeprefix("http://").split(":")
    assert host in SERVICES and int(port) in {p["port"] for p in SERVICES[host]["spec"]["ports"]}
    (container,) = _containers(WORKLOADS["otel-gateway"])
    assert container["args"] == ["--config=/etc/otelcol/forward.yaml"]
    assert set(re.findall(r"\$\{env:(\w+)\}", CONFIGMAPS["otel-gateway"]["data"]["forward.yaml"])) <= env_names(container)


def test_grafana_mounts_the_provisioning_where_it_points() -> None:
    (container,) = _containers(WORKLOADS["grafana"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ao.yaml").read_text())["providers"][0]
    assert {"/etc/grafana/provisioning/datasources", "/etc/grafana/provisioning/dashboards", provider["options"]["path"]} <= mounts
    assert container["env"][0] == {"name": "GF_INSTALL_PLUGINS", "value": "grafana-clickhouse-datasource 4.5.1"}
    datasources = (GRAFANA / "provisioning" / "datasources" / "ao.yaml").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", datasources)) <= env_names(container)
    header = (KUBERNETES / "grafana.yaml").read_text()
    for volume in WORKLOADS["grafana"]["spec"]["template"]["spec"]["volumes"]:
        if "configMap" in volume:
            assert f"create configmap {volume['configMap']['name']} " in header, "the README's commands create it"


def test_images_match_the_compose_file() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    for workload in WORKLOADS.values():
        for container in _containers(workload):
            image = container["image"]
            assert re.search(rf"image: {re.escape(image)}$", compose, re.M) or image.startswith("clickhouse/clickhouse-keeper:"), image
