"""LearnFlow's PostgreSQL layer: a connection pool, versioned migrations, small repositories.

- `learnflow.db.pool`: `open_pool(conninfo)`, `connect(conninfo)`, the `Conn` type repos take;
- `learnflow.db.migrate`: `migrate(conninfo)`, run by every app at start-up (safe concurrently);
- `learnflow.db.repos.*`: keyword-only async functions, one module per aggregate. They never
  commit: the caller owns the transaction (`async with pool.connection()` or `conn.transaction()`).
"""

from learnflow.db.migrate import migrate
from learnflow.db.pool import Conn, Pool, connect, database_conninfo, open_pool

__all__ = ["Conn", "Pool", "connect", "database_conninfo", "migrate", "open_pool"]
