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


def _values_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value_text=frame["value"].map(lambda v: None if v is None else str(v).strip()))[
        ["file", "sheet", "cell", "value", "value_text"]].reset_index(drop=True)


def counts(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    return _values_as_text(cells[cells["sheet"].isin(["Activity", "Outcomes", "Demographics"])])


def money(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    return _values_as_text(cells[(cells["sheet"] == "Finance") & (cells["row_label"] != t.UNDERSPEND_LABEL)])


def outcomes(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    rows = []
    frame = cells[cells["sheet"] == "Outcomes"]
    for (file, measure), group in frame.groupby(["file", "row_label"], sort=False):
        by_column = {r.column_label: r for r in group.itertuples()}
        assessed, improved = by_column.get("Service users assessed"), by_column.get("Service users improved")
        rows.append({"file": file, "sheet": "Outcomes", "cell": improved.cell if improved else None,
                     "value": improved.value if improved else None, "measure": measure,
                     "assessed": _int(assessed.number if assessed else None),
                     "improved": _int(improved.number if improved else None)})
    return pd.DataFrame(rows, columns=["file", "sheet", "cell", "value", "measure", "assessed", "improved"]).astype(
        {"assessed": "float64", "improved": "float64"})


def demographics(cells: pd.DataFrame, _: dict) -> pd.DataFrame:
    supported = (cells[(cells["sheet"] == "Activity") & (cells["column_label"] == "Service users supported")]
                 .groupby("file")["number"].apply(lambda s: _int(sum((x for x in s if x is not None), Decimal(0)))))
    rows = []
    frame = cells[cells["sheet"] == "Demographics"]
    for (file, characteristic), group in frame.groupby(["file", "row_group"], sort=False):
        numbers = [x for x in group["number"] if x is not None]
        cells_in = list(group["cell"])
        rows.append({"file": file, "sheet": "Demographics",
                     "cell": f"{cells_in[0]}:{cells_in[-1]}" if len(cells_in) > 1 else cells_in[0],
                     "value": f"{characteristic} adds up to {_int(sum(numbers, Decimal(0)))}",
                     "characteristic": characteristic,
                     "characteristic_total": _int(sum(numbers, Decimal(0))) if numbers else None,
                     "service_users_supported": supported.get(file)})
    return pd.DataFrame(rows, columns=["file", "sheet", "cell", "value", "characteristic", "characteristic_total",
                                       "service_users_supported"]).astype(
        {"characteristic_total": "float64", "service_users_supported": "float64"})


def finance(cells: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    limit_ratio = Decimal(parameters.get("spend_limit_ratio_of_quarter_budget", "1.10"))
    under_ratio = Decimal(parameters.get("underspend_ratio_needing_explanation", "0.90"))
    rows = []
    frame = cells[cells["sheet"] == "Finance"]
    for file, group in frame.groupby("file", sort=False):
        explanation = group[group["row_label"] == t.UNDERSPEND_LABEL]
        explained = bool(explanation["value"].map(lambda v: bool(v and str(v).strip())).any())
        explanation_cell = explanation["cell"].iloc[0] if len(explanation) else None
        grid = group[group["row_label"] != t.UNDERSPEND_LABEL]
        value = {(r.row_label, r.column_label): r for r in grid.itertuples()}
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
    for (file, kpi), group in frame.groupby(["file", "row_label"], sort=False):
        by_column = {r.column_label: r for r in group.itertuples()}
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
            "finance": finance, "kpis": kpis}
