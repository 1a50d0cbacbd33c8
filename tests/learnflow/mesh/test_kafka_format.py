"""Formatting Kafka's storage with a new cluster id, on the real Kafka tools (KRaft, SCRAM users).

Once in 64 stack starts the random cluster id began with "-": the storage tool took it for an
option ("argument --cluster-id/-t: expected one argument") and the stack did not start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learnflow.mesh import services
from learnflow.mesh.toolchain import Toolchain, ensure_kafka
from learnflow.mesh.topology import topology
from learnflow.settings import Settings


def test_a_new_cluster_id_never_starts_with_a_dash() -> None:
    ids = [services.kafka_cluster_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids) and {len(i) for i in ids} == {22}


def test_the_storage_formats_with_an_id_that_starts_with_a_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real storage tool, given an id the old command line could not pass."""
    settings = Settings(run_dir=tmp_path, port_offset=0)
    libs = ensure_kafka(settings.cache_dir, lambda _: None)
    tools = Toolchain(dapr_bin=tmp_path, kafka_libs=libs, pg_bin=tmp_path, bwrap=None)
    monkeypatch.setattr(services, "kafka_cluster_id", lambda: "-AbCdEfGhIjKlMnOpQrStw")

    services.ensure_kafka_storage(
        tmp_path, topology(settings), tools, services.RunSecrets.load_or_create(tmp_path)
    )

    meta = (tmp_path / "kafka" / "data" / "meta.properties").read_text()
    assert "cluster.id=-AbCdEfGhIjKlMnOpQrStw" in meta
