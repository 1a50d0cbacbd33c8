"""Step 1, code extraction: split a message into pasted code and the prose the features read.

Code in ``` fences is taken as is; outside fences each line is tested against Python shapes, and
indented lines that follow a code line are kept with it.
"""

from __future__ import annotations

import re

__all__ = ["extract_code"]

_FENCE = re.compile(r"```[ \t]*(?:[\w+.-]*[ \t]*\n)?(.*?)(?:```|\Z)", re.S)
_CODE_CHARS = re.compile(r"[()\[\]{}'\"\d=<>%+*/.:]")
# A line of closing brackets at column 0 ends a bracketed literal or call begun on a code line.
_CLOSING_LINE = re.compile(r"^[)\]}][)\]},;:]*\s*$")
_ERROR_LINE = re.compile(r"^[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit)\b(?::.*)?$")
_CODE_LINE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^Traceback \(most recent call last\)",
        r'^File ".*", line \d+',
        r"^>>>",
        r"^def\s+[A-Za-z_]\w*\s*\(",
        r"^class\s+[A-Za-z_]\w*\s*(\(.*\))?\s*:",
        r"^for\s+[A-Za-z_][\w, ()]*\s+in\s+\S.*[):\]]\s*$",
        r"^(while|if|elif)\s+.*[=<>()\[\]%.].*:\s*$",
        r"^while\s+(True|1|not\s+\w+|\w+)\s*:\s*$",
        r"^(else|try|finally)\s*:\s*$",
        r"^except\b.*:\s*$",
        r"^with\s+.+\s+as\s+\w+\s*:\s*$",
        r"^import\s+[\w.]+(\s+as\s+\w+)?(\s*,\s*[\w.]+)*\s*$",
        r"^from\s+[\w.]+\s+import\s+[\w., *]+$",
        r"^(return|raise|yield)\b.*[()\[\]'\"=+\-*/%.]",
        r"^(pass|break|continue|return)\s*$",
        r"^[A-Za-z_][\w.]*\s*\(.*\)\s*$",
        r"^@\w+",
        r"^#",
    )
)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][\w.]*(\[[^\]]*\])?\s*(\*\*|//|[-+*/%])?=\s*(?!=)(.+)$")


def _is_code_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _ERROR_LINE.match(stripped) or any(p.match(stripped) for p in _CODE_LINE_PATTERNS):
        return True
    assignment = _ASSIGNMENT.match(stripped)
    if assignment:
        right = assignment.group(3)
        # `x = 5`, `s = input('age')`; not `x = the number of apples`.
        return bool(_CODE_CHARS.search(right)) or len(right.split()) == 1
    return False


def _split_unfenced(text: str) -> tuple[list[str], list[str]]:
    """(code lines, prose lines) of text without fences."""
    lines = text.splitlines()
    is_code = [_is_code_line(line) for line in lines]
    # A comment line only counts inside code; an indented or blank line after code joins it,
    # and so do a closing-bracket line and the line after a block opener (learners often lose
    # the indentation).
    for i, line in enumerate(lines):
        if is_code[i] or i == 0:
            continue
        prev = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
        if prev is None or not is_code[prev]:
            continue
        indented = line[:1] in (" ", "\t") and bool(line.strip())
        opener = lines[prev].rstrip().endswith(":")
        after_opener = opener and _CODE_CHARS.search(line) and len(line.split()) <= 6
        if indented or _CLOSING_LINE.match(line) or after_opener:
            is_code[i] = True
    for i, line in enumerate(lines):
        if is_code[i] and line.strip().startswith("#"):
            neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if not any(is_code[j] and not lines[j].strip().startswith("#") for j in neighbours):
                is_code[i] = False
    code = [line for line, flag in zip(lines, is_code, strict=True) if flag]
    prose = [line for line, flag in zip(lines, is_code, strict=True) if not flag]
    return code, prose


def extract_code(message: str) -> tuple[str | None, str]:
    """Split `message` into (code, prose): code from ``` fences or pasted Python lines."""
    blocks: list[str] = []
    prose_parts: list[str] = []
    last = 0
    for match in _FENCE.finditer(message):
        prose_parts.append(message[last : match.start()])
        if match.group(1).strip():
            blocks.append(match.group(1).strip("\n"))
        last = match.end()
    prose_parts.append(message[last:])
    code_lines, prose_lines = _split_unfenced("\n".join(prose_parts))
    if code_lines:
        blocks.append("\n".join(code_lines).strip("\n"))
    code = "\n\n".join(b.rstrip() for b in blocks if b.strip()) or None
    prose = "\n".join(prose_lines)
    return code, re.sub(r"\n{3,}", "\n\n", prose).strip() if code else prose
