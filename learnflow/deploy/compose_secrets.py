"""Secrets for `docker compose up`, generated once into files that are never committed.

    python -m learnflow.deploy.compose_secrets      # creates .env and compose/trust/ if missing

- `.env`: PostgreSQL's password, the app and Dapr API tokens, the JWT secret, and one Kafka
  SASL password per Kafka user (LF_KAFKA_<USER>_PASSWORD), all random;
- `compose/trust/`: the mesh's CA for Sentry (`issuer/`), Sentry's JWKS validator config
  (`sentry.yaml`, `validator-jwks.json`) and one Sentry token per sidecar and control-plane
  service (`tokens/<id>.jwt`; each container mounts only its own), plus `daprd.env` with the
  trust anchors every daprd needs (DAPR_TRUST_ANCHORS). Bind mounts keep the host's file
  modes, so what a container reads is 0644: keep the checkout private.

The same material as `make up` makes for its run dir (learnflow.mesh.trust), laid out for the
containers: Sentry sees this folder at /trust.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from learnflow.mesh import kafka_security
from learnflow.mesh.topology import APPS
from learnflow.mesh.trust import CONTROL_PLANE_IDS, ensure_trust
from learnflow.settings import REPO_ROOT

TRUST_DIR = Path("compose/trust")
IN_CONTAINER = "/trust"
BASE_SECRETS = ("LF_POSTGRES_PASSWORD", "LF_APP_TOKEN", "LF_DAPR_API_TOKEN", "LF_JWT_SECRET")


def kafka_variable(user: str) -> str:
    return f"LF_KAFKA_{user.upper().replace('-', '_')}_PASSWORD"


def env_lines(existing: dict[str, str]) -> list[str]:
    """The `.env` lines still missing from `existing` (hex values: safe in any config file)."""
    wanted = [*BASE_SECRETS, *(kafka_variable(u) for u in kafka_security.USERS)]
    return [f"{name}={secrets.token_hex(32)}" for name in wanted if name not in existing]


def _read_env(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.lstrip().startswith("#"):
                values[name.strip()] = value
    return values


def ensure(root: Path = REPO_ROOT) -> list[Path]:
    written: list[Path] = []
    env = root / ".env"
    missing = env_lines(_read_env(env))
    if missing:
        with env.open("a") as handle:
            handle.write("\n".join(missing) + "\n")
        env.chmod(0o600)
        written.append(env)
    folder = root / TRUST_DIR
    trust = ensure_trust(
        folder,
        [*APPS, *CONTROL_PLANE_IDS],
        folder=folder,
        jwks_seen_at=f"{IN_CONTAINER}/validator-jwks.json",
    )
    # bind mounts keep host modes: the containers' non-root users (daprd, sentry: 65532) must
    # read their files, so these are 0644 (the checkout itself must stay private, like .env)
    for path in [trust.issuer_dir, *trust.issuer_dir.iterdir(), trust.jwks, trust.sentry_config]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    for token in (folder / "tokens").iterdir():
        token.chmod(0o644)
    (folder / "tokens").chmod(0o755)
    anchors = trust.trust_anchors().strip().replace("\n", "\\n")
    daprd_env = folder / "daprd.env"
    daprd_env.write_text(f'DAPR_TRUST_ANCHORS="{anchors}\\n"\n')
    written.append(folder)
    return written


def main() -> int:
    for path in ensure():
        print(f"ready: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
