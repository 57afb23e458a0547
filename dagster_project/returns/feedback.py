"""Feedback a charity worker can act on: a plain-text list and a copy of the workbook with
the problem cells marked red, each with a comment saying what is wrong and how to fix it."""
from __future__ import annotations

from pathlib import Path

from dagster_project.returns.validation import ACCEPTED, NOT_A_RETURN, REJECTED, WARNED, Verdict
from dagster_project.xlsx_files import save_workbook

HEADLINES = {
    REJECTED: "NOT ACCEPTED - please correct the errors below and send the whole workbook again.",
    NOT_A_RETURN: "NOT ACCEPTED - this file is not the quarterly monitoring return template.",
    WARNED: "ACCEPTED WITH WARNINGS - please check the points below; no need to resend unless a figure is wrong.",
    ACCEPTED: "ACCEPTED - thank you.",
}


def feedback_text(verdict: Verdict) -> str:
    lines = [f"Quarterly monitoring return: {verdict.file}"]
    if verdict.agreement_ref or verdict.quarter:
        lines.append(f"Agreement: {verdict.agreement_ref or '?'}    Quarter: {verdict.quarter or '?'}")
    lines += [f"Result: {HEADLINES[verdict.status]}", ""]
    for title, problems in (("Errors (must be fixed)", verdict.errors), ("Warnings (please check)", verdict.warnings)):
        if problems:
            lines.append(f"{title}:")
            lines += [f"{n:3}. {p.sentence()}" for n, p in enumerate(problems, start=1)]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_feedback(verdict: Verdict, source: Path, folder: Path, stem: str) -> list[Path]:
    """Write ``<stem>.feedback.txt`` and, where the workbook opens, ``<stem>.marked.xlsx``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / f"{stem}.feedback.txt"
    text.write_text(feedback_text(verdict), encoding="utf-8")
    written = [text]
    if verdict.status != NOT_A_RETURN and verdict.problems:
        marked = folder / f"{stem}.marked.xlsx"
        if mark_workbook(verdict, source, marked):
            written.append(marked)
    return written


def mark_workbook(verdict: Verdict, source: Path, target: Path) -> bool:
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    red = PatternFill("solid", fgColor="F4B6B6")
    amber = PatternFill("solid", fgColor="FFE08A")
    try:
        wb = load_workbook(source)
    except Exception:
        return False
    for problem in verdict.problems:
        if problem.sheet not in wb.sheetnames or not problem.cell or problem.cell[0] not in "ABCDEFGHIJ":
            continue
        ws = wb[problem.sheet]
        try:
            cells = ws[problem.cell]
        except ValueError:
            continue
        flat = [c for row in cells for c in row] if isinstance(cells, tuple) and cells and isinstance(cells[0], tuple) \
            else (list(cells) if isinstance(cells, tuple) else [cells])
        for cell in flat:
            cell.fill = red if problem.severity == "error" else amber
        first = flat[0]
        note = f"{problem.rule}. {problem.fix}"
        first.comment = Comment(note if not first.comment else f"{first.comment.text}\n\n{note}", "Commissioning team")
    save_workbook(wb, target)
    return True
