"""From a raw `Outcome` to the results of issue 3: one status per limit, beginner-sized notes.

run_python -> {status, exit_code, stdout, stderr, duration_ms, truncated}, status one of ok,
error, timeout, memory_limit, output_limit, killed, rejected. A limit adds one line starting with
"[sandbox]" to stderr saying what happened; exit_code is None when the sandbox stopped the
program, minus the signal number when a signal ended it.

run_tests -> the Exercism test-runner contract: {status: pass|fail|error, message, tests: [{name,
status, message, output, duration_ms, limit}], limits}: `limit` names the limit that stopped a
test (test_timeout_s, run_timeout_s, wall_timeout_s, memory_mb, cpu_s, output_bytes), `limits`
gives their values.
"""

from __future__ import annotations

import signal
from typing import Any

from code_runner.sandbox.base import Limits, Outcome
from code_runner.sandbox.collect import TestPlan

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
    last = lines[-1]
    return (
        last.startswith(b"MemoryError")
        or b"[Errno 12] Cannot allocate memory" in last
        # CPython 3.11's report of a function call that found no memory for its frame
        or last.startswith(b"SystemError: error return without exception set")
    )


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


def limits_report(limits: Limits) -> dict[str, Any]:
    """The limits a test run had, as reported in its result: CPU seconds per test and for the
    whole run, the wall-clock backstop, memory per process."""
    return {
        "test_timeout_s": limits.test_timeout_s,
        "run_timeout_s": limits.run_timeout_s,
        "wall_timeout_s": limits.wall_s,
        "memory_mb": limits.memory_mb,
    }


def _accepted_tests(outcome: Outcome, plan: TestPlan) -> dict[str, dict[str, Any]]:
    """The first result for each test the host found in the tests' source itself."""
    accepted: dict[str, dict[str, Any]] = {}
    for event in outcome.events:
        if event.get("e") != "test":
            continue
        name = event.get("name")
        if isinstance(name, str) and plan.accepts(name) and name not in accepted:
            accepted[name] = event
    return accepted


def _test_entry(event: dict[str, Any]) -> dict[str, Any]:
    status = event.get("status")
    ms = event.get("ms")
    cpu_ms = event.get("cpu_ms")
    limit = event.get("limit")
    return {
        "name": str(event["name"]),
        "status": status if status in ("pass", "fail") else "error",
        "message": str(event.get("message") or "")[:2000] or None,
        "output": str(event.get("output") or "")[:2000] or None,
        "duration_ms": float(ms) if isinstance(ms, int | float) and ms >= 0 else None,
        "cpu_ms": float(cpu_ms) if isinstance(cpu_ms, int | float) and cpu_ms >= 0 else None,
        "limit": limit if limit in LIMIT_NAMES else None,
    }


def tests_result(
    outcome: Outcome, limits: Limits, memory_bytes: int, plan: TestPlan
) -> dict[str, Any]:
    """The Exercism-style result, from results the host accepts (see collect.TestPlan)."""
    accepted = _accepted_tests(outcome, plan)
    skipped = {name for name, event in accepted.items() if event.get("status") == "skip"}
    tests = [_test_entry(e) for name, e in accepted.items() if name not in skipped]
    collected_event = outcome.event("collected")
    names = (collected_event or {}).get("names", [])
    collected = [
        str(n) for n in names if isinstance(n, str) and plan.accepts(n) and n not in skipped
    ]
    report = limits_report(limits)

    def done(status: str, message: str) -> dict[str, Any]:
        tests.sort(key=lambda t: plan.position(t["name"]))
        return {"status": status, "message": message, "tests": tests, "limits": report}

    status, _exit_code, note = classify(outcome, limits, memory_bytes)
    if status not in ("ok", "error"):
        limit = _RUN_LIMITS.get(status)
        if status == "timeout" and outcome.timed_out:
            note = (
                f"Timed out: the tests ran for more than {limits.wall_s:g} s of clock time (the "
                "run's wall-clock limit) and were stopped. Is something waiting forever?"
            )
            limit = "wall_timeout_s"
        _fill_unfinished(tests, collected, note, limit)
        return done("error", note)
    fatal = outcome.event("fatal")
    if fatal is not None:
        tests.clear()
        return done("error", str(fatal.get("message", ""))[:2000])
    if outcome.exit_code != 0 or outcome.event("exit") is None or len(tests) < len(collected):
        message = "The test run ended early" + _how_it_ended(outcome)
        _fill_unfinished(tests, collected, message, None)
        return done("error", message)
    if not tests:
        return done("error", "No tests were run.")
    failed = sum(1 for t in tests if t["status"] != "pass")
    if failed == 0:
        return done(
            "pass", f"All {len(tests)} tests passed." if len(tests) > 1 else "The test passed."
        )
    if len(tests) == 1:
        return done("fail", "The test did not pass.")
    return done("fail", f"{failed} of {len(tests)} tests did not pass.")


LIMIT_NAMES = frozenset(
    ("test_timeout_s", "run_timeout_s", "wall_timeout_s", "memory_mb", "cpu_s", "output_bytes")
)
_RUN_LIMITS = {"timeout": "cpu_s", "memory_limit": "memory_mb", "output_limit": "output_bytes"}


def _how_it_ended(outcome: Outcome) -> str:
    """How the test process ended, from what the host saw (never from the sandbox's output,
    which the learner's code can write to)."""
    if outcome.signal is not None:
        return f": the test process was killed by {_signal_name(outcome.signal)}."
    if outcome.exit_code not in (None, 0):
        return f": the test process exited with status {outcome.exit_code}."
    return "."


def _fill_unfinished(
    tests: list[dict[str, Any]], collected: list[str], note: str, limit: str | None
) -> None:
    done = {t["name"] for t in tests}
    first = True
    for name in collected:
        if name in done:
            continue
        message = note if first else "Not run: an earlier test was stopped."
        tests.append(
            {
                "name": name,
                "status": "error",
                "message": message,
                "output": None,
                "duration_ms": None,
                "cpu_ms": None,
                "limit": limit,
            }
        )
        first = False
