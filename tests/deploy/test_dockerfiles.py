"""The Dockerfiles: pinned bases, non-root, health-checked, buildable from the repo root.

One Dockerfile (agents/Dockerfile) builds the four agents, its build arguments picking which;
code-runner/Dockerfile adds the sandbox. Each image docker-compose.yaml builds must serve its
app's ASGI module on its port (learnflow/mesh/topology.py). model-server/Dockerfile builds the
local model server the way learnflow/mesh/model_server.py builds it for the stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from learnflow.mesh import model_server
from tests.deploy import dockerfile_checks as checks
from tests.deploy.deploy_common import REPO_ROOT, App, apps

AGENTS = ("triage", "concepts", "tutor", "debrief")
AGENT_DOCKERFILE = REPO_ROOT / "agents" / "Dockerfile"
CODE_RUNNER_DOCKERFILE = REPO_ROOT / "code-runner" / "Dockerfile"
DOCKERFILES = [AGENT_DOCKERFILE, CODE_RUNNER_DOCKERFILE]
MODEL_SERVER_DOCKERFILE = REPO_ROOT / "model-server" / "Dockerfile"
MODEL_SERVER_PORT = 8080
MODEL_DIR = "/opt/models"

GOOD = """\
FROM python:3.11.13-slim-bookworm AS build
COPY pyproject.toml ./
FROM python:3.11.13-slim-bookworm
COPY --from=build /opt /opt
ENV LEARNFLOW_APP_ID=triage
USER 10001:10001
EXPOSE 8001
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/healthz')"]
CMD ["uvicorn", "triage_agent.main:app", "--port", "8001"]
"""


def _compose_build(app_id: str) -> dict[str, Any]:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))
    build: dict[str, Any] = compose["services"][app_id]["build"]
    return build


@pytest.mark.parametrize("app_id", AGENTS)
def test_compose_builds_each_agent_from_the_one_agent_dockerfile(app_id: str) -> None:
    build = _compose_build(app_id)
    assert (build["context"], build["dockerfile"]) == (".", "agents/Dockerfile")
    app = apps()[app_id]
    assert build["args"] == {"AGENT": app_id, "PORT": str(app.port)}


@pytest.mark.parametrize("app_id", [*AGENTS, "code-runner"])
def test_each_image_compose_builds_serves_its_app(app_id: str, packaging: checks.Packaging) -> None:
    """The Dockerfile, with the build arguments compose passes, serves the app's ASGI module
    on its port, and that module exists and defines the app."""
    build = _compose_build(app_id)
    args = {str(k): str(v) for k, v in (build.get("args") or {}).items()}
    app = apps()[app_id]
    assert not checks.check_dockerfile(REPO_ROOT / build["dockerfile"], REPO_ROOT, app, args)
    assert not checks.check_asgi_app(app.asgi, REPO_ROOT, packaging)


def test_the_agent_dockerfile_defaults_to_triage() -> None:
    assert not checks.check_dockerfile(AGENT_DOCKERFILE, REPO_ROOT, apps()["triage"])


def test_build_arguments_pick_the_agent_and_a_mismatch_is_caught() -> None:
    tutor_on_triage_port = {"AGENT": "tutor", "PORT": "8001"}
    problems = "\n".join(
        checks.check_dockerfile(AGENT_DOCKERFILE, REPO_ROOT, apps()["tutor"], tutor_on_triage_port)
    )
    assert "EXPOSE 8003 is missing" in problems
    assert "HEALTHCHECK must probe port 8003" in problems
    assert "must serve tutor_agent.main:app on port 8003" in problems
    assert "LEARNFLOW_APP_ID" not in problems
    typo = checks.check_dockerfile(AGENT_DOCKERFILE, REPO_ROOT, None, {"AGENTS": "tutor"})
    assert any("AGENTS is not declared" in p for p in typo)


def test_the_images_share_one_build_stage() -> None:
    assert not checks.check_same_stage(DOCKERFILES, "build")


def test_the_rules_accept_a_good_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "Dockerfile").write_text(GOOD)
    assert not checks.check_dockerfile(tmp_path / "Dockerfile", tmp_path, apps()["triage"])


def test_the_rules_reject_a_bad_dockerfile(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("secrets\n")
    (tmp_path / "secrets").mkdir()
    bad = """\
FROM python:3.11-slim
ENV OPENAI_API_KEY=sk-live-123
COPY missing.txt ./
COPY secrets ./secrets
ADD https://example.com/x.tgz /x
USER root
CMD uvicorn triage_agent.main:app
"""
    (tmp_path / "Dockerfile").write_text(bad)
    problems = "\n".join(
        checks.check_dockerfile(tmp_path / "Dockerfile", tmp_path, apps()["triage"])
    )
    for expected in (
        "must pin a full version",
        "bakes in a secret",
        "'missing.txt' does not exist",
        "excluded by .dockerignore",
        "not ADD",
        "USER is root",
        "no HEALTHCHECK",
        "EXPOSE 8001",
        "exec form",
    ):
        assert expected in problems, expected


def test_same_stage_check_notices_a_divergent_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text(GOOD)
    b.write_text(GOOD.replace("COPY pyproject.toml ./", "COPY . ./"))
    assert checks.check_same_stage([a, b], "build")
    b.write_text("# a comment is not a difference\n" + GOOD)
    assert not checks.check_same_stage([a, b], "build")


def test_expand_substitutes_where_docker_does() -> None:
    text = """\
ARG BASE=3.11.13
FROM python:${BASE}-slim AS build
ARG NAME=x
ENV A=$NAME B=${NAME}_agent PATH=/opt/bin:$PATH
RUN echo $NAME
EXPOSE ${PORT}
"""
    instructions = checks.expand(checks.parse(text), {"NAME": "tutor"})
    by_keyword = {i.keyword: i.args for i in instructions}
    assert by_keyword["FROM"] == "python:3.11.13-slim AS build"
    assert checks.stage_env(instructions) == {
        "A": "tutor",
        "B": "tutor_agent",
        "PATH": "/opt/bin:$PATH",
    }
    assert by_keyword["RUN"] == "echo $NAME"  # the shell's, at build time
    assert by_keyword["EXPOSE"] == "${PORT}"  # undeclared: left as written


def test_uvicorn_reads_app_and_port_from_argv_or_its_environment() -> None:
    served = checks.served_by_uvicorn
    assert served(["uvicorn", "m:app", "--port", "8001"], {}) == ("m:app", "8001")
    port_from_env = {"UVICORN_PORT": "9"}
    assert served(["uvicorn", "--host", "0.0.0.0", "m:app"], port_from_env) == ("m:app", "9")
    env = {"UVICORN_APP": "m:app", "UVICORN_PORT": "8002"}
    assert served(["uvicorn", "--no-server-header"], env) == ("m:app", "8002")
    assert served(["uvicorn", "--port=8003"], env) == ("m:app", "8003")
    assert served(["uvicorn"], {}) is None
    assert served(["gunicorn", "m:app"], env) is None


def test_asgi_app_check(packaging: checks.Packaging) -> None:
    assert not checks.check_asgi_app("triage_agent.main:app", REPO_ROOT, packaging)
    assert checks.check_asgi_app("triage_agent.nope:app", REPO_ROOT, packaging)
    assert checks.check_asgi_app("triage_agent.main:application", REPO_ROOT, packaging)
    assert checks.check_asgi_app("nope_agent.main:app", REPO_ROOT, packaging)


def test_dockerignore_semantics() -> None:
    rules = checks.dockerignore_rules(REPO_ROOT / ".dockerignore")
    for path in (
        ".env",
        ".git/config",
        ".venv/bin/python",
        "learnflow/__pycache__/x.pyc",
        "frontend/node_modules/a/b.js",
        "tests/deploy/test_x.py",
        "x/secrets/y",
    ):
        assert checks.ignored(path, rules), path
    for path in (
        "pyproject.toml",
        "learnflow/settings.py",
        "agents/triage/main.py",
        "code-runner/app.py",
        "learnflow/curriculum/content/basics/quiz.yaml",
    ):
        assert not checks.ignored(path, rules), path


@pytest.fixture(scope="module")
def packaging() -> checks.Packaging:
    return checks.packaging(REPO_ROOT)


def test_pip_install_ships_every_package_and_data_file(packaging: checks.Packaging) -> None:
    assert not checks.check_packaging(REPO_ROOT, packaging)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_copies_everything_pip_needs(path: Path, packaging: checks.Packaging) -> None:
    assert not checks.check_copies_build_inputs(path, packaging)


def _toy_project(root: Path, setup_py: str) -> None:
    (root / "setup.py").write_text(setup_py)
    sub = root / "src" / "pkg" / "sub"
    sub.mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "schema.sql").write_text("")
    (root / "src" / "pkg" / "data.yaml").write_text("")
    (sub / "__init__.py").write_text("")


def test_packaging_check_notices_left_out_packages_and_data(tmp_path: Path) -> None:
    _toy_project(
        tmp_path,
        "from setuptools import setup\n"
        "setup(name='toy', package_dir={'pkg': 'src/pkg'}, packages=['pkg'],\n"
        "      package_data={'pkg': ['*.sql']})\n",
    )
    pkg = checks.packaging(tmp_path)
    problems = "\n".join(checks.check_packaging(tmp_path, pkg))
    assert "package pkg.sub" in problems
    assert "data.yaml is not shipped" in problems
    assert "schema.sql" not in problems
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11.13-slim\nCOPY pyproject.toml ./\n")
    missing = "\n".join(checks.check_copies_build_inputs(dockerfile, pkg))
    assert "setup.py" in missing
    assert "src" in missing


def test_app_ids_and_ports_come_from_the_topology() -> None:
    assert set(AGENTS) <= set(apps())
    assert all(isinstance(a, App) and a.port > 0 for a in apps().values())


# --- the model server -----------------------------------------------------------------------------
def _options(argv: list[str]) -> dict[str, str]:
    """`--name value` pairs of a command line (every option of llama_cpp.server takes one)."""
    return dict(zip(argv[::2], argv[1::2], strict=True))


def _model_server_problems(path: Path) -> list[str]:
    """model-server/Dockerfile builds and runs what learnflow/mesh/model_server.py does: its
    CMake flags, requirements and model (wheel, file, SHA-256), and server_command's options,
    listening on the container's interfaces, on MODEL_SERVER_PORT."""
    instructions = checks.parse(path.read_text(encoding="utf-8"))
    problems = checks.check_dockerfile(path, REPO_ROOT, health_path="/v1/models")
    model = model_server.SMOLLM2
    expected_args = {
        "CMAKE_ARGS": model_server.CMAKE_ARGS,
        "MODEL_WHEEL": model.wheel,
        "MODEL_MEMBER": model.member,
        "MODEL_SHA256": model.sha256,
    }
    defaults = checks.arg_defaults(instructions)
    for name, value in expected_args.items():
        if defaults.get(name) != value:
            problems.append(f"ARG {name}={defaults.get(name)!r}, model_server.py says {value!r}")
    requirements = model_server.SERVER_REQUIREMENTS.relative_to(REPO_ROOT).as_posix()
    if not any(i.keyword == "COPY" and requirements in i.args.split() for i in instructions):
        problems.append(f"the build does not COPY {requirements}")
    final = checks.stages(instructions)[-1]
    cmd = next((i for i in reversed(final) if i.keyword == "CMD"), None)
    argv = checks.exec_form(cmd.args) if cmd else None
    stack = model_server.server_command(
        model_server.ModelServer(
            python=Path("python"),
            model=Path(MODEL_DIR) / Path(model.member).name,
            alias=model.alias,
        ),
        MODEL_SERVER_PORT,
    )
    want = _options(stack[3:]) | {"--host": "0.0.0.0"}
    del want["--n_threads"]  # the container's CPU limit decides (N_THREADS, k8s/)
    if argv is None or argv[:3] != stack[:3] or _options(argv[3:]) != want:
        problems.append(f"CMD {argv} is not model_server.server_command's {[*stack[:3], *want]}")
    exposed = {w for i in final if i.keyword == "EXPOSE" for w in i.args.split()}
    if str(MODEL_SERVER_PORT) not in exposed:
        problems.append(f"EXPOSE {MODEL_SERVER_PORT} is missing")
    health = next((i for i in reversed(final) if i.keyword == "HEALTHCHECK"), None)
    if health is None or f":{MODEL_SERVER_PORT}/v1/models" not in health.args:
        problems.append(f"HEALTHCHECK must probe :{MODEL_SERVER_PORT}/v1/models")
    return problems


def test_the_model_server_image_is_the_stacks_model_server() -> None:
    assert not _model_server_problems(MODEL_SERVER_DOCKERFILE)


def test_the_model_server_check_notices_drift(tmp_path: Path) -> None:
    text = MODEL_SERVER_DOCKERFILE.read_text(encoding="utf-8")
    drifted = (
        text.replace("-DGGML_NATIVE=OFF", "-DGGML_NATIVE=ON")
        .replace(model_server.SMOLLM2.sha256, "0" * 64)
        .replace('"--n_ctx", "4096"', '"--n_ctx", "2048"')
        .replace('"--interrupt_requests", "False", ', "")
        .replace("8080/v1/models", "8080/healthz")
    )
    (tmp_path / "Dockerfile").write_text(drifted)
    problems = "\n".join(_model_server_problems(tmp_path / "Dockerfile"))
    for expected in (
        "ARG CMAKE_ARGS=",
        "ARG MODEL_SHA256=",
        "is not model_server.server_command's",
        "HEALTHCHECK must probe /v1/models",
    ):
        assert expected in problems, expected


def test_compose_builds_the_model_server_from_its_dockerfile() -> None:
    build = _compose_build("model-server")
    assert (build["context"], build["dockerfile"]) == (".", "model-server/Dockerfile")
    assert not build.get("args")  # the Dockerfile's defaults are model_server.py's
