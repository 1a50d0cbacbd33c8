"""From a raw `Outcome` to the results of issue 3: one status per limit, beginner-sized notes.

run_python -> {status, exit_code, stdout, stderr, duration_ms, truncated}, status one of ok,
error, timeout, memory_limit, output_limit, killed, rejected. A limit adds one line starting with
"[sandbox]" to stderr saying what happened; exit_code is None when the sandbox stopped the
program, minus the signal number when a signal ended it.

run_tests -> the Exercism test-runner contract: {status: pass|fail|error, message, tests: [{name,
status, message, output}]}.
"""

from __future__ import annotations

import signal
from typing import Any

from code_runner.sandbox.base import Limits, Outcome

STATUSES = ("ok", "error", "timeout", "memory_limit", "output_limit", "killed", "rejected")
SANDBOX_PREFIX = "[sandbox] "
_CRASH_SIGNALS: dict[int, str] = {
    signal.SIGSEGV: "a segmentation fault (a crash inside Python or a C extension)",
    signal.SIGBUS: "a bus error (a crash inside Python or a C extension)",
    signal.SIGILL: "an illegal instruction (a crash inside Python or a C extension)",
    signal.SIGFPE: "a floating point exception (a crash in C code)",
    signal.SIGABRT: "an abort (Python or a C library gave up)",
}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _kb(n: int) -> str:
    return f"{n / 1024:g} KB"


def classify(outcome: Outcome, limits: Limits, memory_bytes: int) -> tuple[str, int | None, str]:
    """(status, exit_code, note) for one finished run."""
    sig = outcome.signal
    if outcome.output_limited:
        return (
            "output_limit",
            None,
            f"Output limit: your program printed more than {_kb(limits.max_output_bytes)}, so "
            "the output above is cut off there and the program was stopped.",
        )
    if outcome.timed_out:
        return (
            "timeout",
            None,
            f"Timed out: your program ran for more than {limits.wall_s:g} s and was stopped. "
            "Is there an infinite loop?",
        )
    if outcome.cancelled:
        return "killed", None, "The run was cancelled before it finished."
    if outcome.memory_exceeded:
        return "memory_limit", None, _memory_note(memory_bytes)
    if sig is not None:
        if sig == signal.SIGXCPU:
            return (
                "timeout",
                -sig,
                f"CPU time limit: your program used more than {limits.cpu_s} s of CPU time and "
                "was stopped. Is there an infinite loop?",
            )
        if sig == signal.SIGXFSZ:
            return (
                "error",
                -sig,
                f"File size limit: your program wrote a file bigger than "
                f"{_kb(limits.max_file_bytes)}.",
            )
        if sig == signal.SIGABRT and _mentions_memory(outcome.stderr):
            return "memory_limit", -sig, _memory_note(memory_bytes)
        crash = _CRASH_SIGNALS.get(sig)
        what = f"{crash} ({_signal_name(sig)})" if crash else f"signal {_signal_name(sig)}"
        return "killed", -sig, f"Your program was killed by {what}."
    code = outcome.exit_code
    if code == 0:
        return "ok", 0, ""
    if _ends_with_memory_error(outcome.stderr):
        return "memory_limit", code, _memory_note(memory_bytes)
    return "error", code, ""


def _memory_note(memory_bytes: int) -> str:
    return (
        f"Memory limit: your program tried to use more than {_mb(memory_bytes)} of memory and "
        "was stopped."
    )


def _mentions_memory(stderr: bytes) -> bool:
    text = stderr[-2000:].lower()
    return b"memoryerror" in text or b"out of memory" in text or b"cannot allocate" in text


def _ends_with_memory_error(stderr: bytes) -> bool:
    """An uncaught MemoryError, or ENOMEM from the OS (e.g. a big mmap), ended the program."""
    lines = [line for line in stderr[-2000:].splitlines() if line.strip()]
    if not lines:
        return False
    return lines[-1].startswith(b"MemoryError") or b"[Errno 12] Cannot allocate memory" in lines[-1]


def decode(data: bytes, truncated: bool) -> str:
    text = data.decode("utf-8", "replace")
    if truncated and text.endswith("\ufffd"):
        text = text.rstrip("\ufffd")  # the cut fell inside a multi-byte character
    return text


def python_result(outcome: Outcome, limits: Limits, memory_bytes: int) -> dict[str, Any]:
    status, exit_code, note = classify(outcome, limits, memory_bytes)
    truncated = outcome.output_limited
    stderr = decode(outcome.stderr, truncated)
    if note:
        if stderr and not stderr.endswith("\n"):
            stderr += "\n"
        stderr += SANDBOX_PREFIX + note + "\n"
    return {
        "status": status,
        "exit_code": exit_code,
        "stdout": decode(outcome.stdout, truncated),
        "stderr": stderr,
        "duration_ms": round(outcome.duration_s * 1000, 1),
        "truncated": truncated,
    }


def rejected_run(message: str) -> dict[str, Any]:
    return {
        "status": "rejected",
        "exit_code": None,
        "stdout": "",
        "stderr": SANDBOX_PREFIX + "Not run: " + message + "\n",
        "duration_ms": 0.0,
        "truncated": False,
    }


def rejected_tests(message: str) -> dict[str, Any]:
    return {"status": "error", "message": "Not run: " + message, "tests": []}


def tests_result(outcome: Outcome, limits: Limits, memory_bytes: int) -> dict[str, Any]:
    reported = [event for event in outcome.events if event.get("e") == "test"]
    skipped = {str(e.get("name")) for e in reported if e.get("status") == "skip"}
    tests = [
        {
            "name": str(event.get("name", "?")),
            "status": event.get("status") if event.get("status") in ("pass", "fail") else "error",
            "message": str(event.get("message") or "") or None,
            "output": str(event.get("output") or "") or None,
        }
        for event in reported
        if event.get("status") != "skip"
    ]
    collected_event = outcome.event("collected")
    names = (collected_event or {}).get("names", [])
    collected = [str(n) for n in names if str(n) not in skipped]
    status, _exit_code, note = classify(outcome, limits, memory_bytes)
    if status not in ("ok", "error"):
        if status == "timeout" and outcome.timed_out:
            note = (
                f"Timed out: the tests took more than {limits.wall_s:g} s in total and were "
                "stopped. Is there an infinite loop, or a very slow computation?"
            )
        _fill_unfinished(tests, collected, note)
        return {"status": "error", "message": note, "tests": tests}
    fatal = outcome.event("fatal")
    if fatal is not None:
        return {"status": "error", "message": str(fatal.get("message", "")), "tests": []}
    if outcome.exit_code != 0 or outcome.event("exit") is None or len(tests) < len(collected):
        detail = _last_line(outcome.stderr)
        message = "The test run ended early" + (f": {detail}" if detail else ".")
        _fill_unfinished(tests, collected, message)
        return {"status": "error", "message": message, "tests": tests}
    if not tests:
        return {"status": "error", "message": "No tests were run.", "tests": []}
    failed = sum(1 for t in tests if t["status"] != "pass")
    if failed == 0:
        message = f"All {len(tests)} tests passed." if len(tests) > 1 else "The test passed."
        return {"status": "pass", "message": message, "tests": tests}
    if len(tests) == 1:
        message = "The test did not pass."
    else:
        message = f"{failed} of {len(tests)} tests did not pass."
    return {"status": "fail", "message": message, "tests": tests}


def _fill_unfinished(tests: list[dict[str, Any]], collected: list[str], note: str) -> None:
    done = {t["name"] for t in tests}
    first = True
    for name in collected:
        if name in done:
            continue
        message = note if first else "Not run: an earlier test was stopped."
        tests.append({"name": name, "status": "error", "message": message, "output": None})
        first = False


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
