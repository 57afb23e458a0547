"""Check frames: the tables the provider-return expectation suites validate.

Built from the long cell rows of one or many returns (the same shape as
``raw.provider_return_cells``). Every frame row names the ``file`` and the ``sheet`` and
``cell`` a provider should look at, so a failing row becomes one line of feedback.
Money is compared in whole pence, never floats.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pandas as pd

from dagster_project.returns import template as t

CELL_COLUMNS = ("file", "sheet", "cell", "row_group", "row_label", "column_label", "value")


def cells_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (file, sheet, cell, row_group, row_label, column_label, value)."""
    frame = pd.DataFrame(rows, columns=list(CELL_COLUMNS), dtype=object)
    frame["number"] = frame["value"].map(_number)
    return frame


def _number(text) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _pence(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _grouped(frame: pd.DataFrame, keys: tuple[str, ...]) -> dict[tuple, list]:
    """The frame's rows (named tuples) by ``keys``, in order of first appearance, leaving out rows with
    a blank key (as pandas' groupby does). One pass: a pandas group costs about a millisecond, and a
    refresh of the demo office has thousands."""
    groups: dict[tuple, list] = {}
    for row in frame.itertuples(index=False):
        key = tuple(getattr(row, k) for k in keys)
        if all(k is not None and k == k for k in key):      # k == k: not NaN
            groups.setdefault(key, []).append(row)
    return groups


def _values_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value_text=frame["value"].map(lambda v: None if v is None else str(v).strip()))[
        ["file", "sheet", "cell", "value", "value_text"]].reset_index(drop=True)


def counts(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    people = cells["sheet"].isin(["Activity", "Outcomes", "Demographics"]) | (
        (cells["sheet"] == t.IMMEDIATE_JUSTICE.sheet) & (cells["column_label"] != t.IJ_HOURS))
    return _values_as_text(cells[people])


def hours(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    return _values_as_text(cells[(cells["sheet"] == t.IMMEDIATE_JUSTICE.sheet) & (cells["column_label"] == t.IJ_HOURS)])


def money(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    return _values_as_text(cells[(cells["sheet"] == "Finance") & (cells["row_label"] != t.UNDERSPEND_LABEL)])


def outcomes(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    """Per return and outcome measure: service users improved beside service users assessed."""
    return _column_pair(cells, "Outcomes", "measure", ("Service users improved", "improved"),
                        ("Service users assessed", "assessed"))


def _column_pair(cells: pd.DataFrame, sheet: str, row_name: str, located: tuple[str, str],
                 other: tuple[str, str]) -> pd.DataFrame:
    """Per return and row of ``sheet`` (its label as ``row_name``), the numbers in two of its columns,
    each given as (column label, field name); a row is located at the first one's cell."""
    rows = []
    frame = cells[cells["sheet"] == sheet]
    for (file, label), group in _grouped(frame, ("file", "row_label")).items():
        by_column = {r.column_label: r for r in group}
        at, beside = by_column.get(located[0]), by_column.get(other[0])
        rows.append({"file": file, "sheet": sheet, "cell": at.cell if at else None,
                     "value": at.value if at else None, row_name: label,
                     located[1]: _int(at.number if at else None), other[1]: _int(beside.number if beside else None)})
    return pd.DataFrame(rows, columns=["file", "sheet", "cell", "value", row_name, located[1], other[1]]).astype(
        {located[1]: "float64", other[1]: "float64"})


def _activity_total(cells: pd.DataFrame, column: str) -> pd.Series:
    """Per file, the Activity sheet's column summed over crime types (None where every cell is blank)."""
    frame = cells[(cells["sheet"] == "Activity") & (cells["column_label"] == column)]

    def total(values):
        known = [x for x in values if x is not None]
        return _int(sum(known, Decimal(0))) if known else None
    return frame.groupby("file")["number"].apply(total)


def demographics(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    """One row per return, characteristic and column: "Service users" adds up to the service users
    supported, "New service users" (PQR-2025.1) to the New cases; each pair sits in its own columns."""
    supported = _activity_total(cells, "Service users supported")
    new_cases = _activity_total(cells, "New cases")
    rows = []
    frame = cells[cells["sheet"] == "Demographics"]
    for (file, characteristic, column), group in _grouped(frame, ("file", "row_group", "column_label")).items():
        numbers = [r.number for r in group if r.number is not None]
        cells_in = [r.cell for r in group]
        total = _int(sum(numbers, Decimal(0))) if numbers else None
        row = {"file": file, "sheet": "Demographics",
               "cell": f"{cells_in[0]}:{cells_in[-1]}" if len(cells_in) > 1 else cells_in[0],
               "characteristic": characteristic, "column": column}
        if column == t.NEW_SERVICE_USERS:
            row.update(value=f"{characteristic} new service users add up to {_int(sum(numbers, Decimal(0)))}",
                       new_users_total=total, new_cases=new_cases.get(file))
        else:
            row.update(value=f"{characteristic} adds up to {_int(sum(numbers, Decimal(0)))}",
                       characteristic_total=total, service_users_supported=supported.get(file))
        rows.append(row)
    columns = ["file", "sheet", "cell", "value", "characteristic", "column", "characteristic_total",
               "service_users_supported", "new_users_total", "new_cases"]
    return pd.DataFrame(rows, columns=columns).astype(
        {"characteristic_total": "float64", "service_users_supported": "float64", "new_users_total": "float64",
         "new_cases": "float64"})


def activity(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    """Per return and crime type: New cases cannot be more than Service users supported (supported =
    open at the start of the quarter + New cases)."""
    return _column_pair(cells, "Activity", "crime_type", ("New cases", "new_cases"),
                        ("Service users supported", "service_users_supported"))


def immediate_justice(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    """Per return, disposal route and rule, the two sides of the rule in that rule's own columns, and the
    cell the provider should look at: started (within + after 48 hours) <= referrals; completed + did not
    complete <= started; adults + children = started. Blank cells count as 0 in a sum of several, and a
    rule whose sides are all blank is not checked."""
    rows = []
    frame = cells[cells["sheet"] == t.IMMEDIATE_JUSTICE.sheet]
    for (file, route), group in _grouped(frame, ("file", "row_label")).items():
        by_column = {r.column_label: r for r in group}

        def number(column):
            r = by_column.get(column)
            return None if r is None else r.number

        def total(*columns):
            known = [number(c) for c in columns if number(c) is not None]
            return _int(sum(known, Decimal(0))) if known else None

        def place(first, last):
            cells_in = [by_column[c].cell for c in (first, last) if c in by_column]
            return ":".join(dict.fromkeys(cells_in)) or None

        started = total(t.IJ_WITHIN_48, t.IJ_AFTER_48)
        checks = (   # (rule, the cells to look at: first and last column, the two sides)
            ("started", (t.IJ_REFERRALS, t.IJ_AFTER_48),
             {"started": started, "referrals": _int(number(t.IJ_REFERRALS))}),
            ("finished", (t.IJ_COMPLETED, t.IJ_NOT_COMPLETED),
             {"finished": total(t.IJ_COMPLETED, t.IJ_NOT_COMPLETED), "started_for_finished": started}),
            ("ages", (t.IJ_ADULTS, t.IJ_CHILDREN),
             {"adults_and_children": total(t.IJ_ADULTS, t.IJ_CHILDREN), "started_for_ages": started}),
        )
        for check, columns, sides in checks:
            cell = place(*columns)
            value = ", ".join(f"{k.split('_for_')[0].replace('_', ' ')} {v}" for k, v in sides.items())
            rows.append({"file": file, "sheet": t.IMMEDIATE_JUSTICE.sheet, "cell": cell, "value": value,
                         "disposal_route": route, "check": check, **sides})
    numbers = ["started", "referrals", "finished", "started_for_finished", "adults_and_children", "started_for_ages"]
    return pd.DataFrame(rows, columns=["file", "sheet", "cell", "value", "disposal_route", "check", *numbers]).astype(
        {c: "float64" for c in numbers})


def finance(cells: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    limit_ratio = Decimal(parameters.get("spend_limit_ratio_of_quarter_budget", "1.10"))
    under_ratio = Decimal(parameters.get("underspend_ratio_needing_explanation", "0.90"))
    rows = []
    frame = cells[cells["sheet"] == "Finance"]
    for (file,), group in _grouped(frame, ("file",)).items():
        explanation = [r for r in group if r.row_label == t.UNDERSPEND_LABEL]
        explained = any(bool(r.value and str(r.value).strip()) for r in explanation)
        explanation_cell = explanation[0].cell if explanation else None
        value = {(r.row_label, r.column_label): r for r in group if r.row_label != t.UNDERSPEND_LABEL}
        for column in t.FINANCE.values:
            total = value.get((t.FINANCE_TOTAL, column))
            parts = [value[(c, column)].number for c in t.SPEND_CATEGORIES if (c, column) in value]
            known = [p for p in parts if p is not None]
            rows.append({"file": file, "sheet": "Finance", "cell": total.cell if total else None,
                         "value": total.value if total else None, "check": f"{column} adds up",
                         "categories_pence": _pence(sum(known, Decimal(0))) if known else None,
                         "total_pence": _pence(total.number) if total else None})
        for label in (*t.SPEND_CATEGORIES, t.FINANCE_TOTAL):
            budget, spend = value.get((label, "Annual budget")), value.get((label, "Spend this quarter"))
            if budget is None or spend is None or budget.number is None or spend.number is None:
                continue
            rows.append({"file": file, "sheet": "Finance", "cell": spend.cell, "value": spend.value,
                         "check": f"{label} within budget",
                         "limit_pence": _pence(budget.number * limit_ratio / 4), "spend_pence": _pence(spend.number)})
        budget, forecast = value.get((t.FINANCE_TOTAL, "Annual budget")), value.get((t.FINANCE_TOTAL, "Forecast full year"))
        if budget and forecast and budget.number is not None and forecast.number is not None:
            under = forecast.number < budget.number * under_ratio
            rows.append({"file": file, "sheet": "Finance", "cell": explanation_cell or forecast.cell,
                         "value": forecast.value, "check": "underspend explained",
                         "underspend_explained": (not under) or explained})
    columns = ["file", "sheet", "cell", "value", "check", "categories_pence", "total_pence", "limit_pence",
               "spend_pence", "underspend_explained"]
    result = pd.DataFrame(rows, columns=columns)
    for column in ("categories_pence", "total_pence", "limit_pence", "spend_pence"):
        result[column] = result[column].astype("float64")   # exact: pence stay far below 2**53
    result["underspend_explained"] = result["underspend_explained"].astype(object)
    return result


def kpis(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    rows = []
    frame = cells[cells["sheet"] == "KPIs"]
    for (file, kpi), group in _grouped(frame, ("file", "row_label")).items():
        by_column = {r.column_label: r for r in group}
        actual, target = by_column.get("Actual"), by_column.get("Target")
        if actual is None or actual.value is None:
            continue
        rows.append({"file": file, "sheet": "KPIs", "cell": target.cell if target else actual.cell,
                     "value": target.value if target else None, "kpi": kpi,
                     "has_target": bool(target is not None and target.number is not None)})
    return pd.DataFrame(rows, columns=["file", "sheet", "cell", "value", "kpi", "has_target"])


def _int(value):
    return None if value is None else int(value)


BUILDERS = {"counts": counts, "money": money, "outcomes": outcomes, "demographics": demographics,
            "finance": finance, "kpis": kpis, "activity": activity, "hours": hours,
            "immediate_justice": immediate_justice}
