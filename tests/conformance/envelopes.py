"""The dialects' envelopes (DESIGN.md "Dialects", ``custos/api/errors.py``), checked on parsed bodies.

``...`` stands for a body that is not JSON (a download, a documentation page): no envelope to check.
"""

from __future__ import annotations

from typing import Any

from custos.ops.spec_report import Route

PAGE_KEYS = {"count", "next", "previous", "results"}
SQAL_PAGINATION = {"totalItems", "totalPages", "currentPage", "hasPrevious", "hasNext"}


def error_problems(body: Any, status: int, dialect: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{dialect}: an error body must be a JSON object, got {type(body).__name__}"]
    if dialect == "pipeline":
        ok = isinstance(body.get("detail"), str) or (
            status == 400 and all(isinstance(v, (list, dict)) for v in body.values())
        )
        return [] if ok else [f"pipeline: expected {{detail}} or field errors, got keys {sorted(body)}"]
    if dialect == "access":
        ok = isinstance(body.get("error"), str) and isinstance(body.get("details"), dict)
        return [] if ok else [f"access: expected {{error, details}}, got keys {sorted(body)}"]
    if dialect == "twin":
        ok = isinstance(body.get("error"), str) and isinstance(body.get("message"), str)
        return [] if ok else [f"twin: expected {{error, message}}, got keys {sorted(body)}"]
    if dialect == "enginel":
        missing = {"error", "detail", "code", "field_errors"} - set(body)
        return [] if not missing else [f"enginel: missing {sorted(missing)} in {sorted(body)}"]
    if dialect == "sqal":
        detail = body.get("detail")
        if status == 422:
            ok = isinstance(detail, list) and all(
                isinstance(i, dict) and {"loc", "msg", "type"} <= set(i) for i in detail
            )
        else:
            ok = isinstance(detail, str)
        return [] if ok else [f"sqal: expected {{detail}} (422: [{{loc, msg, type}}]), got {str(body)[:120]}"]
    return []


def check_error(body: Any, status: int, dialects: set[str]) -> None:
    """The body is the error envelope of (one of) the dialects that claim the route."""
    problems = [p for d in sorted(dialects) for p in error_problems(body, status, d)]
    assert len(problems) < len(dialects), "; ".join(problems)


def success_problems(body: Any, route: Route, dialect: str) -> list[str]:
    if body is None or body is ...:
        return []
    if isinstance(body, dict) and "results" in body and dialect in ("pipeline", "access", "enginel"):
        missing = PAGE_KEYS - set(body)
        return [f"{dialect}: page without {sorted(missing)}"] if missing else []
    if dialect == "twin":
        if isinstance(body, dict) and ("results" in body or "pagination" in body):
            return ["twin: lists are plain arrays, got a page envelope"]
        return []
    if dialect == "sqal":
        if isinstance(body, dict) and "items" in body:
            pagination = body.get("pagination")
            missing = SQAL_PAGINATION - set(pagination or {})
            return [f"sqal: pagination without {sorted(missing)}"] if missing else []
        if isinstance(body, dict) and "results" in body:
            return ["sqal: a page must be {items, pagination}, got {results}"]
        return []
    if isinstance(body, dict) and "items" in body and "pagination" in body:
        return [f"{dialect}: a sqal page envelope in the {dialect} dialect"]
    return []


def check_success(body: Any, route: Route, dialects: set[str]) -> None:
    problems = [p for d in sorted(dialects) for p in success_problems(body, route, d)]
    assert len(problems) < len(dialects), "; ".join(problems)
