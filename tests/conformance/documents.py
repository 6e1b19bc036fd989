"""What the spec documents say per route: the example request body, the status codes they give, and
whether they say the route needs no authentication.

The documents are markdown written by different people: a route is *mentioned* by a line carrying
``METHOD /path`` (a heading, a code block, a ``curl -X METHOD http://host/path`` line); the text from
one mention to the next is that route's section. In a section, the first ```json block right after a
line saying "request" (or a ``curl ... -d '{...}'`` body) is the example body; ``NNN Reason`` phrases
are the documented statuses; "Authentication: None" (or "no authentication") marks a public route.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custos.ops.spec_report import Route

DOCUMENTS = {
    "pipeline": "000-pipeline-monitoring.md",
    "access": "001-access-template.md",
    "twin": "002-digital-twin.md",
    "enginel": "003-enginel-plm.md",
    "sqal": "004-sqal-quality.md",
}
_MENTION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(?:https?://[^/\s]+)?(/[^\s`'\")]*)")
_STATUS = re.compile(r"\b([1-5][0-9]{2})\s+(?:OK|Created|Accepted|No Content|Found|[A-Z][a-z]+(?: [A-Z][a-z]+)*)\b")
_PUBLIC = re.compile(r"authentication:?\**:?\s*(none|not required)|no authentication|public endpoint", re.I)
_PLACEHOLDER = re.compile(r"<[^>]+>|\{[^}]+\}|:[a-z_]+")


def normal(path: str) -> str:
    """A path with every placeholder written ``{}``, no query, no trailing slash (for matching)."""
    path = path.split("?")[0].rstrip(".,;:")
    return _PLACEHOLDER.sub("{}", path).rstrip("/") or "/"


@dataclass
class Section:
    example: Any = None
    statuses: set[int] = field(default_factory=set)
    public: bool = False


def _json_block(lines: list[str], start: int) -> tuple[Any, int]:
    body: list[str] = []
    index = start + 1
    while index < len(lines) and not lines[index].strip().startswith("```"):
        body.append(lines[index])
        index += 1
    try:
        return json.loads("\n".join(body)), index
    except ValueError:
        return None, index


def _curl_body(lines: list[str], start: int) -> Any:
    text = "\n".join(lines[start : start + 30])
    found = re.search(r"-d\s+'(\{.*?\})'", text, re.S)
    if not found:
        return None
    try:
        return json.loads(found.group(1))
    except ValueError:
        return None


def parse_document(text: str, dialect: str, routes: list[Route]) -> dict[Route, Section]:
    by_mention = {(r.method, normal(r.path)): r for r in routes if r.dialect == dialect}
    sections: dict[Route, Section] = {}
    current: Route | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        mention = _MENTION.search(line)
        if mention:
            route = by_mention.get((mention.group(1), normal(mention.group(2))))
            if route is not None:
                current = route
                section = sections.setdefault(route, Section())
                if "curl" in line and section.example is None:
                    section.example = _curl_body(lines, index)
        if current is not None:
            section = sections[current]
            section.statuses.update(int(code) for code in _STATUS.findall(line))
            if _PUBLIC.search(line):
                section.public = True
            if line.strip().startswith("```json"):
                before = " ".join(lines[max(0, index - 3) : index]).lower()
                value, index = _json_block(lines, index)
                if section.example is None and "request" in before and isinstance(value, dict):
                    section.example = value
        index += 1
    return sections


def load_sections(specs_dir: Path, routes: list[Route]) -> dict[Route, Section]:
    found: dict[Route, Section] = {}
    for dialect, name in DOCUMENTS.items():
        path = specs_dir / name
        if path.exists():
            found.update(parse_document(path.read_text(encoding="utf-8"), dialect, routes))
    return found
