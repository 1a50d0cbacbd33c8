"""What the web app's tests share: where the frontend lives and the handles on its stack (a plain
module, imported by tests/frontend/conftest.py's fixtures and by the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from learnflow.settings import REPO_ROOT
from tests.integration.harness import Mesh

FRONTEND = REPO_ROOT / "frontend"


@dataclass(frozen=True)
class Frontend:
    """The web app's stack (`mesh`), the app's URL and the demo logins triage wrote."""

    mesh: Mesh
    url: str
    logins_file: Path
