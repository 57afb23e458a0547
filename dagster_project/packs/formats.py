"""How a pack prints a figure: money, percentages, counts and numbers, and "not available"."""
from __future__ import annotations

from decimal import Decimal

NOT_AVAILABLE = "not available"


def format_value(value, fmt: str | None) -> str:
    """A figure as the pack prints it: £1,234.56, 12.3%, 1,234; "not available" when missing."""
    if value is None:
        return NOT_AVAILABLE if fmt else ""
    if fmt == "money":
        return f"£{value:,.2f}" if value >= 0 else f"-£{-value:,.2f}"
    if fmt == "percent":
        return f"{float(value) * 100:.1f}%"
    if fmt == "count":
        return f"{int(value):,}"
    if fmt == "number":      # one decimal, or two where the second is not 0 (1.5 FTE, 0.75 FTE)
        text = f"{Decimal(str(value)):,.2f}"
        return text[:-1] if text.endswith("0") else text
    return str(value)
