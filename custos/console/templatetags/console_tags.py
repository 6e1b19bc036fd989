"""Template helpers of the console."""

from __future__ import annotations

from django import template

from custos.console.finders import vendor_available

register = template.Library()


@register.simple_tag
def vendor_present(static_path: str) -> bool:
    """Whether a pinned front-end library is installed (``make install`` with npm)."""
    return vendor_available(static_path)
