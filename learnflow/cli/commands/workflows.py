"""`learnflow workflows list | inspect | terminate | purge | alerts`: operate durable workflows.

They talk to the workflow engine in triage's daprd (the app that hosts the workflows) of the
stack in `LEARNFLOW_RUN_DIR` / `LEARNFLOW_PORT_OFFSET` (default: the `make up` stack).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from learnflow.db.pool import connect
from learnflow.errors import ConfigurationError
from learnflow.mesh import services
from learnflow.mesh.topology import PUBLIC_APP, topology
from learnflow.settings import Settings, get_settings
from learnflow.workflows import store
from learnflow.workflows.client import Instance
from learnflow.workflows.ops import Target, WorkflowAdmin

KINDS = {"session": "session-", "publish": "publish-"}


def _secrets(settings: Settings) -> services.RunSecrets | None:
    if not (settings.run_dir / "secrets.json").is_file():
        return None
    return services.RunSecrets.load_or_create(settings.run_dir)


def _target(settings: Settings) -> Target:
    spec = topology(settings).app(PUBLIC_APP)
    run_secrets = _secrets(settings)
    token = settings.dapr_api_token.get_secret_value() if settings.dapr_api_token else None
    if run_secrets is not None:
        token = run_secrets.dapr_token(PUBLIC_APP)
    return Target(host="127.0.0.1", grpc_port=spec.dapr_grpc_port, api_token=token)


def _conninfo(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    run_secrets = _secrets(settings)
    if run_secrets is None:
        raise ConfigurationError(
            f"no stack in {settings.run_dir} and LEARNFLOW_DATABASE_URL is not set: start one "
            "with `learnflow up`, or point LEARNFLOW_RUN_DIR at its run dir"
        )
    return services.app_conninfo(topology(settings), run_secrets)


def _row(instance: Instance) -> dict[str, Any]:
    status = instance.custom_status if isinstance(instance.custom_status, dict) else {}
    return {
        "instance_id": instance.instance_id,
        "workflow": instance.name,
        "status": instance.runtime_status,
        "phase": status.get("phase") or status.get("step"),
        "created_at": instance.created_at.isoformat() if instance.created_at else None,
        "updated_at": instance.last_updated_at.isoformat() if instance.last_updated_at else None,
        "failure": instance.failure,
    }


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        print(
            f"{row['instance_id']:<60} {row['workflow']:<17} {row['status']:<10} "
            f"{row['phase'] or '-':<12} {row['updated_at'] or '-'}"
            + (f"\n    failure: {row['failure']}" if row.get("failure") else "")
        )


def _list(args: argparse.Namespace) -> int:
    with WorkflowAdmin(_target(get_settings())) as admin:
        found = admin.list_instances(status=args.status, prefix=KINDS.get(args.kind or ""))
    rows = [_row(i) for i in found[: args.limit]]
    if not rows and not args.json:
        print("no workflow instances match", file=sys.stderr)
        return 0
    _print(rows, args.json)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    with WorkflowAdmin(_target(get_settings())) as admin:
        instance = admin.get(args.instance_id)
        body: dict[str, Any] = {
            **asdict(instance),
            "created_at": str(instance.created_at),
            "last_updated_at": str(instance.last_updated_at),
        }
        if args.history:
            body["history"] = admin.history(args.instance_id)
    print(json.dumps(body, indent=2, default=str))
    return 0


def _terminate(args: argparse.Namespace) -> int:
    with WorkflowAdmin(_target(get_settings())) as admin:
        admin.terminate(args.instance_id, reason=args.reason)
    print(f"terminated {args.instance_id}")
    return 0


def _purge(args: argparse.Namespace) -> int:
    with WorkflowAdmin(_target(get_settings())) as admin:
        if args.instance_id:
            admin.purge(args.instance_id)
            print(f"purged {args.instance_id}")
            return 0
        finished = [
            i
            for status in ("COMPLETED", "FAILED", "TERMINATED")
            for i in admin.list_instances(status=status, prefix=KINDS.get(args.kind or ""))
        ]
        for instance in finished:
            admin.purge(instance.instance_id)
    print(f"purged {len(finished)} finished instance(s)")
    return 0


async def _read_alerts(conninfo: str, open_only: bool, limit: int) -> list[store.OpsAlert]:
    conn = await connect(conninfo)
    async with conn:
        return await store.list_ops_alerts(conn, open_only=open_only, limit=limit)


def _alerts(args: argparse.Namespace) -> int:
    rows = asyncio.run(_read_alerts(_conninfo(get_settings()), not args.all, args.limit))
    if args.json:
        print(json.dumps([row.model_dump() for row in rows], indent=2, default=str))
        return 0
    for row in rows:
        print(
            f"{row.created_at:%Y-%m-%d %H:%M:%S} {row.status:<8} {row.workflow:<17} "
            f"{row.instance_id} step={row.step}\n    {row.message}"
        )
    if not rows:
        print("no open workflow alerts", file=sys.stderr)
    return 1 if rows and not args.all else 0


def register(subparsers: Any) -> None:
    wf = subparsers.add_parser("workflows", help="list, inspect, terminate and purge workflows")
    actions = wf.add_subparsers(dest="workflows_command", metavar="ACTION", required=True)

    p = actions.add_parser("list", help="instances, newest first")
    p.add_argument("--status", choices=["running", "completed", "failed", "terminated", "pending"])
    p.add_argument("--kind", choices=sorted(KINDS), help="only sessions or publications")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_list)

    p = actions.add_parser("inspect", help="one instance: status, custom status, output, failure")
    p.add_argument("instance_id", help="e.g. session-<session id> or publish-<exercise id>")
    p.add_argument("--history", action="store_true", help="also its history events")
    p.set_defaults(func=_inspect)

    p = actions.add_parser("terminate", help="stop a running instance (no compensation runs)")
    p.add_argument("instance_id")
    p.add_argument("--reason", default="terminated by an operator")
    p.set_defaults(func=_terminate)

    p = actions.add_parser("purge", help="delete finished instances' state")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("instance_id", nargs="?")
    target.add_argument("--finished", action="store_true", help="every finished instance")
    p.add_argument("--kind", choices=sorted(KINDS), help="with --finished: only this kind")
    p.set_defaults(func=_purge)

    p = actions.add_parser(
        "alerts",
        help="workflow steps that failed for good (ops alerts); exits 1 while any is open",
    )
    p.add_argument("--all", action="store_true", help="resolved ones too")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_alerts)
