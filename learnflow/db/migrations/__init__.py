"""The SQL migrations (`NNNN_name.sql`, applied by `learnflow.db.migrate.migrate`).

`migrate_sync(conninfo)` is for synchronous callers such as the stack supervisor
(`learnflow.mesh.stack`), which applies migrations before starting the apps.
"""

from __future__ import annotations

import asyncio


def migrate_sync(conninfo: str) -> list[str]:
    """`learnflow.db.migrate.migrate` from synchronous code (not inside a running event loop)."""
    from learnflow.db.migrate import migrate

    return asyncio.run(migrate(conninfo))
