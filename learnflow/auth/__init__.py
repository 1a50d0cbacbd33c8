"""Identity: argon2 password hashes, short-lived JWTs, FastAPI dependencies, demo seeding.

- `learnflow.auth.passwords`: `hash_password`, `verify_password`, `needs_rehash`;
- `learnflow.auth.tokens`: `issue_token`, `verify_token` → `Principal`;
- `learnflow.auth.login`: `authenticate` (email + password → user) and `login` (→ token);
- `learnflow.auth.deps`: `CurrentUser`, `require_role(...)` for route signatures;
- `learnflow.auth.seed`: the demo class (Python 101: Mr. Rodriguez, Maya, James).
"""
