"""A local model server of the benchmark's own: started on its own port, stopped at the end.

The same toolchain and command line as the stack's (`learnflow.mesh.model_server`: llama.cpp's
OpenAI-compatible server with SmolLM2-135M-Instruct from the LearnFlow cache), but never the
stack's or a shared server: a benchmark must not compete with, or be slowed by, someone else's
requests on the same process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from learnflow.errors import SetupError
from learnflow.mesh.model_server import ModelServer, ensure_model_server, server_command

READY_TIMEOUT_S = 180.0


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until GET /v1/models answers 200 (the model is loaded), or the server died or is late."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"the bench's model server exited ({process.returncode}); see {log}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)  # polling a process we started; nothing to subscribe to
    raise SetupError(f"the bench's model server did not answer in {READY_TIMEOUT_S:g} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextmanager
def own_model_server(
    cache_dir: Path, port: int, run_dir: Path
) -> Iterator[tuple[str, ModelServer]]:
    """The base URL (`http://127.0.0.1:<port>/v1`) of a model server started for the block, and
    what it serves; stopped after the block, whatever happens. Its log: `<run_dir>/model.log`."""
    if not _port_free(port):
        raise SetupError(
            f"port {port} is taken: the bench starts its own model server there "
            "(LEARNFLOW_BENCH_LLM_PORT picks another)"
        )
    server = ensure_model_server(cache_dir, lambda m: print(f"[llm bench] {m}", file=sys.stderr))
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "model.log"
    base_url = f"http://127.0.0.1:{port}/v1"
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_command(server, port), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(base_url, process, log)
            yield base_url, server
        finally:
            _stop(process)
