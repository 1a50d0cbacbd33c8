"""Build a real Kubernetes API server (kube-apiserver + etcd) from Go modules, once, into the cache.

`k8s/` is checked by the API server a cluster would run, not only by JSON schemas. No kubelet or
container engine runs here, so the check is the control plane alone: etcd and kube-apiserver on
loopback (`learnflow.deploy.local_apiserver`), and every manifest server-side applied with
dry-run, after the Dapr and Kong CRDs (`learnflow.deploy.crds`).

Both binaries come through the Go module proxy like daprd (`learnflow.mesh.toolchain`):

- `k8s.io/kubernetes` v1.X.Y: its go.mod requires the `k8s.io/*` staging modules at v0.0.0 and
  replaces them with `./staging/...`, which the module zip leaves out. We build from a copy whose
  go.mod drops those replaces and requires the published modules at the matching v0.X.Y, with
  `GOWORK=off`; the version is stamped through `-ldflags -X`, as the upstream Makefile does.
- `go.etcd.io/etcd/server/v3`: the same trap with `../api`, `../client/...` replaces; its own
  requirements already name the published modules at the same version.

Cached under `<cache>/k8s/v<kubernetes>-etcd<etcd>/bin` with a `build.json` stamp; every step is a
no-op when cached and runs under the cache's lock, so parallel `make test`s build once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from learnflow.errors import SetupError
from learnflow.mesh.build_progress import BuildReporter, format_duration, run_reported
from learnflow.mesh.cache_lock import cache_lock
from learnflow.mesh.toolchain import (
    Progress,
    _go_version,
    _run,
    check_disk,
    go_build_reported,
)

KUBERNETES_VERSION = "1.34.4"
# The etcd line Kubernetes 1.34 is tested with (its go.mod requires etcd client v3.6.4); 3.6.7 is
# a later patch of it.
ETCD_VERSION = "3.6.7"
KUBERNETES_MODULE = "k8s.io/kubernetes"
ETCD_MODULE = "go.etcd.io/etcd/server/v3"


@dataclass(frozen=True)
class KubeBinaries:
    kube_apiserver: Path
    etcd: Path

    @property
    def kubernetes_version(self) -> str:
        return KUBERNETES_VERSION


def kube_root(cache_dir: Path) -> Path:
    return cache_dir / "k8s" / f"v{KUBERNETES_VERSION}-etcd{ETCD_VERSION}"


def cached_kube(cache_dir: Path) -> KubeBinaries | None:
    """The cached binaries, or None when they still have to be built."""
    bin_dir = kube_root(cache_dir) / "bin"
    found = KubeBinaries(bin_dir / "kube-apiserver", bin_dir / "etcd")
    if (kube_root(cache_dir) / "build.json").is_file() and all(
        p.is_file() and os.access(p, os.X_OK) for p in (found.kube_apiserver, found.etcd)
    ):
        return found
    return None


def _module_copy(
    module: str, version: str, dest: Path, env: dict[str, str], reporter: BuildReporter
) -> Path:
    reporter.begin(f"downloading {module}@v{version} through the Go module proxy")
    info = json.loads(
        run_reported(
            ["go", "mod", "download", "-json", f"{module}@v{version}"],
            f"downloading {module}@v{version} through the Go module proxy",
            reporter,
            env=env,
        )
    )
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(info["Dir"], dest)  # the module cache is read-only; build from a copy
    for path in [dest, *dest.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    return dest


def _check_go(src: Path) -> None:
    need = re.search(r"^go (\d+)\.(\d+)(?:\.(\d+))?", (src / "go.mod").read_text(), re.M)
    have = _go_version()
    if need and have < (int(need[1]), int(need[2]), int(need[3] or 0)):
        raise SetupError(
            f"{src.name} needs Go {need[0][3:]} or newer; this machine has Go "
            f"{'.'.join(map(str, have))} — upgrade Go"
        )


def drop_local_replaces(
    src: Path, env: dict[str, str], *, staging_version: str | None
) -> list[str]:
    """Remove go.mod's replaces that point inside the repository (absent from the module zip).

    A module required at the placeholder v0.0.0 (Kubernetes' staging modules) is required at
    `staging_version` instead, the published release cut from the same tree. Returns the modules
    whose replace was dropped.
    """
    spec = json.loads(_run(["go", "mod", "edit", "-json"], "reading go.mod", cwd=src, env=env))
    required = {r["Path"]: r["Version"] for r in spec.get("Require") or []}
    dropped: list[str] = []
    edits: list[str] = []
    for rep in spec.get("Replace") or []:
        if not rep["New"]["Path"].startswith((".", "/")):
            continue
        old = rep["Old"]["Path"]
        edits.append(f"-dropreplace={old}")
        dropped.append(old)
        if required.get(old) == "v0.0.0":
            if staging_version is None:
                raise SetupError(f"{src.name}: {old} is required at v0.0.0 with no release to use")
            edits.append(f"-require={old}@{staging_version}")
    if edits:
        _run(["go", "mod", "edit", *edits], "rewriting go.mod", cwd=src, env=env)
    return dropped


def _build(
    module: str,
    version: str,
    package: str,
    output: Path,
    root: Path,
    *,
    staging_version: str | None,
    ldflags: str,
    env: dict[str, str],
    reporter: BuildReporter,
) -> None:
    src = _module_copy(module, version, root / "src", env, reporter)
    _check_go(src)
    drop_local_replaces(src, env, staging_version=staging_version)
    go_build_reported(
        src,
        [package],
        reporter,
        what=f"{output.name} ({module}@v{version})",
        output=str(output),
        ldflags=ldflags,
        env=env,
        log=root / f"build-{output.name}.log",
    )
    shutil.rmtree(src)  # hundreds of MB of sources; the Go caches keep rebuilds fast


def ensure_kube(cache_dir: Path, progress: Progress) -> KubeBinaries:
    """kube-apiserver and etcd, built once per version (cold: ~10 min on 2 busy cores)."""
    found = cached_kube(cache_dir)
    if found is not None:
        return found
    with cache_lock(cache_dir, f"kube-apiserver {KUBERNETES_VERSION}", progress):
        found = cached_kube(cache_dir)
        if found is not None:
            return found
        return _build_kube(cache_dir, progress)


def _build_kube(cache_dir: Path, progress: Progress) -> KubeBinaries:
    root = kube_root(cache_dir)
    check_disk(cache_dir, 6 * 1024**3)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / "bin.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    seconds: dict[str, float] = {}

    etcd = BuildReporter(f"etcd {ETCD_VERSION}", progress)
    etcd.begin(f"building from {ETCD_MODULE} (first time only: about 1–2 minutes)")
    _build(
        ETCD_MODULE,
        ETCD_VERSION,
        ".",
        staging / "etcd",
        root,
        staging_version=None,
        ldflags="-s -w",
        env=env,
        reporter=etcd,
    )
    seconds["etcd"] = round(etcd.elapsed(), 1)

    apiserver = BuildReporter(f"kube-apiserver {KUBERNETES_VERSION}", progress)
    apiserver.begin(
        f"building from {KUBERNETES_MODULE} (first time only: about 10 minutes on 2 cores; "
        "later runs reuse it)"
    )
    minor = KUBERNETES_VERSION.split(".")
    stamp = "k8s.io/component-base/version"
    ldflags = (
        f"-s -w -X {stamp}.gitVersion=v{KUBERNETES_VERSION} -X {stamp}.gitMajor={minor[0]} "
        f"-X {stamp}.gitMinor={minor[1]} -X {stamp}.gitTreeState=clean"
    )
    _build(
        KUBERNETES_MODULE,
        KUBERNETES_VERSION,
        "./cmd/kube-apiserver",
        staging / "kube-apiserver",
        root,
        staging_version=f"v0.{minor[1]}.{minor[2]}",
        ldflags=ldflags,
        env=env,
        reporter=apiserver,
    )
    seconds["kube-apiserver"] = round(apiserver.elapsed(), 1)

    bin_dir = root / "bin"
    shutil.rmtree(bin_dir, ignore_errors=True)
    staging.rename(bin_dir)
    (root / "build.json").write_text(
        json.dumps(
            {
                "kubernetes": KUBERNETES_VERSION,
                "etcd": ETCD_VERSION,
                "seconds_per_build": seconds,
                "bytes": {p.name: p.stat().st_size for p in bin_dir.iterdir()},
            },
            indent=2,
        )
    )
    progress(
        f"built kube-apiserver v{KUBERNETES_VERSION} and etcd v{ETCD_VERSION} in "
        f"{format_duration(sum(seconds.values()))} into {bin_dir}"
    )
    found = cached_kube(cache_dir)
    assert found is not None
    return found
