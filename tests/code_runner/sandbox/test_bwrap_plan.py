"""What the bwrap sandbox may see: only Python, its stdlib and the libraries it loads."""

from __future__ import annotations

import shutil

import pytest

from code_runner.sandbox.bwrap import BwrapBackend, plan_filesystem
from tests.code_runner.probes import sandbox_settings


def test_the_filesystem_plan_binds_only_what_python_needs() -> None:
    python = "/usr/bin/python3.11"
    if not shutil.which(python):
        pytest.skip("needs Debian's python3.11")
    args = plan_filesystem(python, [])
    bound = [args[i + 1] for i, a in enumerate(args) if a in ("--ro-bind", "--ro-bind-try")]
    assert "/usr/lib/python3.11" in bound
    for forbidden in ("/", "/etc", "/home", "/root", "/var", "/run", "/usr", "/work", "/proc"):
        assert forbidden not in bound
    assert all(not b.startswith(("/etc", "/home", "/root", "/var", "/run")) for b in bound)
    assert "/usr/lib/python3/dist-packages" not in bound  # Debian's third-party packages


def test_a_missing_bwrap_refuses_with_the_install_command() -> None:
    backend = BwrapBackend(sandbox_settings(bwrap_path="/nonexistent/bwrap"))
    with pytest.raises(Exception, match=r"apt-get install -y bubblewrap"):
        backend.check()
