"""`learnflow bootstrap | up | down | status`: set up and run the mesh on this machine."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from learnflow.mesh.stack import Stack, print_backlog, print_dead_letters, print_rows
from learnflow.mesh.toolchain import ensure_frontend_packages, ensure_toolchain, stderr_progress
from learnflow.settings import REPO_ROOT, get_settings


def _bootstrap(args: argparse.Namespace) -> int:
    started = time.monotonic()
    cache_dir = get_settings().cache_dir
    if args.web_packages_only:
        ensure_frontend_packages(REPO_ROOT / "frontend", stderr_progress)
        return 0
    tools = ensure_toolchain(cache_dir, stderr_progress, browser=args.with_browser)
    found = {k: str(v) for k, v in tools.__dict__.items()}
    if args.with_kube:
        from learnflow.deploy.kube_toolchain import ensure_kube

        kube = ensure_kube(cache_dir, stderr_progress)
        found |= {"kube_apiserver": str(kube.kube_apiserver), "etcd": str(kube.etcd)}
    if args.with_model or get_settings().llm == "local":
        from learnflow.mesh.model_server import ensure_model_server

        server = ensure_model_server(cache_dir, stderr_progress)
        found |= {"model_server_python": str(server.python), "model": str(server.model)}
    stderr_progress(f"toolchain ready in {time.monotonic() - started:.1f} s")
    print(json.dumps(found, indent=2))
    return 0


def _up(_: argparse.Namespace) -> int:
    started = time.monotonic()
    stack = Stack(get_settings(), stderr_progress)
    stack.up()
    print(f"LearnFlow is up ({time.monotonic() - started:.1f} s).")
    for name, where in stack.endpoints().items():
        print(f"  {name:<40} {where}")
    print("Stop it with `make down`; see every process with `make status`.")
    return 0


def _down(_: argparse.Namespace) -> int:
    stopped = Stack(get_settings(), stderr_progress).down()
    print(f"LearnFlow is down ({stopped} processes stopped).")
    return 0


def _status(args: argparse.Namespace) -> int:
    stack = Stack(get_settings(), stderr_progress)
    rows = stack.status()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_rows(rows)
        print_backlog(stack.outbox_backlog())
        print_dead_letters(stack.dead_letter_counts())
    return 0 if all(r["healthy"] for r in rows) else 1


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("bootstrap", help="install/build what the mesh needs (cached)")
    p.add_argument(
        "--with-browser", action="store_true", help="also Chromium, for the browser tests"
    )
    p.add_argument(
        "--with-kube",
        action="store_true",
        help="also kube-apiserver and etcd (built from Go modules), for the deploy tests",
    )
    p.add_argument(
        "--with-model",
        action="store_true",
        help="also the local model server (llama-cpp-python built from its sdist) and its "
        "model, for the real-model tests (LEARNFLOW_LLM=local implies it)",
    )
    p.add_argument(
        "--web-packages-only",
        action="store_true",
        help="only the web app's npm packages (what `make lint` needs for ESLint and tsc)",
    )
    p.set_defaults(func=_bootstrap)
    p = subparsers.add_parser("up", help="start the whole mesh in the background")
    p.set_defaults(func=_up)
    p = subparsers.add_parser("down", help="stop every process of the mesh")
    p.set_defaults(func=_down)
    p = subparsers.add_parser("status", help="show each process and its health")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)
