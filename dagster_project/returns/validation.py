"""Validate provider quarterly returns and tell the provider, in plain English, what to fix.

Two layers. Structural checks in code: the file is a workbook of the current template
(version, sheets, header rows, row labels), cells are not merged, formulas have values,
the agreement exists and was active in the quarter, the quarter is over. Then the rule
suites in ``expectations/`` (Great Expectations) on frames built from the cells. Errors
reject the return; warnings accept it with a flag. Many returns are validated in one
pass, so the suites run once per batch, not once per file.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from dagster_project.extract.landing import BadInput
from dagster_project.periods import Quarter
from dagster_project.returns import frames as fr
from dagster_project.returns import template as t
from dagster_project.returns.reader import read_cells
from dagster_project.safe_text import FORMULA_PREFIXES

ERROR, WARNING = "error", "warning"
NOT_A_RETURN, REJECTED, WARNED, ACCEPTED = "not_a_return", "rejected", "accepted_with_warnings", "accepted"


@dataclass(frozen=True)
class Problem:
    severity: str
    sheet: str | None
    cell: str | None
    value: object
    rule: str
    fix: str

    @property
    def place(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or "the workbook"

    def sentence(self) -> str:
        found = "" if self.value in (None, "") else f" (found: {self.value!r})"
        return f"{self.place}{found}: {self.rule}. {self.fix}".strip()


@dataclass
class Verdict:
    file: str
    status: str = ACCEPTED
    problems: list[Problem] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)     # cells as loaded: (sheet, cell, group, label, column, value)
    agreement_ref: str | None = None
    quarter: str | None = None
    template_version: str | None = None
    # Each row-wise suite's failures in this return, by suite_key (kept at landing for the asset checks).
    suite_results: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def rejected(self) -> bool:
        return self.status in (REJECTED, NOT_A_RETURN)

    @property
    def kind(self) -> str:
        """How the quarantine records it: a file that is no return at all, or a return sent back."""
        return "bad_file" if self.status == NOT_A_RETURN else "rejected_return"

    def settle(self) -> "Verdict":
        if self.status != NOT_A_RETURN:
            self.status = REJECTED if self.errors else WARNED if self.warnings else ACCEPTED
        return self

    def summary(self) -> str:
        if self.status == NOT_A_RETURN:
            return f"{self.file}: not a quarterly monitoring return: {self.problems[0].sentence()}"
        head = {REJECTED: "rejected", WARNED: "accepted with warnings", ACCEPTED: "accepted"}[self.status]
        first = f"; first: {self.errors[0].sentence()}" if self.errors else ""
        return f"{self.file}: {head} ({len(self.errors)} error(s), {len(self.warnings)} warning(s)){first}"


def error(sheet, cell, value, rule, fix) -> Problem:
    return Problem(ERROR, sheet, cell, value, rule, fix)


def structural_problems(path: Path) -> list[Problem]:
    """What the sheet XML says and openpyxl's value reading hides: merged cells, formulas without values."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        sheet_files = _sheet_files(zf)
        for sheet, part in sheet_files.items():
            if sheet not in t.ALL_SHEETS or sheet == "Guidance":
                continue
            xml = zf.read(part).decode("utf-8", errors="replace")
            for ref in re.findall(r'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', xml):
                problems.append(error(sheet, ref, None, "Cells are merged",
                                      "Unmerge these cells (Home > Merge & Center > Unmerge Cells) and put each "
                                      "figure in its own cell."))
            for ref in re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f[^>]*>[^<]*</f>\s*(?:<v\s*/>\s*|<v>\s*</v>\s*)?</c>', xml):
                problems.append(error(sheet, ref, None, "This cell has a formula but no calculated value",
                                      "Type the number itself, or open the file in Excel and save it so the "
                                      "formula is calculated."))
    return problems


def _sheet_files(zf: zipfile.ZipFile) -> dict[str, str]:
    workbook = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets.get(rid, "")
        out[name] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def read_return(path: Path, name: str) -> Verdict:
    """Open and read one file; structural problems go on the verdict."""
    verdict = Verdict(name)
    try:
        rows, _ = read_cells(path, name)
    except BadInput as exc:
        not_return = any(word in exc.message for word in (
            "not an Excel workbook", "empty (0 bytes)", "password-protected", "damaged", "entity",
            "cannot be read", "does not look like", "unpacks to"))
        verdict.status = NOT_A_RETURN if not_return else REJECTED
        sheet, cell = (exc.locator.split("!", 1) + [None])[:2] if exc.locator else (None, None)
        verdict.problems.append(error(sheet, cell, None, exc.message.rstrip("."),
                                      "Use the quarterly monitoring return template sent to you, without renaming, "
                                      "adding or removing sheets, rows or columns."))
        return verdict
    verdict.rows = rows
    verdict.problems += structural_problems(path)
    cover = {r[3]: (r[1], r[5]) for r in rows if r[0] == t.COVER_SHEET}
    version = cover.get("Template version", (None, None))[1]
    version_cell = cover.get("Template version", ("B3",))[0]
    verdict.agreement_ref = cover.get("Agreement reference", (None, None))[1]
    verdict.quarter = cover.get("Quarter", (None, None))[1]
    verdict.template_version = version
    if version not in t.ACCEPTED_VERSIONS:
        earlier = "; ".join(f"{v} for {t.valid_quarters_text(v)}" for v in t.ACCEPTED_VERSIONS
                            if v != t.TEMPLATE_VERSION)
        verdict.problems.append(error(t.COVER_SHEET, version_cell, version,
                                      f"This is not the current template (version {t.TEMPLATE_VERSION}) nor an "
                                      f"earlier one still accepted ({earlier})",
                                      "Copy your figures into the current template and send that instead."))
    elif verdict.quarter and not t.version_covers(version, str(verdict.quarter)):
        verdict.problems.append(error(t.COVER_SHEET, version_cell, version,
                                      f"{name}: template version {version} (cover cell {t.COVER_SHEET}!{version_cell}) "
                                      f"is accepted only for {t.valid_quarters_text(version)}, not for "
                                      f"{verdict.quarter}",
                                      f"Copy your figures into the current template (version {t.TEMPLATE_VERSION}) "
                                      f"and send that instead."))
    verdict.problems += _label_problems(rows)
    verdict.problems += _text_problems(rows)
    verdict.problems += _completeness_problems(rows, cover)
    if version == t.TEMPLATE_VERSION:
        verdict.problems += _new_people_problems(rows)
    return verdict


def _number(value) -> Decimal | None:
    try:
        return None if value is None or isinstance(value, bool) else Decimal(str(value))
    except InvalidOperation:
        return None


def _new_people_problems(rows: list[tuple]) -> list[Problem]:
    """From PQR-2025.1 the warehouse counts each person once over a half-year or year from the
    people new in each quarter: New cases must be given wherever people are supported, and New
    service users wherever there are new cases (a blank would leave those people out)."""
    problems = []
    activity: dict[str, dict[str, tuple]] = {}
    for r in rows:
        if r[0] == t.ACTIVITY.sheet:
            activity.setdefault(r[3], {})[r[4]] = r
    new_cases_total = 0
    for crime_type, cells in activity.items():
        supported, new = cells.get("Service users supported"), cells.get("New cases")
        if new is not None and new[5] is None and supported is not None and (_number(supported[5]) or 0) > 0:
            problems.append(error(t.ACTIVITY.sheet, new[1], None,
                                  f"New cases for {crime_type} is empty, yet people are supported",
                                  "Enter the people whose support started this quarter (0 where none): each person "
                                  "is counted once over the half-year from them."))
        new_cases_total += (_number(new[5]) or 0) if new is not None else 0
    new_users = [r for r in rows if r[0] == t.DEMOGRAPHIC_GRID.sheet and r[4] == t.NEW_SERVICE_USERS]
    if new_cases_total > 0 and new_users and all(r[5] is None for r in new_users):
        problems.append(error(t.DEMOGRAPHIC_GRID.sheet, f"{new_users[0][1]}:{new_users[-1][1]}", None,
                              f"New service users are empty, yet the Activity sheet has {new_cases_total:f} new cases",
                              "Give the groups of the people whose support started this quarter in the New service "
                              "users column (each characteristic adds up to the New cases); use 'Not stated' where "
                              "you do not know."))
    return problems


def _completeness_problems(rows: list[tuple], cover: dict) -> list[Problem]:
    problems = []
    supported = [r for r in rows if r[0] == t.ACTIVITY.sheet and r[4] == "Service users supported"]
    if supported and all(r[5] is None for r in supported):
        problems.append(error(t.ACTIVITY.sheet, f"{supported[0][1]}:{supported[-1][1]}", None,
                              "No service users supported are entered",
                              "Enter the number of people supported in each row (0 where none)."))
    ij = [r for r in rows if r[0] == t.IMMEDIATE_JUSTICE.sheet]
    if ij and all(r[5] is None for r in ij):
        problems.append(error(t.IMMEDIATE_JUSTICE.sheet, f"{ij[0][1]}:{ij[-1][1]}", None,
                              "No Immediate Justice figures are entered",
                              "Enter the quarter's figures for each disposal route (0 where none)."))
    for label in ("Completed by", "Date completed"):
        cell, value = cover.get(label, (None, None))
        if cell and value is None:
            problems.append(Problem(WARNING, t.COVER_SHEET, cell, None, f"'{label}' is empty",
                                    "Fill it in so we know who to contact about this return."))
    return problems


def _label_problems(rows: list[tuple]) -> list[Problem]:
    """Rows the template defines must all be there, under their own names (KPIs vary by agreement)."""
    problems = []
    found = {(r[0], r[2], r[3]) for r in rows}
    expected = [(t.ACTIVITY.sheet, None, c) for c in t.CRIME_TYPES]
    expected += [(t.OUTCOMES.sheet, None, m) for m in t.OUTCOME_MEASURES]
    expected += [(t.FINANCE.sheet, None, c) for c in (*t.SPEND_CATEGORIES, t.FINANCE_TOTAL)]
    expected += [(t.DEMOGRAPHIC_GRID.sheet, c, g) for c, groups in t.DEMOGRAPHICS.items() for g in groups]
    if any(r[0] == t.IMMEDIATE_JUSTICE.sheet for r in rows):
        expected += [(t.IMMEDIATE_JUSTICE.sheet, None, route) for route in t.DISPOSAL_ROUTES]
    missing = [e for e in expected if e not in found]
    for sheet, group, label in missing[:10]:
        what = f"{group}: {label}" if group else label
        problems.append(error(sheet, "A:B" if group else "A", None, f"The row '{what}' is missing or was renamed",
                              "Use the template's rows as they are; put figures in the shaded cells only."))
    return problems


def _text_problems(rows: list[tuple]) -> list[Problem]:
    """Free text that a spreadsheet would run as a formula is kept as text; say so."""
    problems = []
    for sheet, cell, _, label, _, value in rows:
        if label in (t.UNDERSPEND_LABEL, "Completed by") and isinstance(value, str) \
                and value.strip().startswith(FORMULA_PREFIXES):
            problems.append(Problem(WARNING, sheet, cell, value,
                                    "This text starts with a character spreadsheets treat as a formula; it is "
                                    "stored as plain text",
                                    "If you meant plain text, no action is needed; do not paste formulas here."))
    return problems


def check_immediate_justice_sheet(verdict: Verdict, categories: dict[str, str] | None) -> None:
    """An Immediate Justice agreement's return of the current template has the Immediate Justice sheet;
    no other agreement's has. Without the register's categories (an offline check) nothing is said."""
    if verdict.status == NOT_A_RETURN or not verdict.rows or not categories \
            or verdict.agreement_ref not in categories or verdict.template_version != t.TEMPLATE_VERSION:
        return
    sheet = t.IMMEDIATE_JUSTICE.sheet
    has_sheet = any(r[0] == sheet for r in verdict.rows)
    is_ij = categories[verdict.agreement_ref] == t.IMMEDIATE_JUSTICE_CATEGORY
    if is_ij and not has_sheet:
        verdict.problems.append(error(sheet, None, None,
                                      f"Agreement {verdict.agreement_ref} is an Immediate Justice agreement: its "
                                      f"{t.TEMPLATE_VERSION} return must have the '{sheet}' sheet (referrals, starts "
                                      f"within and after 48 hours, completions, adults and children, hours of "
                                      f"reparation and victims, by disposal route), and this workbook has none",
                                      f"Use the template issued for this agreement (pccw returns template), which has "
                                      f"the '{sheet}' sheet, and fill it in."))
    elif has_sheet and not is_ij:
        verdict.problems.append(error(sheet, None, None,
                                      f"Agreement {verdict.agreement_ref} is not an Immediate Justice agreement, yet "
                                      f"the workbook has an '{sheet}' sheet",
                                      "Use the template issued for this agreement, which has no such sheet."))


def check_against_register(verdict: Verdict, register: dict[str, tuple[dt.date, dt.date]], today: dt.date) -> None:
    """The agreement exists and was active in the quarter, and the quarter is over."""
    if verdict.status == NOT_A_RETURN or not verdict.rows:
        return
    ref, quarter_label = verdict.agreement_ref, verdict.quarter
    try:
        quarter = Quarter.parse(quarter_label or "")
    except ValueError:
        verdict.problems.append(error(t.COVER_SHEET, "B7", quarter_label, "The quarter is not in the form 2024-25-Q2",
                                      "Do not change the quarter on the cover; ask for the template for the right quarter."))
        return
    if ref not in register:
        verdict.problems.append(error(t.COVER_SHEET, "B4", ref, "There is no agreement with this reference",
                                      "Do not change the agreement reference; ask your commissioning officer for the "
                                      "template for your agreement."))
    else:
        start, end = register[ref]
        if not (start <= quarter.end and end >= quarter.start):
            verdict.problems.append(error(t.COVER_SHEET, "B7", quarter_label,
                                          f"Agreement {ref} was not running in {quarter_label} "
                                          f"(it runs {start:%d/%m/%Y} to {end:%d/%m/%Y})",
                                          "Check the quarter; send returns only for quarters the agreement ran in."))
    if quarter.end >= today:
        verdict.problems.append(error(t.COVER_SHEET, "B7", quarter_label,
                                      f"The quarter has not ended yet (it ends {quarter.end:%d/%m/%Y})",
                                      "Send the return after the quarter has ended."))


def apply_rule_suites(verdicts: list[Verdict]) -> None:
    """Run every provider-return suite once over all the readable returns; each return's failures are
    also kept by suite (``Verdict.suite_results``), so the asset checks need not judge it again."""
    from dagster_project.checks.suites import failure_record, load_suites, run_suite, suite_key

    readable = [v for v in verdicts if v.status != NOT_A_RETURN and v.rows]
    if not readable:
        return
    by_file = {v.file: v for v in readable}
    cells = fr.cells_frame([(v.file, *row) for v in readable for row in v.rows])
    for suite in load_suites("provider_return_"):
        frame = fr.BUILDERS[suite.frame](cells, suite.parameters)
        found: dict[str, list[dict]] = {v.file: [] for v in readable}
        for failure in run_suite(suite, frame):
            row = failure.row
            by_file[row["file"]].problems.append(Problem(
                ERROR if failure.severity == "critical" else WARNING, row.get("sheet"), row.get("cell"),
                _clean(row.get("value")), failure.rule, failure.fix))
            found[row["file"]].append(failure_record(failure))
        key = suite_key(suite)
        if key is not None:
            for file, records in found.items():
                by_file[file].suite_results[key] = records


def _clean(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def validate(files: list[tuple[Path, str]], register: dict[str, tuple[dt.date, dt.date]],
             today: dt.date | None = None, categories: dict[str, str] | None = None) -> list[Verdict]:
    """``categories``: each agreement's service category (the register), to know which returns must
    have the Immediate Justice sheet."""
    today = today or dt.date.today()
    verdicts = [read_return(path, name) for path, name in files]
    for verdict in verdicts:
        check_against_register(verdict, register, today)
        check_immediate_justice_sheet(verdict, categories)
    apply_rule_suites(verdicts)
    for verdict in verdicts:
        verdict.problems.sort(key=lambda p: (p.severity != ERROR, t.ALL_SHEETS.index(p.sheet) if p.sheet in t.ALL_SHEETS else 99,
                                             _cell_order(p.cell)))
    return [v.settle() for v in verdicts]


def _cell_order(cell: str | None) -> tuple:
    m = re.match(r"([A-Z]+)([0-9]+)", cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, "")
