"""`learnflow-code-runner`: the MCP server on stdio (default) or streamable HTTP.

    learnflow-code-runner                                  # stdio
    learnflow-code-runner --transport http --port 8765     # http://127.0.0.1:8765/mcp

The sandbox is checked before serving: if the configured isolation does not work here, the
command prints one line saying why and exits with status 2 - it never runs code unsandboxed.
"""

from __future__ import annotations

import argparse
import logging
import sys

from code_runner.sandbox import SandboxUnavailable, get_runner


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learnflow-code-runner",
        description="LearnFlow's code runner: an MCP server with tools run_python and run_tests.",
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port")
    parser.add_argument("--path", default="/mcp", help="HTTP endpoint path")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # stdout is the MCP channel on stdio: logs go to stderr only.
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s code-runner %(message)s"
    )
    try:
        runner = get_runner()
    except SandboxUnavailable as exc:
        print(f"learnflow-code-runner: refusing to start: {exc.message}", file=sys.stderr)
        return 2
    from code_runner.mcp_server import create_mcp_server

    server = create_mcp_server(runner)
    if args.transport == "stdio":
        server.run("stdio")
    else:
        server.run(
            "streamable-http", host=args.host, port=args.port, streamable_http_path=args.path
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
