"""Reports as CSV files a spreadsheet opens as they are (RFC 4180).

- UTF-8 with a byte-order mark (Excel reads UTF-8 only with it; Python's `utf-8-sig`, pandas and
  LibreOffice skip it), CRLF line ends, a header row, fields quoted when they hold a comma, a
  quote or a line break.
- Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or
  a carriage return — a student may name themself `=HYPERLINK(...)`) are prefixed with `'`
  (OWASP's advice on CSV injection). Numbers are written as numbers.
- Tables come from the same JSON the report page shows, so the file holds the page's figures.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Response

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _cell(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return BOM + out.getvalue()


def response(body: str, name: str) -> Response:
    """A download: `text/csv; charset=utf-8`, attachment named `name`, never cached."""
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # a report holds students' data
        },
    )


def filename(*parts: str) -> str:
    """A download name made of safe characters only (`class-report-python-101-students.csv`)."""
    stem = "-".join(_UNSAFE_NAME.sub("-", p.strip().lower()).strip("-") for p in parts if p)
    return f"{stem or 'report'}.csv"


def minutes(seconds: int) -> str:
    """Minutes to one decimal, halves rounded up, in exact integer arithmetic (the report page
    writes them the same way: `ClassReportView.minutes`)."""
    tenths = (int(seconds) * 10 + 30) // 60
    return f"{tenths // 10}.{tenths % 10}"


CLASS_TABLES = ("students", "modules", "exercises")


def class_table(report: dict[str, Any], table: str) -> tuple[list[str], list[list[Any]]]:
    """One table of a class report (`debrief_agent.models.ClassReport` as JSON)."""
    modules = [t["topic"] for t in report["overview"]["topics"]]
    titles = {t["topic"]: t["title"] for t in report["overview"]["topics"]}
    if table == "students":
        header = [
            "Student",
            "Email",
            "Status",
            "Average mastery (%)",
            *(f"{titles[m]} (%)" for m in modules),
            "Exercises passed",
            "Failed submissions",
            "Open alerts",
            "Time on task (min)",
            "Active days",
            "Needs help because",
        ]
        rows = [
            [
                s["display_name"],
                s["email"],
                "removed" if s["removed"] else "enrolled",
                s["average_mastery"],
                *(s["mastery"].get(m, "") for m in modules),
                s["exercises_passed"],
                s["failed_attempts"],
                s["open_alerts"],
                minutes(s["time_on_task"]["seconds"]),
                s["time_on_task"]["active_days"],
                "; ".join(s["needs_help"]),
            ]
            for s in report["students"]
        ]
        return header, rows
    if table == "modules":
        header = [
            "Module",
            "Not started",
            "Beginner (0-40%)",
            "Learning (41-70%)",
            "Proficient (71-90%)",
            "Mastered (91-100%)",
        ]
        rows = [
            [
                m["title"],
                m["not_started"],
                m["beginner"],
                m["learning"],
                m["proficient"],
                m["mastered"],
            ]
            for m in report["mastery_spread"]
        ]
        return header, rows
    if table == "exercises":
        header = [
            "Exercise",
            "Module",
            "Failed submissions",
            "Submissions",
            "Students who failed",
            "Students who passed",
        ]
        rows = [
            [
                e["title"],
                e["topic_title"] or "",
                e["failed_attempts"],
                e["attempts"],
                e["students_failed"],
                e["students_passed"],
            ]
            for e in report["most_failed"]
        ]
        return header, rows
    raise ValueError(f"unknown table {table!r}")


def progress_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A student's own progress report (`debrief_agent.models.StudentProgressReport`)."""
    header = [
        "Module",
        "Mastery (%)",
        "Level",
        "Started",
        "Exercises passed",
        "Failed submissions",
        "Best quiz",
        "Time on task (min)",
    ]
    rows = [
        [
            m["title"],
            m["mastery"],
            str(m["level"]).capitalize(),
            m["started"],
            m["exercises_passed"],
            m["failed_attempts"],
            m["best_quiz"] or "",
            minutes(m["time_on_task_s"]),
        ]
        for m in report["modules"]
    ]
    return header, rows
