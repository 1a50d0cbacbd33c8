"""`learnflow user add` and `learnflow db migrate|seed`: accounts and the database schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import psycopg

from learnflow.auth.passwords import check_password_policy, generate_password, hash_password
from learnflow.auth.seed import seed_demo_and_report
from learnflow.db.migrate import migrate
from learnflow.db.models import Role
from learnflow.db.pool import connect, database_conninfo
from learnflow.db.repos.users import create_user, normalise_email
from learnflow.errors import ConfigurationError, InvalidInput
from learnflow.settings import get_settings


def register(subparsers: Any) -> None:
    user = subparsers.add_parser("user", help="manage LearnFlow accounts (user add)")
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_actions.add_parser(
        "add",
        help="Create a user; prints it as JSON (with the password if one was generated).",
        description="Create a user. Without --password-stdin a random password is generated "
        "and printed once.",
    )
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="Display name, e.g. 'Maya'.")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the password from the first line of standard input.",
    )
    add.set_defaults(func=_user_add)

    db = subparsers.add_parser("db", help="database schema and demo data (db migrate, db seed)")
    db_actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_actions.add_parser(
        "migrate", help="Apply pending migrations (safe to run again or concurrently)."
    ).set_defaults(func=_db_migrate)
    db_actions.add_parser(
        "seed",
        help="Create the demo class (Python 101) if missing; prints new demo logins once.",
    ).set_defaults(func=_db_seed)


def _user_add(args: argparse.Namespace) -> int:
    email = normalise_email(args.email)
    generated = not args.password_stdin
    if generated:
        password = generate_password()
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin: standard input had no password on its first line")
        check_password_policy(password)
    conninfo = database_conninfo(get_settings())
    user = asyncio.run(
        _create(conninfo, email=email, name=args.name, role=Role(args.role), password=password)
    )
    out: dict[str, str] = {
        "id": str(user.id),
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
    }
    if generated:
        out["password"] = password  # shown once; only the argon2 hash is stored
    print(json.dumps(out))
    return 0


async def _create(conninfo: str, *, email: str, name: str, role: Role, password: str) -> Any:
    conn = await connect(conninfo)
    try:
        async with conn.transaction():
            return await create_user(
                conn,
                email=email,
                display_name=name,
                role=role,
                password_hash=await asyncio.to_thread(hash_password, password),
            )
    except psycopg.errors.UndefinedTable as exc:
        raise ConfigurationError(
            "The database has no LearnFlow tables yet: run `learnflow db migrate` first"
        ) from exc
    finally:
        await conn.close()


def _db_migrate(args: argparse.Namespace) -> int:
    applied = asyncio.run(migrate(database_conninfo(get_settings())))
    print(json.dumps({"applied": applied}))
    return 0


def _db_seed(args: argparse.Namespace) -> int:
    settings = get_settings()
    conninfo = database_conninfo(settings)
    try:
        result = asyncio.run(seed_demo_and_report(conninfo, settings=settings))
    except psycopg.errors.UndefinedTable as exc:
        raise ConfigurationError(
            "The database has no LearnFlow tables yet: run `learnflow db migrate` first"
        ) from exc
    print(
        json.dumps(
            {
                "class_id": str(result.class_id),
                "created": [user.email for user in result.created],
            }
        )
    )
    return 0
