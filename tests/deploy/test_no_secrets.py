"""No literal secret in any deployment file: k8s/, gateway/, components/, compose, Dockerfiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.deploy_common import REPO_ROOT
from tests.deploy.secret_scan import scan_file, scan_text


def deployment_files() -> list[Path]:
    files: set[Path] = set()
    for folder in ("k8s", "gateway", "components", "compose"):
        files |= {p for p in (REPO_ROOT / folder).rglob("*") if p.is_file()}
    files |= {REPO_ROOT / "docker-compose.yaml", REPO_ROOT / ".dockerignore"}
    files |= {REPO_ROOT / "agents" / "Dockerfile", REPO_ROOT / "code-runner" / "Dockerfile"}
    return sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts)


def test_the_scan_covers_every_kind_of_deployment_file() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in deployment_files()}
    for expected in (
        "docker-compose.yaml",
        "gateway/kong.yaml",
        "k8s/README.md",
        "components/statestore.yaml",
        "k8s/dapr/statestore.yaml",
        "agents/Dockerfile",
        "code-runner/Dockerfile",
    ):
        assert expected in names


@pytest.mark.parametrize("path", deployment_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_literal_secret(path: Path) -> None:
    assert not scan_file(path)


@pytest.mark.parametrize(
    "text",
    [
        "password: hunter2\n",
        "env:\n  - name: DB_PASSWORD\n    value: hunter2\n",
        "metadata:\n  - name: connectionString\n    value: host=db user=app\n",
        "url: postgresql://app:hunter2@db:5432/app\n",
        "conn: host=db password=hunter2 dbname=app\n",
        "jwt_secrets:\n  - key: k\n    secret: hunter2\n",
        "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc\n",
        "key: |\n  -----BEGIN RSA PRIVATE KEY-----\n",
    ],
)
def test_the_scan_finds_literal_secrets(tmp_path: Path, text: str) -> None:
    path = tmp_path / "leak.yaml"
    path.write_text(text)
    assert scan_file(path), text


def test_the_scan_finds_secrets_in_text_files() -> None:
    assert scan_text("ENV OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx\n")
    assert scan_text("kubectl create secret generic x --from-literal=jwt-secret=hunter2\n")


@pytest.mark.parametrize(
    "text",
    [
        "password: ${LF_POSTGRES_PASSWORD:?set it}\n",
        "env:\n  - name: DB_PASSWORD\n    valueFrom: {secretKeyRef: {name: db, key: password}}\n",
        "url: postgresql://app:${PW}@db:5432/app\n",
        "auth:\n  secretStore: localsecretstore\n",
        "annotations:\n  dapr.io/app-token-secret: learnflow-app-token\n",
        'secret: "${LF_JWT_SECRET}"\n',
    ],
)
def test_the_scan_accepts_placeholders_and_references(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert not scan_file(path), text
