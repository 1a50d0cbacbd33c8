"""The outbox on the real throwaway PostgreSQL of tests/learnflow/db."""

from __future__ import annotations

from tests.learnflow.db.conftest import db_url, pg_cluster, template_db

__all__ = ["db_url", "pg_cluster", "template_db"]
