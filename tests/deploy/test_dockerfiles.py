"""The agent Dockerfiles: pinned bases, non-root, health-checked, buildable from the repo root."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy import dockerfile_checks as checks
from tests.deploy.deploy_common import REPO_ROOT, App, apps

AGENT_DIRS = {"triage": "triage", "concepts": "concepts", "tutor": "tutor", "debrief": "debrief"}
AGENT_DOCKERFILES = [REPO_ROOT / "agents" / d / "Dockerfile" for d in AGENT_DIRS.values()]

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


@pytest.mark.parametrize("app_id", AGENT_DIRS)
def test_agent_dockerfile_follows_the_rules(app_id: str) -> None:
    path = REPO_ROOT / "agents" / AGENT_DIRS[app_id] / "Dockerfile"
    assert not checks.check_dockerfile(path, REPO_ROOT, apps()[app_id])


def test_agent_dockerfiles_share_one_base() -> None:
    assert not checks.check_shared_base(AGENT_DOCKERFILES)


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


def test_shared_base_check_notices_a_divergent_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text(GOOD)
    b.write_text(GOOD.replace("COPY pyproject.toml ./", "COPY . ./"))
    assert checks.check_shared_base([a, b])


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


@pytest.mark.parametrize("path", AGENT_DOCKERFILES, ids=lambda p: p.parent.name)
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
    assert set(AGENT_DIRS) <= set(apps())
    assert all(isinstance(a, App) and a.port > 0 for a in apps().values())
