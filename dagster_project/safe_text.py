"""Text from outside stays text: the one place for the formula-injection rule.

Provider names, service names, KPI names, agreement references, ledger descriptions and
anything else that came from a provider, the register or another system is written into
workbooks and CSV files that people open in Excel. A value that starts with ``=`` (or
``+``, ``-``, ``@``, a tab or a carriage return) can be run as a formula there: a
hostile or unlucky provider name becomes a live cell, and a locked template cell the
provider cannot edit then fails validation. Every writer of outside text goes through
here (:func:`set_text`: the string is stored as a string, never a formula). No CSV of outside
text is written today; one that is must quote these prefixes (the OWASP rule) here too.
"""
from __future__ import annotations

from typing import Any

# The characters that make a spreadsheet treat a cell's text as a formula (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def set_text(cell, value: Any):
    """Write ``value`` into an openpyxl ``cell`` so that a str is stored as a string, never a formula.

    openpyxl turns a str starting with ``=`` into a formula; marking the cell as a string
    (``data_type = "s"``) after the assignment keeps it as the text it is, whatever it
    starts with. Values that are not str (numbers, dates, None) are written as they are.
    Returns the cell, so a caller can go on to set its font, fill or protection.
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell

