"""The code runner as an MCP server: tools `run_python` and `run_tests` (mcp SDK, MCPServer).

Served over stdio (default) or streamable HTTP by `learnflow-code-runner` (code_runner.main).
Both tools run in the sandbox through the process-wide `Runner` unless one is passed in. A busy
runner or a sandbox that cannot work is an anticipated tool error: `is_error` with the message.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from code_runner.models import RunResult, TestsResult
from code_runner.sandbox import get_runner
from code_runner.sandbox.runner import Runner
from learnflow.errors import LearnFlowError

INSTRUCTIONS = (
    "Runs untrusted Python (standard library only) in a sandbox with no network and a private "
    "temp dir. Limits: 5 s wall time, 50 MB memory, 64 KB of output by default; each limit has "
    "its own status. Use run_python to run a program and run_tests to grade code against tests."
)


def create_mcp_server(runner: Runner | None = None) -> MCPServer:
    server = MCPServer("learnflow-code-runner", instructions=INSTRUCTIONS)

    def current() -> Runner:
        return runner if runner is not None else get_runner()

    @server.tool(
        description="Run a Python program in the sandbox and return its output. status is one "
        "of ok, error (non-zero exit or an exception: traceback in stderr), timeout, "
        "memory_limit, output_limit, killed, rejected (bad input: empty, over 64 KB, NUL bytes)."
    )
    async def run_python(code: str, stdin: str = "", timeout_s: float = 5.0) -> RunResult:
        try:
            return RunResult.model_validate(await current().arun_python(code, stdin, timeout_s))
        except LearnFlowError as exc:
            raise ToolError(exc.message) from exc

    @server.tool(
        description="Grade code against tests. The code is importable as {module_name} "
        "(unittest classes or pytest-style test_ functions; pytest itself is not needed); it "
        "runs in a process of its own, apart from the tests. Returns the Exercism test-runner "
        "result: status pass|fail|error, a message, one entry per test (message, output, "
        "duration, and the limit that stopped it, if one did) and the run's limits. "
        "test_timeout_s / run_timeout_s: CPU seconds per test / for the run (defaults 2 / 5)."
    )
    async def run_tests(
        code: str,
        tests: str,
        module_name: str = "solution",
        test_timeout_s: float | None = None,
        run_timeout_s: float | None = None,
    ) -> TestsResult:
        try:
            result = await current().arun_tests(
                code,
                tests,
                module_name,
                test_timeout_s=test_timeout_s,
                run_timeout_s=run_timeout_s,
            )
            return TestsResult.model_validate(result)
        except LearnFlowError as exc:
            raise ToolError(exc.message) from exc

    return server
