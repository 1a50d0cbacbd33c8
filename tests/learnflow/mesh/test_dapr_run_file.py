"""dapr.yaml (for `dapr run -f .`) must describe the same apps and ports as `make up`."""

from __future__ import annotations

import yaml

from learnflow.mesh.topology import topology
from learnflow.settings import REPO_ROOT, Settings


def test_run_file_matches_the_supervisor_topology() -> None:
    run_file = yaml.safe_load((REPO_ROOT / "dapr.yaml").read_text())
    topo = topology(Settings(port_offset=0))
    apps = {a["appID"]: a for a in run_file["apps"]}

    assert set(apps) == {spec.app_id for spec in topo.apps}
    for spec in topo.apps:
        app = apps[spec.app_id]
        assert app["appPort"] == spec.app_port
        assert app["daprHTTPPort"] == spec.dapr_http_port
        assert app["daprGRPCPort"] == spec.dapr_grpc_port
        if spec.asgi.startswith("next:"):  # the web app: `npm start` in its folder
            assert app["appDirPath"] == "./" + spec.asgi.removeprefix("next:")
            assert app["env"]["PORT"] == str(spec.app_port)
        else:
            assert spec.asgi in app["command"]
            assert str(spec.app_port) in app["command"]
    assert run_file["common"]["placementHostAddress"].endswith(f":{topo.placement_port}")
    assert run_file["common"]["schedulerHostAddress"].endswith(f":{topo.scheduler_port}")
    assert (REPO_ROOT / run_file["common"]["resourcesPath"]).is_dir()
