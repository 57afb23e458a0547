"""Synthetic funding allocations and general-ledger exports, as a finance system writes them.

The ledger has what real exports have: monthly files that overlap (each repeats the
last days of the month before), invoices and credit notes, year-end accruals reversed
in April, a posting made twice in error and journalled out, a transaction duplicated
inside one export, and a few lines with no agreement reference.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from dagster_project.demo.commissioning import PENNY, Agreement
from dagster_project.extract.funding import ALLOCATIONS
from dagster_project.extract.ledger import LEDGER
from dagster_project.periods import FinancialYear, add_months, finance_period, month_end
from dagster_project.tenants import Tenant

ACCOUNTS = {"Contract": "5400", "Co-commissioning": "5400", "Service level agreement": "5405", "Grant": "5410"}
OVERLAP_DAYS = 5


@dataclass(frozen=True)
class Posting:
    transaction_id: str
    posting_date: dt.date
    cost_centre: str
    account: str
    supplier: str
    agreement_ref: str
    journal_type: str
    amount: Decimal
    description: str

    def row(self) -> list[str]:
        return [self.transaction_id, self.posting_date.strftime("%d/%m/%Y"), finance_period(self.posting_date),
                self.cost_centre, self.account, self.supplier, self.agreement_ref, self.journal_type,
                f"{self.amount:.2f}", self.description]


def write_allocations(tenant: Tenant, folder: Path) -> list[Path]:
    by_year: dict[str, list] = {}
    for a in tenant.demo.allocations:
        by_year.setdefault(a.financial_year, []).append(a)
    paths = []
    for year, items in sorted(by_year.items()):
        fy = FinancialYear.parse(year)
        rows = [[a.stream_id, a.financial_year, f"{a.amount:.2f}",
                 f"{a.stream_id}-{year}-{tenant.slug.upper()[:4]}", (fy.start - dt.timedelta(days=21)).isoformat(),
                 a.source] for a in sorted(items, key=lambda x: x.stream_id)]
        paths.append(_write_csv(folder / f"allocations_{year}.csv", list(ALLOCATIONS.header), rows))
    return paths


def split_pence(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split ``total`` by ``shares`` into pence that add up exactly (remainder to the first)."""
    parts = [(total * s).quantize(PENNY, ROUND_DOWN) for s in shares]
    parts[0] += total - sum(parts)
    return parts


def build_ledger(tenant: Tenant, agreements: list[Agreement], years: list[FinancialYear],
                 rng: random.Random) -> list[Posting]:
    centres = {s.id: (s.cost_centres[0] if s.cost_centres else f"CC-{s.id}") for s in tenant.funding_streams}
    postings: list[Posting] = []
    counter = iter(range(10_000_001, 99_999_999))

    def post(day, agreement: Agreement | None, stream: str, kind: str, amount: Decimal, text: str,
             account: str | None = None, supplier: str | None = None):
        postings.append(Posting(f"GL{next(counter)}", day, centres[stream],
                                account or ACCOUNTS[agreement.agreement_type] if agreement else account or "5490",
                                supplier or (agreement.provider.name if agreement else ""),
                                agreement.ref if agreement else "", kind, amount, text))

    first, last = years[0].start, years[-1].end
    for a in agreements:
        quarterly = a.agreement_type == "Grant"
        step = 3 if quarterly else 1
        month = max(a.start, first).replace(day=1)
        underspend = Decimal(str(rng.choice((1, 1, 1, 0.97, 0.92, 0.85))))
        while month <= min(a.end, last):
            if (month.month - 4) % step == 0:
                amount = (a.annual_value * step / 12 * underspend).quantize(PENNY)
                label = month.strftime("%b %Y")
                year_end = month.month == 3 if not quarterly else month.month == 1
                invoice_day = month_end(month) - dt.timedelta(days=rng.randint(0, 9))
                shares = [s for _, s in a.funding]
                parts = split_pence(amount, shares)
                if year_end and rng.random() < 0.5:
                    # Invoice not in by year end: accrue at 31 March, reverse in April, invoice in April.
                    fy_end = FinancialYear.of(month).end
                    april = add_months(fy_end, 1)
                    for (stream, _), part in zip(a.funding, parts):
                        post(fy_end, a, stream, "ACR", part, f"Accrual {a.service_name} {label}")
                        if april <= last:
                            post(april, a, stream, "REV", -part, f"Reverse accrual {a.service_name} {label}")
                            post(april + dt.timedelta(days=rng.randint(3, 20)), a, stream, "INV", part,
                                 f"{a.service_name} {label}")
                else:
                    for (stream, _), part in zip(a.funding, parts):
                        post(invoice_day, a, stream, "INV", part, f"{a.service_name} {label}")
            month = add_months(month, 1)
        if underspend < 1 and a.end <= last and rng.random() < 0.5:
            stream = a.funding[0][0]
            post(min(a.end, last) - dt.timedelta(days=2), a, stream, "CRN",
                 -(a.annual_value * Decimal("0.01")).quantize(PENNY), f"Credit note: unspent {a.service_name}")
    # A posting made twice in error, journalled out a few days later.
    victim = rng.choice([p for p in postings if p.journal_type == "INV"])
    dup_day = victim.posting_date + dt.timedelta(days=1)
    postings.append(Posting(f"GL{next(counter)}", dup_day, victim.cost_centre, victim.account, victim.supplier,
                            victim.agreement_ref, "INV", victim.amount, victim.description + " (duplicate)"))
    postings.append(Posting(f"GL{next(counter)}", dup_day + dt.timedelta(days=6), victim.cost_centre, victim.account,
                            victim.supplier, victim.agreement_ref, "JNL", -victim.amount,
                            "Correct duplicate posting " + victim.description))
    # The Violence Reduction Unit's own team and its evaluation are paid from the VRU grant
    # directly (no agreement): staff monthly, an evaluation partner quarterly.
    vru = next((s for s in tenant.funding_streams if s.reported_in == "ho-vru"), None)
    if vru is not None:
        for year in years:
            for month in year.months():
                post(month_end(month) - dt.timedelta(days=3), None, vru.id, "JNL",
                     Decimal(rng.randrange(3_800_000, 4_200_000)) / 100, "VRU core team salaries",
                     account="5010", supplier="Payroll")
                if month.month in (6, 9, 12, 3):
                    post(month_end(month) - dt.timedelta(days=10), None, vru.id, "INV",
                         Decimal(rng.randrange(1_500_000, 2_500_000)) / 100, "VRU evaluation",
                         account="5600", supplier="Northern Evaluation Partnership")
    # Costs with no agreement behind them: kept and reported as unmatched, never dropped.
    for i, year in enumerate(years):
        stream = agreements[0].funding[0][0]
        post(year.start + dt.timedelta(days=70), None, stream, "INV", Decimal(rng.randrange(40_000, 180_000)) / 100,
             "Grant panel venue hire", account="5490", supplier="Civic Halls Bookings")
        post(year.start + dt.timedelta(days=200), None, stream, "INV", Decimal(rng.randrange(100_000, 300_000)) / 100,
             "Commissioning team training", account="5490", supplier="Learning Together Ltd")
    postings.sort(key=lambda p: (p.posting_date, p.transaction_id))
    return postings


def write_ledger_exports(postings: list[Posting], years: list[FinancialYear], folder: Path) -> list[Path]:
    """One export a month; each also repeats the last days of the previous month."""
    paths = []
    month = years[0].start
    glitch_month = add_months(years[0].start, 7)
    while month <= years[-1].end:
        window_start = month - dt.timedelta(days=OVERLAP_DAYS) if month > years[0].start else month
        window_end = month_end(month)
        rows = [p.row() for p in postings if window_start <= p.posting_date <= window_end]
        if month == glitch_month and rows:
            rows.insert(len(rows) // 2, rows[len(rows) // 2])  # the same transaction twice in one export
        paths.append(_write_csv(folder / f"gl_export_{month:%Y-%m}.csv", list(LEDGER.header), rows))
        month = add_months(month, 1)
    return paths


def _write_csv(path: Path, header: list[str], rows: list[list[str]], crlf: bool = True) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path
