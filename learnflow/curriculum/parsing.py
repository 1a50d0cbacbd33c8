"""Reading curriculum files into plain data: YAML files, and lessons (front matter + sections).

Every failure raises `CurriculumError` naming the file, and the line or field when known.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from learnflow.curriculum.errors import CurriculumError

LESSON_SECTIONS: dict[str, str] = {
    "Explanation": "explanation",
    "Worked example": "worked_example",
    "Common mistakes": "common_mistakes",
}
"""The `##` headings of a lesson body, in their required order, and the fields they fill."""

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^##\s+(.*?)\s*#*\s*$")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CurriculumError(path, [f"cannot read the file: {exc}"]) from exc


def parse_yaml(text: str, path: Path, *, first_line: int = 1) -> Any:
    """Parse YAML text from `path`; syntax errors report the file line (offset by `first_line`)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"line {mark.line + first_line}, column {mark.column + 1}: " if mark else ""
        raise CurriculumError(path, [f"{where}YAML syntax error: {problem}"]) from exc


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file that must hold a mapping (`key: value` lines) at the top level."""
    data = parse_yaml(read_text(path), path)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise CurriculumError(path, [f"expected a mapping of `key: value` fields, got {kind}"])
    return data


def read_lesson(path: Path) -> dict[str, Any]:
    """A lesson file as one mapping: its front matter fields plus one field per section."""
    text = read_text(path)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise CurriculumError(
            path, ["a lesson must start with a `---` line opening its front matter"]
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise CurriculumError(path, ["the front matter is never closed by a `---` line"]) from None
    front = parse_yaml("\n".join(lines[1:end]), path, first_line=2)
    if not isinstance(front, dict):
        raise CurriculumError(path, ["the front matter must be a mapping of `key: value` fields"])
    clashes = sorted(set(front) & set(LESSON_SECTIONS.values()))
    if clashes:
        raise CurriculumError(
            path,
            [f"front matter field {name!r} belongs in the body as a section" for name in clashes],
        )
    return {**front, **split_sections(lines[end + 1 :], path, first_line=end + 2)}


def split_sections(lines: list[str], path: Path, *, first_line: int) -> dict[str, str]:
    """The body's `##` sections by field name; they must be exactly LESSON_SECTIONS, in order."""
    expected = list(LESSON_SECTIONS)
    found: list[tuple[str, int]] = []
    content: dict[str, list[str]] = {}
    in_fence = False
    for number, line in enumerate(lines, start=first_line):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            found.append((heading.group(1), number))
            content[heading.group(1)] = []
        elif found:
            content[found[-1][0]].append(line)
        elif line.strip():
            raise CurriculumError(
                path, [f"line {number}: text before the first section; start with `## Explanation`"]
            )
    problems = [
        f"line {number}: unexpected section `## {title}` (sections are "
        + ", ".join(f"`## {name}`" for name in expected)
        + ")"
        for title, number in found
        if title not in LESSON_SECTIONS
    ]
    titles = [title for title, _ in found if title in LESSON_SECTIONS]
    problems += [f"missing section `## {name}`" for name in expected if name not in titles]
    problems += [
        f"section `## {name}` appears {titles.count(name)} times"
        for name in expected
        if titles.count(name) > 1
    ]
    if not problems and titles != expected:
        problems.append(
            "sections must come in this order: " + ", ".join(f"`## {name}`" for name in expected)
        )
    if problems:
        raise CurriculumError(path, problems)
    return {LESSON_SECTIONS[title]: "\n".join(content[title]).strip() for title in expected}
