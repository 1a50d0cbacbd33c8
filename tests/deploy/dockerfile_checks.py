"""A small Dockerfile reader and the rules our images follow.

No Docker engine is needed: the Dockerfile is parsed (instructions, continuation lines, stages),
build arguments and ENV values are substituted where Docker substitutes them, and the result is
checked against the repository (COPY sources exist and are not excluded by .dockerignore; the
ASGI app the server is told to serve exists).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.deploy_common import App

PINNED_BASE = re.compile(r"^[^:@\s]+(:[0-9]+\.[0-9]+\.[0-9]+[-\w.]*|@sha256:[0-9a-f]{64})$")
SECRET_NAME = re.compile(r"(?i)(password|passwd|secret|token|api_?key|private_?key|credential)")
ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})
# Instructions whose arguments Docker expands $VAR / ${VAR} in (RUN, CMD, ENTRYPOINT and
# HEALTHCHECK are left to the shell at run time, or not expanded at all in exec form).
EXPANDED = frozenset(
    {"ADD", "ARG", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME"}
    | {"WORKDIR"}
)
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# uvicorn's options that take a value (the rest used here are flags); the first other word is
# the app. Options it is not given it reads from UVICORN_<OPTION>, the app from UVICORN_APP.
UVICORN_VALUE_OPTIONS = frozenset(
    {"--host", "--port", "--app-dir", "--workers", "--log-level", "--root-path", "--uds", "--fd"}
    | {"--env-file", "--log-config", "--forwarded-allow-ips"}
)
UVICORN_DEFAULT_PORT = "8000"
# Files in a service folder that are about building or reading it, not used at run time.
NOT_PACKAGE_DATA = frozenset({"Dockerfile", "README.md", "AGENTS.md"})


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1])
            continue
        buffer.append(stripped)
        joined = " ".join(part.strip() for part in buffer if part.strip())
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = []
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def _assignments(args: str) -> list[tuple[str, str | None]]:
    """`NAME=value ...` (or the old `NAME value` form) of an ARG or ENV; None: no default."""
    words = shlex.split(args)
    if len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, eq, value = word.partition("=")
        pairs.append((name, value if eq else None))
    return pairs


def _substitute(text: str, values: dict[str, str]) -> str:
    """$NAME and ${NAME} replaced by known values; unknown ones (the base image's) kept."""
    return VARIABLE.sub(lambda m: values.get(m[1] or m[2], m[0]), text)


def expand(instructions: list[Instruction], build_args: dict[str, str]) -> list[Instruction]:
    """The instructions as Docker sees them for these build arguments.

    ARG before the first FROM is global (seen by FROM lines); ARG and ENV inside a stage hold
    from there to the stage's end; an ARG takes the build argument of its name, else its
    default (or, without one, the global ARG's value)."""
    result: list[Instruction] = []
    global_args: dict[str, str] = {}
    scope: dict[str, str] | None = None
    for ins in instructions:
        if ins.keyword == "FROM":
            scope = {}
            args = _substitute(ins.args, global_args)
        elif ins.keyword in EXPANDED:
            args = _substitute(ins.args, global_args if scope is None else scope)
        else:
            args = ins.args
        target = global_args if scope is None else scope
        if ins.keyword == "ARG":
            for name, default in _assignments(args):
                fallback = default if default is not None else global_args.get(name, "")
                target[name] = build_args.get(name, fallback)
        elif ins.keyword == "ENV" and scope is not None:
            target.update((name, value or "") for name, value in _assignments(args))
        result.append(Instruction(ins.keyword, args, ins.line))
    return result


def arg_defaults(instructions: list[Instruction]) -> dict[str, str | None]:
    """Every ARG's default as written (None: declared without one); a later ARG of the same
    name wins."""
    return {
        name: default
        for ins in instructions
        if ins.keyword == "ARG"
        for name, default in _assignments(ins.args)
    }


def declared_args(instructions: list[Instruction]) -> set[str]:
    return {
        name for ins in instructions if ins.keyword == "ARG" for name, _ in _assignments(ins.args)
    }


def stage_env(stage: list[Instruction]) -> dict[str, str]:
    """The environment a stage's ENV instructions set (already expanded)."""
    env: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            env.update((name, value or "") for name, value in _assignments(ins.args))
    return env


def exec_form(args: str) -> list[str] | None:
    """An instruction's JSON-array (exec) form, or None for the shell form."""
    if args.startswith("["):
        try:
            loaded = json.loads(args)
        except json.JSONDecodeError:
            return None
        if isinstance(loaded, list) and all(isinstance(a, str) for a in loaded):
            return loaded
    return None


# --- .dockerignore -------------------------------------------------------------------------------
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            out += pattern[i : end + 1] if end > 0 else re.escape(pattern[i])
            i = end + 1 if end > 0 else i + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "$")


def dockerignore_rules(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line.lstrip("!").strip().lstrip("/").rstrip("/")
            rules.append((negate, _pattern_regex(pattern)))
    return rules


def ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's semantics: the last matching rule wins; a matching parent excludes children."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(c) for c in candidates):
            excluded = not negate
    return excluded


# --- the rules -----------------------------------------------------------------------------------
def check_dockerfile(
    path: Path,
    repo_root: Path,
    app: App | None = None,
    build_args: dict[str, str] | None = None,
    health_path: str = "/healthz",
) -> list[str]:
    """The rules, for the image these build arguments make (none: the ARG defaults).
    `health_path`: what the HEALTHCHECK must probe (our apps' /healthz; a server we do not
    write answers on its own route)."""
    text = path.read_text(encoding="utf-8")
    parsed = parse(text)
    instructions = expand(parsed, build_args or {})
    all_stages = stages(instructions)
    problems: list[str] = [
        f"build argument {name} is not declared by an ARG (a typo?)"
        for name in sorted(set(build_args or {}) - declared_args(parsed))
    ]
    if not all_stages:
        return [*problems, f"{path}: no FROM"]
    rules = dockerignore_rules(repo_root / ".dockerignore")
    aliases: set[str] = set()
    for stage in all_stages:
        words = stage[0].args.split()
        words = [w for w in words if not w.startswith("--platform")]
        image = words[0] if words else ""
        if image.lower() not in aliases and not PINNED_BASE.match(image):
            problems.append(
                f"line {stage[0].line}: FROM {image!r} must pin a full version (x.y.z) or digest"
            )
        if len(words) >= 3 and words[1].upper() == "AS":
            aliases.add(words[2].lower())
    for ins in instructions:
        if ins.keyword == "ADD":
            problems.append(f"line {ins.line}: use COPY, not ADD")
        if ins.keyword in {"ENV", "ARG"}:
            for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", ins.args):
                if SECRET_NAME.search(name) and value:
                    problems.append(f"line {ins.line}: {ins.keyword} {name} bakes in a secret")
        if ins.keyword == "COPY":
            problems += _check_copy(ins, repo_root, rules)
    final = all_stages[-1]
    users = [i for i in final if i.keyword == "USER"]
    if not users:
        problems.append("the final stage has no USER (it would run as root)")
    elif users[-1].args.strip() in ROOT_USERS:
        problems.append(f"line {users[-1].line}: the final USER is root")
    health = [i for i in final if i.keyword == "HEALTHCHECK"]
    if not health or health[-1].args.strip().upper() == "NONE":
        problems.append("the final stage has no HEALTHCHECK")
    elif health_path not in health[-1].args:
        problems.append(f"line {health[-1].line}: HEALTHCHECK must probe {health_path}")
    if app is not None:
        problems += _check_app(final, app)
    return problems


def _check_copy(
    ins: Instruction, repo_root: Path, rules: list[tuple[bool, re.Pattern[str]]]
) -> list[str]:
    words = exec_form(ins.args) or shlex.split(ins.args)
    if any(w.startswith("--from") for w in words):
        return []
    sources = [w for w in words if not w.startswith("--")][:-1]
    if not sources:
        return [f"line {ins.line}: COPY needs a source and a destination"]
    problems = []
    matched = 0
    for source in sources:
        source = source.lstrip("/").rstrip("/") or "."
        if any(ch in source for ch in "*?["):
            hits = [p for p in repo_root.glob(source)]
            visible = [p for p in hits if not ignored(p.relative_to(repo_root).as_posix(), rules)]
            matched += len(visible)
            continue
        if not (repo_root / source).exists():
            problems.append(f"line {ins.line}: COPY source {source!r} does not exist in the repo")
        elif source != "." and ignored(source, rules):
            problems.append(f"line {ins.line}: COPY source {source!r} is excluded by .dockerignore")
        else:
            matched += 1
    if not matched and not problems:
        problems.append(f"line {ins.line}: COPY {' '.join(sources)} matches nothing")
    return problems


def _check_app(final: list[Instruction], app: App) -> list[str]:
    problems = []
    env = stage_env(final)
    exposed = {w.split("/")[0] for i in final if i.keyword == "EXPOSE" for w in i.args.split()}
    if str(app.port) not in exposed:
        problems.append(f"EXPOSE {app.port} is missing (app {app.app_id})")
    health = next((i for i in reversed(final) if i.keyword == "HEALTHCHECK"), None)
    if health is not None and f":{app.port}/healthz" not in _probe(health.args, env):
        problems.append(f"HEALTHCHECK must probe port {app.port}")
    cmd = next((i for i in reversed(final) if i.keyword in {"CMD", "ENTRYPOINT"}), None)
    argv = exec_form(cmd.args) if cmd else None
    if argv is None:
        problems.append("CMD must be in exec form (JSON array), so signals reach the server")
    else:
        served = served_by_uvicorn(argv, env)
        if served != (app.asgi, str(app.port)):
            problems.append(f"CMD {argv} must serve {app.asgi} on port {app.port}, not {served}")
    if env.get("LEARNFLOW_APP_ID") != app.app_id:
        problems.append(f"ENV LEARNFLOW_APP_ID={app.app_id} is missing")
    return problems


def _probe(args: str, env: dict[str, str]) -> str:
    """A HEALTHCHECK's text with `' + os.environ['NAME'] + '` (a port read at run time, between
    two string literals of a `python -c` probe) replaced by the image's value for NAME."""
    for name, value in env.items():
        args = args.replace(f"' + os.environ['{name}'] + '", value)
    return args


def served_by_uvicorn(argv: list[str], env: dict[str, str]) -> tuple[str, str] | None:
    """(ASGI app, port) a `uvicorn ...` command line serves in this environment; None if the
    command is not uvicorn or names no app."""
    if not argv or argv[0] != "uvicorn":
        return None
    options: dict[str, str] = {}
    positional: list[str] = []
    words = iter(argv[1:])
    for word in words:
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if not eq and name in UVICORN_VALUE_OPTIONS:
                value = next(words, "")
            options[name] = value
        else:
            positional.append(word)
    asgi = positional[0] if positional else env.get("UVICORN_APP")
    port = options.get("--port") or env.get("UVICORN_PORT") or UVICORN_DEFAULT_PORT
    return None if asgi is None else (asgi, port)


def check_asgi_app(asgi: str, repo_root: Path, pkg: Packaging) -> list[str]:
    """`package.module:attribute` names a module that `pip install .` ships and that assigns
    the attribute at module level (read, not imported)."""
    module, _, attribute = asgi.partition(":")
    package, _, _ = module.rpartition(".")
    if package not in pkg.packages:
        return [f"{asgi}: package {package!r} is not shipped"]
    folder = repo_root / _package_folder(pkg, package)
    source = folder / f"{module.rpartition('.')[2]}.py"
    if not source.is_file():
        return [f"{asgi}: {source.relative_to(repo_root)} does not exist"]
    tree = ast.parse(source.read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    if attribute not in assigned:
        return [f"{asgi}: {source.relative_to(repo_root)} assigns no {attribute!r}"]
    return []


def stage_named(instructions: list[Instruction], name: str) -> list[Instruction]:
    for stage in stages(instructions):
        words = stage[0].args.split()
        if len(words) >= 3 and words[-2].upper() == "AS" and words[-1].lower() == name.lower():
            return stage
    return []


def check_same_stage(paths: list[Path], name: str) -> list[str]:
    """The stage called `name` has the same instructions (comments aside) in every file."""
    parsed = {
        p: [(i.keyword, i.args) for i in stage_named(parse(p.read_text(encoding="utf-8")), name)]
        for p in paths
    }
    first = paths[0]
    problems = [f"{p} has no stage {name!r}" for p in paths if not parsed[p]]
    problems += [
        f"{p} differs from {first} in stage {name!r}"
        for p in paths[1:]
        if parsed[p] and parsed[p] != parsed[first]
    ]
    return problems


# --- what `pip install .` ships ------------------------------------------------------------
@dataclass(frozen=True)
class Packaging:
    packages: frozenset[str]
    package_dir: dict[str, str]  # package -> folder, relative to the repository root
    package_data: dict[str, list[str]]
    build_inputs: tuple[str, ...]  # files pip reads to build (pyproject.toml, setup.py, ...)


def packaging(repo_root: Path) -> Packaging:
    """What setuptools itself would build from the repository (setup.py and/or pyproject.toml),
    read the way `pip install .` reads it, without building anything."""
    from setuptools._distutils.core import run_setup

    build_inputs = tuple(
        name
        for name in ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in")
        if (repo_root / name).is_file()
    )
    cwd = os.getcwd()
    stub = None
    try:
        os.chdir(repo_root)
        script = repo_root / "setup.py"
        if not script.is_file():  # pyproject.toml only: an empty setup() reads it
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
                handle.write("from setuptools import setup\nsetup()\n")
            stub = Path(handle.name)
            script = stub
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dist = run_setup(str(script), stop_after="config")
    finally:
        os.chdir(cwd)
        if stub is not None:
            stub.unlink()
    return Packaging(
        packages=frozenset(dist.packages or ()),
        package_dir=dict(dist.package_dir or {}),
        package_data={k: list(v) for k, v in (dist.package_data or {}).items()},
        build_inputs=build_inputs,
    )


def _package_folder(pkg: Packaging, package: str) -> str:
    """The folder of a dotted package under setuptools' package_dir mapping."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        mapped = pkg.package_dir.get(".".join(parts[:n]))
        if mapped is not None:
            return "/".join([mapped, *parts[n:]])
    root = pkg.package_dir.get("", "")
    return "/".join(p for p in (root, *parts) if p)


def check_packaging(repo_root: Path, pkg: Packaging) -> list[str]:
    """Every importable package and data file under the shipped packages' folders is in the
    wheel. The images install with `pip install .` (not editable): anything left out is
    missing at run time."""
    problems: list[str] = []
    if not pkg.packages:
        return ["setuptools finds no packages to ship"]
    shipped_files: set[Path] = set()
    for package in pkg.packages:
        folder = repo_root / _package_folder(pkg, package)
        shipped_files |= {p.resolve() for p in folder.glob("*.py")}
        for pattern in pkg.package_data.get(package, []) + pkg.package_data.get("", []):
            shipped_files |= {p.resolve() for p in folder.glob(pattern) if p.is_file()}
    tops = {p for p in pkg.packages if "." not in p}
    for top in sorted(tops):
        root = repo_root / _package_folder(pkg, top)
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if "__pycache__" in relative.parts or not path.is_file() or path.suffix == ".pyc":
                continue
            if path.name in NOT_PACKAGE_DATA or path.name.endswith(".dockerignore"):
                continue
            if path.name == "__init__.py":
                dotted = ".".join((top, *relative.parent.parts))
                if dotted not in pkg.packages:
                    problems.append(
                        f"package {dotted} ({path.parent.relative_to(repo_root)}) is not shipped"
                    )
                continue
            if path.resolve() not in shipped_files:
                problems.append(f"{path.relative_to(repo_root)} is not shipped (package data?)")
    return problems


def check_copies_build_inputs(path: Path, pkg: Packaging) -> list[str]:
    """The Dockerfile COPYs everything `pip install .` reads: the build files and every
    shipped package's folder."""
    copied: set[str] = set()
    for ins in parse(path.read_text(encoding="utf-8")):
        if ins.keyword != "COPY":
            continue
        words = exec_form(ins.args) or shlex.split(ins.args)
        if any(w.startswith("--from") for w in words):
            continue
        copied |= {w.strip("/").rstrip("/") for w in words if not w.startswith("--")}
    needed = set(pkg.build_inputs) - {"MANIFEST.in"} | {
        folder.split("/")[0] for folder in pkg.package_dir.values()
    }
    return [
        f"{path}: does not COPY {name} (pip install . needs it)" for name in sorted(needed - copied)
    ]
