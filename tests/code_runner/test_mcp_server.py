"""The MCP tools through a real client session: in memory, over stdio, over streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from code_runner.mcp_server import create_mcp_server
from code_runner.sandbox.runner import Runner
from tests.code_runner.probes import sandbox_settings
from tests.code_runner.sandbox.test_runner import ScriptedBackend
from tests.waiting import eventually_sync

COMMAND = str(Path(sys.executable).parent / "learnflow-code-runner")
TESTS = "from solution import double\n\ndef test_double():\n    assert double(2) == 4\n"


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.sandbox
async def test_in_memory_session_lists_and_calls_both_tools(pooled_runner: Runner) -> None:
    async with Client(create_mcp_server(pooled_runner)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == {"run_python", "run_tests"}
        assert set(tools["run_python"].input_schema["properties"]) == {"code", "stdin", "timeout_s"}
        assert tools["run_tests"].input_schema["required"] == ["code", "tests"]
        assert {"test_timeout_s", "run_timeout_s"} <= set(
            tools["run_tests"].input_schema["properties"]
        )

        ran = await call(client, "run_python", {"code": "print(input() * 2)", "stdin": "ab"})
        assert ran == {
            "status": "ok",
            "exit_code": 0,
            "stdout": "abab\n",
            "stderr": "",
            "duration_ms": ran["duration_ms"],
            "truncated": False,
        }
        graded = await call(client, "run_tests", {"code": "def double(x):\n    return 2 * x\n",
                                                  "tests": TESTS})  # fmt: skip
        assert graded["status"] == "pass"
        assert [(t["name"], t["status"], t["limit"]) for t in graded["tests"]] == [
            ("test_double", "pass", None)
        ]
        assert graded["limits"]["test_timeout_s"] == 1.0
        limited = await call(
            client,
            "run_tests",
            {"code": "def double(x):\n    while True:\n        pass\n", "tests": TESTS,
             "test_timeout_s": 0.5, "run_timeout_s": 2},
        )  # fmt: skip
        assert limited["limits"]["test_timeout_s"] == 0.5
        assert limited["tests"][0]["limit"] == "test_timeout_s"
        forged = await call(
            client,
            "run_tests",
            {"code": "class Any:\n    __eq__ = lambda self, other: True\n"
                     "def double(x):\n    return Any()\n", "tests": TESTS},
        )  # fmt: skip
        assert forged["status"] == "fail"
        rejected = await call(client, "run_python", {"code": ""})
        assert rejected["status"] == "rejected"


async def test_a_busy_runner_is_a_tool_error() -> None:
    backend = ScriptedBackend()
    backend.gate.set()
    runner = Runner(sandbox_settings(concurrency=1, queue_size=0), backend=backend).start()
    backend.gate.clear()
    try:
        async with Client(create_mcp_server(runner)) as client:
            first = runner._executor.submit(runner.run_python, "x = 1")
            backend.wait_executing(1)
            result = await client.call_tool("run_python", {"code": "x = 2"})
            assert result.is_error
            assert "the code runner is busy" in str(result.content)
            backend.gate.set()
            assert first.result(timeout=5)["status"] == "ok"
    finally:
        backend.gate.set()
        runner.close()


@pytest.mark.sandbox
async def test_over_stdio() -> None:
    params = StdioServerParameters(command=COMMAND, args=["--transport", "stdio"])
    async with Client(params) as client:
        graded = await call(client, "run_tests", {"code": "def double(x):\n    return x + x\n",
                                                  "tests": TESTS})  # fmt: skip
        assert graded["status"] == "pass"
        ran = await call(client, "run_python", {"code": "while True:\n    pass", "timeout_s": 0.5})
        assert ran["status"] == "timeout"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def http_server() -> Iterator[int]:
    port = _free_port()
    process = subprocess.Popen(
        [COMMAND, "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        eventually_sync(
            lambda: _accepts(port) or process.poll() is not None,
            timeout_s=30,
            what="the HTTP MCP server to listen",
        )
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.mark.sandbox
async def test_over_streamable_http(http_server: int) -> None:
    async with Client(f"http://127.0.0.1:{http_server}/mcp") as client:
        ran = await call(client, "run_python", {"code": "import sys\nsys.exit(3)"})
        assert (ran["status"], ran["exit_code"]) == ("error", 3)
        graded = await call(client, "run_tests", {"code": "def double(x):\n    return x\n",
                                                  "tests": TESTS})  # fmt: skip
        assert graded["status"] == "fail"
        assert graded["tests"][0]["message"] == "Expected double(2) == 4, but double(2) is 2."


def test_the_command_refuses_to_start_without_its_sandbox() -> None:
    env = {**os.environ, "LEARNFLOW_SANDBOX_BWRAP_PATH": "/nonexistent/bwrap"}
    done = subprocess.run(
        [COMMAND], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("learnflow-code-runner: refusing to start: the sandbox needs")
    assert "apt-get install -y bubblewrap" in lines[-1]
