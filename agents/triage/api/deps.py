"""Dependency aliases of triage's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from learnflow.auth.deps import require_role
from learnflow.auth.tokens import Principal
from learnflow.db.models import Role
from learnflow.db.pool import Pool


def _pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


def _optional_pool(request: Request) -> Pool | None:
    """The pool, or None in an app started without its database (chat keeps working)."""
    pool: Pool | None = getattr(request.app.state, "pool", None)
    return pool


PoolDep = Annotated[Pool, Depends(_pool)]
OptionalPoolDep = Annotated[Pool | None, Depends(_optional_pool)]
Student = Annotated[Principal, Depends(require_role(Role.STUDENT))]
Staff = Annotated[Principal, Depends(require_role(Role.TEACHER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
