from __future__ import annotations

from pathlib import Path

from learnflow.mesh.topology import APPS, topology
from learnflow.settings import Settings


def test_every_port_is_distinct() -> None:
    ports = topology(Settings(port_offset=0)).all_ports()
    assert len(set(ports.values())) == len(ports)


def test_app_ids_are_exactly_the_designed_ones() -> None:
    assert set(APPS) == {"triage", "concepts", "tutor", "debrief", "code-runner", "frontend"}


def test_offset_moves_every_port_and_keeps_stacks_apart() -> None:
    dev = topology(Settings(port_offset=0)).all_ports()
    test = topology(Settings(port_offset=1000)).all_ports()
    assert all(test[name] == port + 1000 for name, port in dev.items())
    assert not set(dev.values()) & set(test.values())


def test_each_stack_gets_its_own_name_resolution_file_and_broker(tmp_path: Path) -> None:
    import yaml

    from learnflow.mesh.services import render_resources

    topo = topology(Settings(port_offset=1000))
    out = render_resources(tmp_path, topo)

    config = yaml.safe_load((out / "config.yaml").read_text())
    resolver = config["spec"]["nameResolution"]
    assert resolver["component"] == "sqlite"
    assert resolver["configuration"]["connectionString"] == str(tmp_path / "nameresolution.db")
    assert f"127.0.0.1:{topo.kafka_port}" in (out / "pubsub.yaml").read_text()


def test_each_stack_exports_its_spans_to_its_own_collector(tmp_path: Path) -> None:
    import yaml

    from learnflow.mesh.services import app_config_name, render_resources

    topo = topology(Settings(port_offset=1000))
    out = render_resources(tmp_path, topo)

    for app_id in APPS:
        config = yaml.safe_load((out / app_config_name(app_id)).read_text())
        assert config["spec"]["tracing"] == {
            "samplingRate": "1",
            "zipkin": {
                "endpointAddress": f"http://127.0.0.1:{topo.trace_collector_port}/api/v2/spans"
            },
        }


def test_each_stack_reaches_its_own_model_server_through_the_llm_endpoint(tmp_path: Path) -> None:
    import yaml

    from learnflow.mesh.services import render_resources

    topo = topology(Settings(port_offset=1000))
    out = render_resources(tmp_path, topo)

    endpoint = yaml.safe_load((out / "model-endpoint.yaml").read_text())
    assert endpoint["kind"] == "HTTPEndpoint" and endpoint["metadata"]["name"] == "llm"
    assert endpoint["spec"]["baseUrl"] == f"http://127.0.0.1:{topo.model_server_port}"
    resiliency = yaml.safe_load((out / "resiliency.yaml").read_text())
    # a breaker, no timeout: daprd 1.18.2's timeout runner keeps writing a streamed answer
    # after the agent left, and dies of it (components/resiliency.yaml)
    assert resiliency["spec"]["targets"]["apps"]["llm"] == {"circuitBreaker": "llmBreaker"}
