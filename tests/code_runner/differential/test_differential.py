"""Differential testing of the grader (issue 16): it grades every program like plain CPython.

Each program of the corpus (corpus.py: the curriculum's exercises, solutions and starters, plus
the `.case` programs written to stress the harness) is run twice:

- by plain CPython, outside the sandbox, with pytest or unittest (cpython_baseline.py, one
  subprocess for the whole corpus);
- by `run_tests` in the real sandbox.

Every test must get the same outcome (pass / fail / error / skipped) on both sides, and the sandbox
must report no test the tests do not define. The only exception is a test that a sandbox limit
stops (plain CPython has none): the program declares it (`### expect`), and the sandbox's result
must then name that limit. One pytest item per program, so a disagreement names its program.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from code_runner.sandbox.runner import Runner
from tests.code_runner.differential.corpus import Program, all_programs
from tests.code_runner.probes import require_bwrap, sandbox_settings

pytestmark = pytest.mark.sandbox

PROGRAMS = all_programs()
BASELINE = Path(__file__).with_name("cpython_baseline.py")
BASELINE_PATIENCE_S = 6.0
"""How long plain CPython may run one test: longer than any limit the sandbox applies."""


class Differential:
    """Both sides' results for the whole corpus, computed once."""

    def __init__(
        self,
        cpython: dict[str, dict[str, str]],
        sandbox: dict[str, dict[str, Any]],
        seconds: dict[str, float],
    ) -> None:
        self.cpython = cpython
        self.sandbox = sandbox
        self.seconds = seconds


def _run_baseline(programs: list[Program], workdir: Path) -> dict[str, dict[str, str]]:
    listing = []
    for index, program in enumerate(programs):
        directory = workdir / f"p{index:03d}"
        directory.mkdir()
        (directory / "solution.py").write_text(program.solution, encoding="utf-8")
        (directory / "test_solution.py").write_text(program.tests, encoding="utf-8")
        listing.append(
            {
                "id": program.id,
                "dir": str(directory),
                "runner": program.runner,
                "timeout_s": BASELINE_PATIENCE_S,
            }
        )
    (workdir / "programs.json").write_text(json.dumps(listing))
    done = subprocess.run(
        [
            sys.executable,
            str(BASELINE),
            str(workdir / "programs.json"),
            str(workdir / "results.json"),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"the CPython baseline failed:\n{done.stderr[-3000:]}"
    results: dict[str, dict[str, str]] = json.loads((workdir / "results.json").read_text())
    return results


def _run_sandbox(runner: Runner, program: Program) -> dict[str, Any]:
    return runner.run_tests(
        program.solution,
        program.tests,
        test_timeout_s=program.test_timeout_s,
        run_timeout_s=program.run_timeout_s,
    )


@pytest.fixture(scope="module")
def differential() -> Iterator[Differential]:
    require_bwrap()
    runner = Runner(
        sandbox_settings(
            wall_s=10.0, test_timeout_s=2.0, max_wall_s=10.0, concurrency=2, warm_pool=2
        )
    )
    runner.start()
    started = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="learnflow-differential-") as tmp,
            ThreadPoolExecutor(max_workers=1) as baseline_pool,
            ThreadPoolExecutor(max_workers=2) as sandbox_pool,
        ):
            baseline = baseline_pool.submit(_run_baseline, PROGRAMS, Path(tmp))
            futures = {p.id: sandbox_pool.submit(_timed, runner, p) for p in PROGRAMS}
            sandbox, seconds = {}, {}
            for program_id, future in futures.items():
                sandbox[program_id], seconds[program_id] = future.result()
            cpython = baseline.result()
        print(f"\ndifferential: {len(PROGRAMS)} programs in {time.monotonic() - started:.1f} s")
        yield Differential(cpython, sandbox, seconds)
    finally:
        runner.close()


def _timed(runner: Runner, program: Program) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    result = _run_sandbox(runner, program)
    return result, time.monotonic() - started


def test_the_corpus_is_big_enough() -> None:
    stress = [p for p in PROGRAMS if ":" not in p.id]
    assert len(PROGRAMS) >= 100
    assert len(stress) >= 50


def disagreements(program: Program, cpython: dict[str, str], sandbox: dict[str, Any]) -> list[str]:
    """Every way the sandbox's grade differs from plain CPython's, in words (empty = agree)."""
    problems = []
    ours = {t["name"]: t for t in sandbox["tests"]}
    ran = {name: kind for name, kind in cpython.items() if not name.startswith("<")}
    if not ours and sandbox["status"] == "error":
        # the code or the tests could not be loaded: plain CPython must not have run a test
        if any(kind == "pass" for kind in ran.values()):
            problems.append(f"the sandbox ran nothing ({sandbox['message']}) but CPython: {ran}")
        return problems
    for name, kind in ran.items():
        expected_limit = program.expected_limits.get(name)
        if kind == "skip":
            if name in ours:
                problems.append(f"{name}: skipped by CPython, {ours[name]['status']} here")
            continue
        if name not in ours:
            problems.append(f"{name}: {kind} in CPython, not reported here")
            continue
        test = ours[name]
        if expected_limit is not None:
            if test["limit"] != expected_limit or test["status"] != "error":
                problems.append(
                    f"{name}: expected to be stopped by {expected_limit}, got "
                    f"{test['status']} (limit {test['limit']}): {test['message']}"
                )
            elif expected_limit not in ("memory_mb",) and not _names_value(test["message"]):
                problems.append(f"{name}: the message does not say the limit's value")
            continue
        if kind == "timeout":
            problems.append(f"{name}: CPython did not finish it in {BASELINE_PATIENCE_S} s")
            continue
        if test["status"] != kind or test["limit"] is not None:
            problems.append(
                f"{name}: {kind} in CPython, {test['status']} here"
                + (f" (limit {test['limit']})" if test["limit"] else "")
                + f": {test['message']}"
            )
    for name in ours:
        if name not in ran:
            problems.append(f"{name}: reported here, not a test CPython ran")
    for name in program.expected_limits:
        if name not in ran:
            problems.append(f"{name}: declared in ### expect, but CPython has no such test")
    return problems


def _names_value(message: str | None) -> bool:
    return bool(message) and any(ch.isdigit() for ch in message or "")


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.id for p in PROGRAMS])
def test_the_sandbox_grades_like_cpython(differential: Differential, program: Program) -> None:
    cpython = differential.cpython[program.id]
    sandbox = differential.sandbox[program.id]
    assert sandbox.get("limits"), sandbox
    problems = disagreements(program, cpython, sandbox)
    assert not problems, (
        f"{program.id}: the sandbox disagrees with plain CPython:\n  "
        + "\n  ".join(problems)
        + f"\nsandbox result: {json.dumps(sandbox, indent=1)[:3000]}"
    )
