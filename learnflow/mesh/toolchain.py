"""Find or build every binary the mesh runs, once, into the LearnFlow cache.

- daprd, placement, scheduler, sentry: taken from PATH or `~/.dapr/bin` when present; otherwise
  built from the `github.com/dapr/dapr` Go module through the Go module proxy (`go install` cannot
  work: dapr's go.mod has `replace` directives), with the `stablecomponents` build tag. Sentry
  (the mTLS certificate authority) comes from the same module and build as daprd; a cache built
  before sentry was added gets only sentry built into it.
- Apache Kafka (KRaft) jars: resolved by Maven from Maven Central.
- PostgreSQL server binaries, bubblewrap and espeak-ng (the exam debrief's speech): Debian
  packages, installed with apt-get when missing.

Every step is a no-op when its artifact is cached, and says nothing then. A step that takes
minutes says what it is doing as it goes (`learnflow.mesh.build_progress`: a line per step and at
least one every 15 s), and a process waiting for another's build under the cache lock says whose
(`learnflow.mesh.cache_lock`). A missing prerequisite raises `SetupError` with one line saying
what is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from learnflow.errors import SetupError
from learnflow.mesh.build_progress import BuildReporter, format_duration, run_reported
from learnflow.mesh.build_progress import Progress as Progress
from learnflow.mesh.cache_lock import cache_lock
from learnflow.settings import REPO_ROOT

# dapr v1.18.3 needs durabletask-go v0.12.4, which the Go module proxy here refuses (403);
# v1.18.2 is the newest 1.18 patch whose whole module graph the proxy serves.
DAPR_VERSION = "1.18.2"
DAPR_MODULE = "github.com/dapr/dapr"
DAPR_BUILD_TAGS = "stablecomponents"
# Our flavour = stablecomponents + the SQLite name resolver (allcomponents-only upstream). Every
# stack on a machine resolves app ids in its own SQLite file; with mDNS, two stacks (`make up`
# and the tests') would answer each other's service invocations.
DAPR_FLAVOUR = "learnflow1"
DAPR_EXTRA_COMPONENTS = ("nameresolution_sqlite.go",)
DAPR_BINARIES = ("daprd", "placement", "scheduler", "sentry")
KAFKA_VERSION = "3.9.1"
MIN_JAVA = 17
MIN_DISK_BYTES = 2 * 1024**3


def stderr_progress(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


FRONTEND_BUILD_INPUTS = (
    "app",
    "components",
    "lib",
    "public",
    "next.config.ts",
    "proxy.ts",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
)
MIN_NODE = (20, 9)


@dataclass(frozen=True)
class Toolchain:
    dapr_bin: Path
    kafka_libs: Path
    pg_bin: Path
    bwrap: Path | None

    def dapr(self, name: str) -> Path:
        return self.dapr_bin / name


def _run(
    cmd: list[str],
    what: str,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> str:
    try:
        result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise SetupError(f"{what}: `{cmd[0]}` is not installed") from exc
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        where = f" (full output: {log})" if log else ""
        raise SetupError(f"{what} failed: {' | '.join(tail)}{where}")
    return result.stdout


def check_disk(path: Path, needed: int = MIN_DISK_BYTES) -> None:
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free
    if free < needed:
        raise SetupError(
            f"only {free // 1024**2} MiB free on the disk holding {path}; LearnFlow needs "
            f"{needed // 1024**2} MiB — free some space or point LEARNFLOW_CACHE_DIR elsewhere"
        )


# --- Dapr --------------------------------------------------------------------------------------
def _dapr_version(binary: Path) -> str:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def _existing_dapr() -> Path | None:
    candidates = []
    on_path = shutil.which("daprd")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates.append(Path.home() / ".dapr" / "bin")
    for folder in candidates:
        if all(
            (folder / name).is_file() and os.access(folder / name, os.X_OK)
            for name in DAPR_BINARIES
        ):
            return folder
    return None


def _go_version() -> tuple[int, int, int]:
    if shutil.which("go") is None:
        raise SetupError(
            "Go is not installed and no daprd was found on PATH or in ~/.dapr/bin; install Go "
            "(https://go.dev/doc/install, or `apt-get install golang`) or put daprd, placement "
            "and scheduler in ~/.dapr/bin"
        )
    out = _run(["go", "env", "GOVERSION"], "reading the Go version").strip()
    match = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", out)
    if not match:
        raise SetupError(f"cannot understand the Go version {out!r}")
    return int(match[1]), int(match[2]), int(match[3] or 0)


def go_build_reported(
    src: Path,
    packages: list[str],
    reporter: BuildReporter,
    *,
    what: str,
    output: str,
    ldflags: str,
    env: dict[str, str],
    log: Path,
    tags: str = "",
) -> None:
    """`go build -v` of `packages` in `src`, reporting package N of at most M as it compiles.

    `go list -deps` first: it downloads every module the build needs (one step of its own, with
    its `go: downloading` lines counted) and gives M, every package the build could compile
    (those the Go build cache already holds are not compiled again, hence "at most").
    """
    tag_args = ["-tags", tags] if tags else []
    reporter.begin("downloading Go modules and listing packages")
    listed = run_reported(
        ["go", "list", "-deps", *tag_args, *packages],
        "listing the packages to build",
        reporter,
        cwd=src,
        env=env,
        log=log.with_name(f"{log.stem}.list.log"),
    )
    reporter.begin(f"compiling {what}", packages=len(listed.split()), compiling=True)
    run_reported(
        ["go", "build", "-v", *tag_args, "-trimpath", "-ldflags", ldflags, "-o", output, *packages],
        f"building {what} from source",
        reporter,
        cwd=src,
        env=env,
        log=log,
    )


def dapr_root(cache_dir: Path) -> Path:
    return cache_dir / "dapr" / f"v{DAPR_VERSION}-{DAPR_FLAVOUR}"


def _missing_dapr(cache_dir: Path) -> list[str]:
    """The binaries the cached build lacks (all of them before the first build)."""
    root = dapr_root(cache_dir)
    stamp, bin_dir = root / "build.json", root / "bin"
    if not (stamp.is_file() and bin_dir.is_dir()):
        return list(DAPR_BINARIES)
    return [n for n in DAPR_BINARIES if not (bin_dir / n).is_file()]


def _build_dapr(cache_dir: Path, progress: Progress) -> Path:
    root = dapr_root(cache_dir)
    bin_dir = root / "bin"
    stamp = root / "build.json"
    built = json.loads(stamp.read_text()) if stamp.is_file() and bin_dir.is_dir() else None
    missing = _missing_dapr(cache_dir)
    if not missing:
        return bin_dir
    check_disk(cache_dir, 4 * 1024**3)
    have = _go_version()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    reporter = BuildReporter(f"dapr {DAPR_VERSION}", progress)
    reporter.begin(
        f"building {', '.join(missing)} from Go modules (tag {DAPR_BUILD_TAGS}); the first "
        "build of all four takes 6–13 minutes on 2 cores, later runs reuse it"
    )
    reporter.begin(f"downloading {DAPR_MODULE}@v{DAPR_VERSION} through the Go module proxy")
    info = json.loads(
        run_reported(
            ["go", "mod", "download", "-json", f"{DAPR_MODULE}@v{DAPR_VERSION}"],
            "downloading the dapr Go module",
            reporter,
            env=env,
        )
    )
    module_dir = Path(info["Dir"])
    go_mod = (module_dir / "go.mod").read_text()
    need = re.search(r"^go (\d+)\.(\d+)(?:\.(\d+))?", go_mod, re.M)
    if need and have < (int(need[1]), int(need[2]), int(need[3] or 0)):
        raise SetupError(
            f"dapr v{DAPR_VERSION} needs Go {need[0][3:]} or newer; this machine has Go "
            f"{'.'.join(map(str, have))} — upgrade Go"
        )
    src = root / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(module_dir, src)  # the module cache is read-only; build from a copy
    for path in [src, *src.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    _add_components(src)
    staging = root / "bin.partial"
    shutil.rmtree(staging, ignore_errors=True)
    if built is not None:  # keep what is already built; add only what is missing
        shutil.copytree(bin_dir, staging)
    staging.mkdir(parents=True, exist_ok=True)
    go_build_reported(
        src,
        [f"./cmd/{n}" for n in missing],
        reporter,
        what=", ".join(missing),
        output=str(staging) + "/",  # a folder: one binary per package
        ldflags=f"-s -w -X github.com/dapr/dapr/pkg/buildinfo.version={DAPR_VERSION}",
        env=env,
        log=root / "build.log",
        tags=DAPR_BUILD_TAGS,
    )
    shutil.rmtree(bin_dir, ignore_errors=True)
    staging.rename(bin_dir)
    shutil.rmtree(src)  # 100+ MB of sources; the Go caches keep rebuilds fast
    elapsed = reporter.elapsed()
    earlier = built or {}
    seconds = dict(earlier.get("seconds_per_build", {}))
    if "seconds" in earlier:  # a stamp from before sentry was part of the build
        seconds.setdefault("+".join(n for n in DAPR_BINARIES if n != "sentry"), earlier["seconds"])
    seconds["+".join(missing)] = round(elapsed, 1)
    stamp.write_text(
        json.dumps(
            {
                "version": DAPR_VERSION,
                "tags": DAPR_BUILD_TAGS,
                "flavour": DAPR_FLAVOUR,
                "extra_components": list(DAPR_EXTRA_COMPONENTS),
                "seconds_per_build": seconds,
                "bytes": {n: (bin_dir / n).stat().st_size for n in DAPR_BINARIES},
            },
            indent=2,
        )
    )
    progress(
        f"built {', '.join(missing)} v{DAPR_VERSION} in {format_duration(elapsed)} into {bin_dir}"
    )
    return bin_dir


def _add_components(src: Path) -> None:
    """Compile the extra components into our flavour by widening their build constraint."""
    for name in DAPR_EXTRA_COMPONENTS:
        path = src / "cmd" / "daprd" / "components" / name
        text = path.read_text()
        first, _, rest = text.partition("\n")
        if first.strip() != "//go:build allcomponents":
            raise SetupError(f"unexpected build constraint in {path.name}: {first!r}")
        path.write_text(f"//go:build allcomponents || {DAPR_BUILD_TAGS}\n{rest}")


def ensure_dapr(cache_dir: Path, progress: Progress) -> Path:
    existing = _existing_dapr()
    if existing is not None:
        return existing
    if not _missing_dapr(cache_dir):  # cached: no lock (another build may hold it), no output
        return dapr_root(cache_dir) / "bin"
    with cache_lock(cache_dir, f"dapr {DAPR_VERSION}", progress):
        return _build_dapr(cache_dir, progress)


# --- Kafka -------------------------------------------------------------------------------------
def _java_major() -> int:
    if shutil.which("java") is None:
        raise SetupError(
            f"Java is not installed; Kafka needs Java {MIN_JAVA}+ "
            "(`apt-get install openjdk-17-jre-headless`)"
        )
    out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise SetupError("cannot read the Java version from `java -version`")
    major = int(match[1])
    return int(match[2]) if major == 1 and match[2] else major


def ensure_kafka(cache_dir: Path, progress: Progress) -> Path:
    libs = cache_dir / "kafka" / KAFKA_VERSION / "libs"
    if (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        return libs
    if _java_major() < MIN_JAVA:
        raise SetupError(f"Kafka needs Java {MIN_JAVA}+; `java -version` reports an older one")
    if shutil.which("mvn") is None:
        raise SetupError(
            "Maven is not installed; it fetches Kafka's jars (`apt-get install maven`)"
        )
    with cache_lock(cache_dir, f"Kafka {KAFKA_VERSION}", progress):
        if (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
            return libs
        reporter = BuildReporter(f"Kafka {KAFKA_VERSION}", progress)
        reporter.begin("resolving its jars and their dependencies from Maven Central")
        work = libs.parent
        work.mkdir(parents=True, exist_ok=True)
        pom = work / "pom.xml"
        pom.write_text(resources.files("learnflow.mesh").joinpath("kafka-pom.xml").read_text())
        staging = work / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        run_reported(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                f"-Dkafka.version={KAFKA_VERSION}",
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            ],
            "resolving Kafka with Maven",
            reporter,
            log=work / "maven.log",
        )
        staging.rename(libs)
        progress(f"resolved Kafka {KAFKA_VERSION} in {format_duration(reporter.elapsed())}")
    return libs


# --- Debian packages ---------------------------------------------------------------------------
_apt_updated = False


def _apt_install(package: str, why: str, progress: Progress) -> None:
    global _apt_updated
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise SetupError(
            f"{why} is missing; install the Debian package `{package}` "
            f"(sudo apt-get install -y {package}) and run again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        progress("apt-get update")
        _run(["apt-get", "update", "-q"], "apt-get update", env=env)
        _apt_updated = True
    progress(f"installing {package} ({why})")
    _run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
        f"apt-get install {package}",
        env=env,
    )


def find_pg_bin() -> Path | None:
    roots = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if roots:
        return roots[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).resolve().parent / "postgres").is_file():
        return Path(on_path).resolve().parent
    return None


def ensure_postgres(progress: Progress) -> Path:
    found = find_pg_bin()
    if found is None:
        _apt_install("postgresql", "the PostgreSQL server", progress)
        found = find_pg_bin()
    if found is None:
        raise SetupError("PostgreSQL was installed but its binaries were not found")
    return found


def _ensure_command(command: str, package: str, purpose: str, progress: Progress) -> Path:
    """`command` on PATH, installing its Debian `package` first if it is missing."""
    found = shutil.which(command)
    if found is None:
        _apt_install(package, purpose, progress)
        found = shutil.which(command)
    if found is None:
        raise SetupError(f"{package} was installed but `{command}` is not on PATH")
    return Path(found)


def ensure_bwrap(progress: Progress) -> Path:
    return _ensure_command("bwrap", "bubblewrap", "bubblewrap, the code-runner's sandbox", progress)


def ensure_espeak(progress: Progress) -> Path:
    """espeak-ng, which speaks an exam debrief aloud (triage runs it on request)."""
    return _ensure_command(
        "espeak-ng", "espeak-ng", "espeak-ng, the speech engine for spoken debriefs", progress
    )


# --- the web app (Next.js) ---------------------------------------------------------------------
def _tree_hash(root: Path, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(str(file.relative_to(root)).encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_frontend(folder: Path, progress: Progress) -> Path:
    """`npm ci` when package-lock.json changed, `next build` when a source changed; else no-op."""
    env = ensure_frontend_packages(folder, progress)
    build_hash = _tree_hash(folder, FRONTEND_BUILD_INPUTS)
    build_stamp = folder / ".next" / ".learnflow-build"
    if not build_stamp.is_file() or build_stamp.read_text() != build_hash:
        reporter = BuildReporter("the web app", progress)
        reporter.begin("next build (cached until its sources change)")
        run_reported(
            [_npm(), "run", "build"],
            "building the web app",
            reporter,
            cwd=folder,
            env=env,
            log=folder / ".next-build.log",
        )
        build_stamp.write_text(build_hash)
    return folder


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("npm is missing (`apt-get install npm`)")
    return npm


def ensure_frontend_packages(folder: Path, progress: Progress) -> dict[str, str]:
    """`npm ci` when package-lock.json changed (the web app's build and `make lint` need it).

    Returns the environment the npm scripts run in.
    """
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        raise SetupError(
            "Node.js and npm are missing; the web app needs Node >= 20.9 "
            "(`apt-get install nodejs npm`)"
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)\.(\d+)", version.stdout.strip())
    if not match or (int(match[1]), int(match[2])) < MIN_NODE:
        raise SetupError(f"the web app needs Node >= 20.9; found {version.stdout.strip()!r}")
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    lock_hash = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    lock_stamp = folder / "node_modules" / ".learnflow-lock"
    if not lock_stamp.is_file() or lock_stamp.read_text() != lock_hash:
        reporter = BuildReporter("the web app", progress)
        reporter.begin("installing its npm packages (npm ci; cached after)")
        run_reported(
            [npm, "ci", "--no-audit", "--no-fund"],
            "npm ci",
            reporter,
            cwd=folder,
            env=env,
            log=folder / "node_modules.log",
        )
        lock_stamp.write_text(lock_hash)
    return env


def ensure_chromium(progress: Progress) -> Path:
    """Debian's Chromium, for the browser tests (never a downloaded browser build)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    )
    if found is None:
        _apt_install("chromium", "Chromium, for the browser tests", progress)
        found = shutil.which("chromium")
    if found is None:
        raise SetupError("chromium was installed but is not on PATH")
    return Path(found)


def ensure_toolchain(
    cache_dir: Path, progress: Progress = stderr_progress, *, browser: bool = False
) -> Toolchain:
    """Everything `make up`/`make test` need; seconds when cached."""
    check_disk(cache_dir, 512 * 1024**2)
    pg_bin = ensure_postgres(progress)
    bwrap = ensure_bwrap(progress)
    ensure_espeak(progress)
    kafka_libs = ensure_kafka(cache_dir, progress)
    dapr_bin = ensure_dapr(cache_dir, progress)
    ensure_frontend(REPO_ROOT / "frontend", progress)
    if browser:
        ensure_chromium(progress)
    return Toolchain(dapr_bin=dapr_bin, kafka_libs=kafka_libs, pg_bin=pg_bin, bwrap=bwrap)
