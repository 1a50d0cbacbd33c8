"""A killed PostgreSQL's lock files: stale ones are removed before a restart (PostgreSQL itself
refuses to start when the dead server's pid now belongs to another process), a live server's
are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from learnflow.mesh.services import clear_stale_pg_locks
from learnflow.mesh.topology import topology
from learnflow.settings import Settings
from tests.learnflow.db.factories import PgCluster

TOPO = topology(Settings(port_offset=0))


def lock_files(tmp_path: Path, pid: int) -> tuple[Path, Path]:
    data = tmp_path / "postgres" / "data"
    sockets = tmp_path / "postgres" / "socket"
    data.mkdir(parents=True)
    sockets.mkdir()
    pidfile = data / "postmaster.pid"
    pidfile.write_text(f"{pid}\n{data}\n1700000000\n{TOPO.postgres_port}\n")
    socket_lock = sockets / f".s.PGSQL.{TOPO.postgres_port}.lock"
    socket_lock.write_text(f"{pid}\n{data}\n")
    return pidfile, socket_lock


def test_a_lock_whose_pid_now_belongs_to_another_process_is_removed(tmp_path: Path) -> None:
    pidfile, socket_lock = lock_files(tmp_path, os.getpid())  # a live pid, not a postgres

    assert clear_stale_pg_locks(pidfile.parent, TOPO) == [pidfile, socket_lock]
    assert not pidfile.exists() and not socket_lock.exists()


def test_a_lock_of_a_dead_server_is_removed(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pidfile, _ = lock_files(tmp_path, int(gone.stdout))
    assert pidfile in clear_stale_pg_locks(pidfile.parent, TOPO)


def test_a_live_servers_lock_is_kept(pg_cluster: PgCluster) -> None:
    data = pg_cluster.socket_dir / "data"
    pidfile = data / "postmaster.pid"
    before = pidfile.read_text()

    assert clear_stale_pg_locks(data, TOPO) == []
    assert pidfile.read_text() == before
