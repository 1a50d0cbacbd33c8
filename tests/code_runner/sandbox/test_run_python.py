"""Correctness of `run_python` on the real sandbox: streams, stdin, exit codes, errors, text."""

from __future__ import annotations

import textwrap

import pytest

from code_runner.sandbox.runner import Runner

pytestmark = pytest.mark.sandbox


def test_stdout_and_result_shape(pooled_runner: Runner) -> None:
    result = pooled_runner.run_python("print('hello')")
    assert set(result) == {"status", "exit_code", "stdout", "stderr", "duration_ms", "truncated"}
    assert result["status"] == "ok"
    assert result["exit_code"] == 0
    assert result["stdout"] == "hello\n"
    assert result["stderr"] == ""
    assert result["truncated"] is False
    assert 0 < result["duration_ms"] < 3000


def test_stdout_and_stderr_are_separate(pooled_runner: Runner) -> None:
    code = "import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('out again')"
    result = pooled_runner.run_python(code)
    assert (result["stdout"], result["stderr"]) == ("out\nout again\n", "err\n")


def test_stdin_is_fed_and_then_ends(pooled_runner: Runner) -> None:
    code = "name = input('Name? ')\nprint(f'Hi {name}!')\nprint(input())"
    result = pooled_runner.run_python(code, stdin="Maya\n")
    assert result["status"] == "error"
    assert result["stdout"] == "Name? Hi Maya!\n"
    assert result["stderr"].rstrip().endswith("EOFError: EOF when reading a line")


def test_large_stdin_is_read_whole(pooled_runner: Runner) -> None:
    data = "x" * 60_000 + "\n"
    result = pooled_runner.run_python("import sys\nprint(len(sys.stdin.read()))", stdin=data)
    assert result["stdout"] == "60001\n"


@pytest.mark.parametrize(
    ("code", "exit_code", "stderr"),
    [
        ("import sys\nsys.exit(3)", 3, ""),
        ("import sys\nsys.exit()", 0, ""),
        ("import sys\nsys.exit('bye')", 1, "bye\n"),
        ("exit(4)", 4, ""),
        ("import os\nos._exit(5)", 5, ""),
        ("raise SystemExit(256 + 7)", 7, ""),
    ],
)
def test_exit_codes(pooled_runner: Runner, code: str, exit_code: int, stderr: str) -> None:
    result = pooled_runner.run_python(code)
    assert result["exit_code"] == exit_code
    assert result["status"] == ("ok" if exit_code == 0 else "error")
    assert result["stderr"] == stderr


def test_an_exception_gives_the_traceback_of_the_learners_code_only(pooled_runner: Runner) -> None:
    code = textwrap.dedent(
        """
        def divide(a, b):
            return a / b

        print(divide(1, 0))
        """
    )
    result = pooled_runner.run_python(code)
    assert result["status"] == "error"
    assert result["exit_code"] == 1
    assert result["stderr"] == (
        "Traceback (most recent call last):\n"
        '  File "/tmp/main.py", line 5, in <module>\n'
        "    print(divide(1, 0))\n"
        "          ^^^^^^^^^^^^\n"
        '  File "/tmp/main.py", line 3, in divide\n'
        "    return a / b\n"
        "           ~~^~~\n"
        "ZeroDivisionError: division by zero\n"
    )


def test_a_syntax_error_looks_like_pythons_own(pooled_runner: Runner) -> None:
    result = pooled_runner.run_python("print('hi'\n")
    assert result["status"] == "error"
    assert result["stdout"] == ""
    assert result["stderr"] == (
        '  File "/tmp/main.py", line 1\n'
        "    print('hi'\n"
        "         ^\n"
        "SyntaxError: '(' was never closed\n"
    )


def test_unicode_round_trips(pooled_runner: Runner) -> None:
    text = "héllo wörld ✓ 😀 中文"
    result = pooled_runner.run_python(f"print(input())\nprint({text!r}.upper())", stdin=text)
    assert result["stdout"] == f"{text}\n{text.upper()}\n"


def test_invalid_utf8_output_is_replaced_not_fatal(pooled_runner: Runner) -> None:
    result = pooled_runner.run_python("import sys\nsys.stdout.buffer.write(b'ok \\xff\\n')")
    assert result["stdout"] == "ok \ufffd\n"


def test_script_semantics_match_python_main(pooled_runner: Runner) -> None:
    code = textwrap.dedent(
        """
        import sys, atexit
        atexit.register(lambda: print("atexit ran"))
        class Noisy:
            def __del__(self):
                print("deleted at exit")
        keep = Noisy()
        print(__name__, sys.argv, sys.path[0], __file__)
        """
    )
    result = pooled_runner.run_python(code)
    assert result["stdout"] == (
        "__main__ ['/tmp/main.py'] /tmp /tmp/main.py\natexit ran\ndeleted at exit\n"
    )


def test_files_can_be_written_and_read_in_the_temp_dir(pooled_runner: Runner) -> None:
    code = textwrap.dedent(
        """
        import csv, json, os, tempfile
        with open("data.csv", "w", newline="") as f:
            csv.writer(f).writerows([["a", 1], ["b", 2]])
        with open("data.csv") as f:
            print(list(csv.reader(f)))
        json.dump({"k": [1, 2]}, open("d.json", "w"))
        print(json.load(open("d.json")), os.getcwd(), tempfile.gettempdir())
        """
    )
    result = pooled_runner.run_python(code)
    assert result["stdout"] == "[['a', '1'], ['b', '2']]\n{'k': [1, 2]} /tmp /tmp\n"


def test_only_the_standard_library_is_importable(pooled_runner: Runner) -> None:
    code = textwrap.dedent(
        """
        import json, collections, itertools, math, random, re, datetime, sqlite3, threading
        for name in ("pydantic", "fastapi", "pip", "numpy", "requests"):
            try:
                __import__(name)
                print("IMPORTED", name)
            except ImportError:
                pass
        print("ok")
        """
    )
    assert pooled_runner.run_python(code)["stdout"] == "ok\n"


def test_threads_and_processes_work_within_limits(pooled_runner: Runner) -> None:
    code = textwrap.dedent(
        """
        import multiprocessing, subprocess, sys, threading
        results = []
        threads = [threading.Thread(target=results.append, args=(i,)) for i in range(10)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        def square(x):
            return x * x
        if __name__ == "__main__":
            with multiprocessing.Pool(2) as pool:
                print(sorted(results), pool.map(square, range(4)))
            print(subprocess.run([sys.executable, "-c", "print(7)"], capture_output=True,
                                 text=True).stdout.strip())
        """
    )
    result = pooled_runner.run_python(code)
    assert result["stdout"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] [0, 1, 4, 9]\n7\n"


def test_a_per_call_timeout_is_capped_at_the_maximum(pooled_runner: Runner) -> None:
    result = pooled_runner.run_python("import time\ntime.sleep(0.2)\nprint('done')", timeout_s=1e6)
    assert result["status"] == "ok"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"code": ""}, "there is no code to run"),
        ({"code": "   \n\t"}, "there is no code to run"),
        ({"code": "print(1)\x00"}, "NUL character"),
        ({"code": "x = 1\n" * 11000}, "the limit is 65536 bytes (64 KB)"),
        ({"code": "print('\ud800')"}, "unpaired surrogate"),
        ({"code": "print(1)", "stdin": "x" * 70000}, "the stdin is 70000 bytes"),
        ({"code": "print(1)", "timeout_s": 0}, "timeout_s must be a positive number"),
        ({"code": "print(1)", "timeout_s": float("nan")}, "timeout_s must be a positive number"),
    ],
)
def test_bad_input_is_rejected_without_running(
    pooled_runner: Runner, kwargs: dict[str, object], reason: str
) -> None:
    result = pooled_runner.run_python(**kwargs)  # type: ignore[arg-type]
    assert result["status"] == "rejected"
    assert result["exit_code"] is None
    assert result["stdout"] == ""
    assert reason in result["stderr"]
    assert result["stderr"].startswith("[sandbox] Not run: ")
