"""`learnflow deploy`: render k8s/ and server-side apply it, with the `kubernetes` client.

- `learnflow deploy --dry-run`: builds (once, cached) and starts a throw-away etcd +
  kube-apiserver on loopback, installs the Dapr CRDs from the dapr module, and dry-runs every
  object and every workload's pod (Pod Security enforced). Exit code 1 when the server refuses
  anything, with its message.
- `learnflow deploy --kubeconfig FILE [--dry-run]`: the same against your cluster; CRDs are
  installed only from the files given with `--crds` (a cluster gets Dapr's from its Dapr install).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from learnflow.errors import SetupError
from learnflow.mesh.toolchain import stderr_progress
from learnflow.settings import REPO_ROOT, get_settings


def _deploy(args: argparse.Namespace) -> int:
    from kubernetes import config

    from learnflow.deploy.apply import Verdict, check_manifests
    from learnflow.deploy.crds import load_crds, project_crds
    from learnflow.deploy.kustomize import render

    docs = render(Path(args.dir))
    extra_crds = load_crds([Path(p) for p in args.crds])
    started = time.monotonic()
    verdicts: list[Verdict]
    if args.kubeconfig:
        api = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=args.kubeconfig, context=args.context
        )
        if not args.dry_run:
            stderr_progress("applying for real (server-side apply, field manager `learnflow`)")
        verdicts = check_manifests(api, docs, extra_crds, prepare=False, dry_run=args.dry_run)
    else:
        if not args.dry_run:
            raise SetupError(
                "without --kubeconfig, deploy runs against a throw-away local API server: "
                "pass --dry-run (or --kubeconfig FILE to deploy to a cluster)"
            )
        from learnflow.deploy.kube_toolchain import ensure_kube
        from learnflow.deploy.local_apiserver import start_local_apiserver
        from learnflow.mesh.topology import topology

        settings = get_settings()
        binaries = ensure_kube(settings.cache_dir, stderr_progress)
        port = topology(settings).kube_apiserver_port
        with start_local_apiserver(binaries, port, stderr_progress) as server:
            api = config.new_client_from_config_dict(server.kubeconfig())  # type: ignore[no-untyped-call]
            verdicts = check_manifests(api, docs, [*project_crds(), *extra_crds], prepare=True)
    refused = [v for v in verdicts if v.error]
    if args.json:
        print(json.dumps([v.__dict__ for v in verdicts], indent=2))
    else:
        for v in verdicts:
            print(
                f"{'ok     ' if v.error is None else 'REFUSED'} {v.label}"
                + (f": {v.error}" if v.error else "")
            )
    print(
        f"{len(verdicts) - len(refused)} accepted, {len(refused)} refused "
        f"({'dry run' if args.dry_run else 'applied'}, {time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    if any(v.error and v.error.startswith("the API server has no resource") for v in refused):
        print(
            "some kinds have no CRD on this server: pass their CustomResourceDefinition files "
            "with --crds (Kong's come with Kong Ingress Controller)",
            file=sys.stderr,
        )
    return 1 if refused else 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "deploy", help="server-side apply k8s/ (--dry-run: against a local kube-apiserver)"
    )
    p.add_argument("--dry-run", action="store_true", help="validate and admit, store nothing")
    p.add_argument("--kubeconfig", help="deploy to this cluster instead of a local API server")
    p.add_argument("--context", help="the kubeconfig context to use")
    p.add_argument(
        "--crds", nargs="*", default=[], metavar="FILE", help="CRD files to install first"
    )
    p.add_argument("--dir", default=str(REPO_ROOT / "k8s"), help="the kustomization folder")
    p.add_argument("--json", action="store_true", help="machine-readable verdicts")
    p.set_defaults(func=_deploy)
