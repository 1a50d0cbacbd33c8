"""Dependency aliases of triage's routes (the pool's, `PoolDep` and `OptionalPoolDep`, are the
shared ones of `learnflow.api.deps`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from learnflow.auth.deps import require_role
from learnflow.auth.tokens import Principal
from learnflow.db.models import Role

Student = Annotated[Principal, Depends(require_role(Role.STUDENT))]
Staff = Annotated[Principal, Depends(require_role(Role.TEACHER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
