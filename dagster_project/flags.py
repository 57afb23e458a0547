"""Things the office should look at that were accepted, not refused: today, ledger revisions.

A later general-ledger export that changes a transaction already reported (its amount, posting
date, cost centre, agreement or journal type) is the finance system's truth and is counted; but
a figure already sent may move, so each revision is listed for the finance officer with the
rendered pack figures it feeds (the forward trace of ``pccw trace``).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.lineage.trace import TraceError, trace_transaction

REVISIONS_MODEL = "intermediate.int_ledger_lines_revised"


def ledger_revisions(con: duckdb.DuckDBPyConnection, packs_root: Path) -> list[dict]:
    """Each revised transaction (a row of ``int_ledger_lines_revised`` as a dict), with ``feeds``: the
    figures of the packs rendered under ``packs_root`` (reports out/<tenant>) that its latest version
    feeds, one entry per figure. ``con`` may be read-only. An empty list when the warehouse has not
    been built with that model yet."""
    exists = con.execute("""select count(*) from information_schema.tables
                            where table_schema = 'intermediate' and table_name = 'int_ledger_lines_revised'""")
    if not exists.fetchone()[0]:
        return []
    cursor = con.execute(f"select * from {REVISIONS_MODEL} order by latest_loaded_at, transaction_id")
    names = [d[0] for d in cursor.description]
    revisions = [dict(zip(names, row)) for row in cursor.fetchall()]
    for revision in revisions:
        try:
            feeds = trace_transaction(con, revision["transaction_id"], packs_root)["feeds"]
        except TraceError:   # not in the matched lines (cannot happen after a full build)
            feeds = []
        seen, revision["feeds"] = set(), []
        for feed in feeds:   # a line split across priorities feeds a total once per part
            key = (feed["pack"], feed["period"], feed["figure"])
            if key not in seen:
                seen.add(key)
                revision["feeds"].append({k: feed[k] for k in ("pack", "period", "figure", "sheet", "cell",
                                                                 "folder")})
    return revisions


def format_revisions(rows: list[dict]) -> list[str]:
    """One line per revision, e.g. ``GL1: £100.00 in ledger/gl_2024-05.csv line 2 became £120.00 in
    ledger/gl_2024-06.csv line 3 (+£20.00); moves ho-immediate-justice 2024-25-Q3 Summary!D4
    (summary:HO-IJ:spend_in_period)``."""
    lines = []
    for row in rows:
        text = (f"{row['transaction_id']}: {_pounds(row['earlier_amount'])} in {row['earlier_source_file']} "
                f"{row['earlier_source_locator']} became {_pounds(row['latest_amount'])} in "
                f"{row['latest_source_file']} {row['latest_source_locator']} "
                + (f"({_pounds(row['amount_change'], sign=True)})" if row["amount_change"] else "(amount unchanged)"))
        for field, label in (("posting_date", "posting date"), ("cost_centre", "cost centre"),
                             ("agreement_ref", "agreement"), ("journal_type", "journal type")):
            before, after = row.get(f"earlier_{field}"), row.get(f"latest_{field}")
            if before != after:
                text += f"; {label} {before or '(none)'} became {after or '(none)'}"
        feeds = row.get("feeds") or []
        if feeds:
            text += "; moves " + ", ".join(
                f"{f['pack']} {f['period']} " + (f"{f['sheet']}!{f['cell']} " if f.get("sheet") else "")
                + f"({f['figure']})" for f in feeds)
        else:
            text += "; feeds no rendered pack figure"
        lines.append(text)
    return lines


def _pounds(amount, sign: bool = False) -> str:
    value = Decimal(str(amount))
    prefix = "-" if value < 0 else ("+" if sign else "")
    return f"{prefix}£{abs(value):,.2f}"
