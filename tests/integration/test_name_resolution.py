"""Each stack resolves app ids in its own SQLite file (regression: with mDNS, a `make up` stack
and the tests' stack on one host answered each other's service invocations)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.integration.harness import Mesh

pytestmark = pytest.mark.integration


def test_every_app_registers_its_own_stack_address_in_the_stack_file(mesh: Mesh) -> None:
    db = mesh.settings.run_dir / "nameresolution.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT app_id, address FROM hosts").fetchall()

    registered = {app_id: address for app_id, address in rows}
    expected = {spec.app_id: f"127.0.0.1:{spec.dapr_internal_grpc_port}" for spec in mesh.topo.apps}
    assert registered == expected
