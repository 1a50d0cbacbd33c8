"""The CSV writer of reports (pure): what a spreadsheet or Python's csv module reads back."""

from __future__ import annotations

import csv
import io

from triage_agent.report_csv import filename, minutes, to_csv


def test_quotes_line_breaks_and_unicode_survive_a_round_trip() -> None:
    rows = [['Zoë "Z" O\'Neil, Jr.', "line one\nline two", 3, 2.5, None, True]]
    text = to_csv(["Name", "Note", "N", "F", "Empty", "Flag"], rows)

    assert text.startswith("\ufeff") and text.endswith("\r\n")
    assert '"Zoë ""Z"" O\'Neil, Jr."' in text
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert parsed == [
        ["Name", "Note", "N", "F", "Empty", "Flag"],
        ['Zoë "Z" O\'Neil, Jr.', "line one\nline two", "3", "2.5", "", "yes"],
    ]


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised_numbers_are_not() -> None:
    text = to_csv(["a", "b", "c", "d"], [['=HYPERLINK("http://x")', "+1", "@SUM(A1)", -3]])
    (_, row) = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert row == ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "-3"]


def test_minutes_round_halves_up_exactly() -> None:
    # 15 s = 0.25 min: float rounding would give 0.2 in Python and 0.3 in JavaScript
    assert [minutes(s) for s in (0, 15, 29, 30, 90, 120, 3599)] == [
        "0.0",
        "0.3",
        "0.5",
        "0.5",
        "1.5",
        "2.0",
        "60.0",
    ]


def test_download_names_keep_safe_characters_only() -> None:
    assert filename("class-report", 'Reports, "7A" / ü', "students") == (
        "class-report-reports-7a-students.csv"
    )
