"""Find literal secrets in deployment files.

Two passes: YAML files are walked as data (a credential-like key or `name:` entry with a literal
value), and every file is scanned as text for shapes that are secrets whatever the key (private
keys, credentials inside URLs or conninfo strings, tokens, `--from-literal` secrets). A value is
fine when it is a placeholder filled in at deploy time: `${VAR}`, `$VAR`, `$(...)`, or empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SECRET_KEY = re.compile(
    r"(?i)(pass(word|wd)?$|pwd$|secret|token|api[-_]?key|private[-_]?key|access[-_]?key"
    r"|credential|conn(ection)?[-_]?str(ing)?|_conn$|dsn$|database[-_]?url)"
)
# Keys whose value *names* a secret (a Secret, a store, a reference) rather than holding one.
REFERENCE_KEY = re.compile(
    r"(?i)(secretstore|storename|secretname|secretkeyref|secretref|-secret$|credentials$"
    r"|_secrets$|^key$|_names?$|_is_base64$)"
)
PLACEHOLDER = re.compile(r"^(\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\(.+\)|\"?\$.*)$")
# an absolute path, or a relative path to a database file (e.g. the name resolver's SQLite file)
FILE_PATH = re.compile(r"^(/[\w./-]+|[\w.-]+(/[\w.-]+)+\.(db|sqlite3?))$")
TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("credentials in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@\"']+:(?!\$)[^@\s/\"']+@")),
    ("password in a conninfo string", re.compile(r"(?i)\bpassword=(?![\"']?\$)[^\s\"']+")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")),
    ("AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("API key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    (
        "secret in --from-literal",
        re.compile(
            r"--from-literal=[\w.-]*(?i:password|secret|token|api-key)[\w.-]*=(?![\"']?\$)\S+"
        ),
    ),
    (
        "secret in ENV/ARG",
        re.compile(
            r"(?m)^\s*(?:ENV|ARG)\s+\w*(?:PASSWORD|SECRET|TOKEN|API_KEY)\w*[= ](?![\"']?\$)\S+"
        ),
    ),
]


def _literal(value: Any) -> bool:
    """A value that is a secret as written: not empty, not a placeholder, not a template whose
    credentials come from placeholders (the text rules check those), not a file path."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or PLACEHOLDER.match(text) or "${" in text or "$(" in text:
        return False
    return not FILE_PATH.match(text)


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(path, key, value) of every string under a credential-like key or name/value pair."""
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and "value" in node and SECRET_KEY.search(name):
            yield f"{path}[name={name}]", name, node["value"]
        for key, value in node.items():
            key_text = str(key)
            here = f"{path}.{key_text}" if path else key_text
            if isinstance(value, str) and SECRET_KEY.search(key_text):
                if not REFERENCE_KEY.search(key_text):
                    yield here, key_text, value
            else:
                yield from _walk(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{path}[{index}]")


def scan_text(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for label, rule in TEXT_RULES:
            if rule.search(line):
                found.append(f"line {number}: {label}")
    return found


def scan_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = [f"{path}: {p}" for p in scan_text(text)]
    if path.suffix in {".yaml", ".yml"}:
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            return [*problems, f"{path}: not YAML ({exc})"]
        for index, doc in enumerate(docs):
            for where, _key, value in _walk(doc, f"doc{index}"):
                if _literal(value):
                    problems.append(f"{path}: {where} holds a literal secret")
    return problems
