"""Synthetic funding allocations and general-ledger exports, as a finance system writes them.

The ledger has what real exports have: monthly files that overlap (each repeats the
last days of the month before), invoices and credit notes, year-end accruals reversed
in April, a posting made twice in error and journalled out, a transaction duplicated
inside one export, and a few lines with no agreement reference.

Spend follows delivery, not the allocation divided by twelve: contracts invoice monthly for
what was delivered (slow in the first quarter, catching up in the last), grants are paid
quarterly, half of them in advance and half in arrears on claims (the last quarter accrued at
31 March), and each funding stream
ends its year where offices report theirs: an underspend of 1 to 7%, or now and then an
overspend of 1% to 5% on a stream without a ring-fence. A Violence Reduction Unit grant is
never overspent. Amounts are Decimal pence and add up exactly.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from dagster_project.demo.commissioning import PENNY, Agreement, pays
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


def split_weighted(total: Decimal, weights: list[float]) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` into pence that add up exactly (remainder to the largest)."""
    whole = sum(weights)
    parts = [(total * Decimal(repr(w / whole))).quantize(PENNY, ROUND_DOWN) for w in weights]
    parts[max(range(len(parts)), key=lambda i: weights[i])] += total - sum(parts)
    return parts


# How a year's delivery runs: slow to start (mobilisation, vacancies), steady, then catching up
# in the last quarter. Quarters Q1..Q4 of the financial year.
QUARTER_PACE = (0.86, 1.0, 1.02, 1.14)
# A stream's year-end position as offices report it: an underspend of 1 to 7%, or on a stream
# without a ring-fence now and then an overspend of 1% to 5% (met from reserves).
UNDERSPEND = (0.01, 0.07)
OVERSPEND = (0.015, 0.045)
OVERSPEND_CHANCE = 0.35


def stream_targets(tenant: Tenant, years: list[FinancialYear], rng: random.Random) -> dict[tuple[str, str], Decimal]:
    """What each stream will have spent by the end of each year, against its allocation."""
    allocation = {(x.stream_id, x.financial_year): x.amount for x in tenant.demo.allocations}
    targets = {}
    for stream in tenant.funding_streams:
        for year in years:
            amount = allocation.get((stream.id, year.label))
            if not amount:
                continue
            if not stream.ring_fence and stream.reported_in is None and rng.random() < OVERSPEND_CHANCE:
                factor = 1 + rng.uniform(*OVERSPEND)
            else:
                factor = 1 - rng.uniform(*UNDERSPEND)
            targets[(stream.id, year.label)] = (amount * Decimal(repr(round(factor, 4)))).quantize(PENNY)
    return targets


def _months_in(a: Agreement, year: FinancialYear) -> list[dt.date]:
    return [m for m in year.months() if a.start <= month_end(m) and a.end >= m]


def build_ledger(tenant: Tenant, agreements: list[Agreement], years: list[FinancialYear],
                 rng: random.Random) -> list[Posting]:
    centres = {s.id: (s.cost_centres[0] if s.cost_centres else f"CC-{s.id}") for s in tenant.funding_streams}
    postings: list[Posting] = []
    counter = iter(range(10_000_001, 99_999_999))
    paid = [a for a in agreements if pays(a)]    # an influencing role has no money and no ledger lines

    def post(day, agreement: Agreement | None, stream: str, kind: str, amount: Decimal, text: str,
             account: str | None = None, supplier: str | None = None):
        postings.append(Posting(f"GL{next(counter)}", day, centres[stream],
                                account or ACCOUNTS[agreement.agreement_type] if agreement else account or "5490",
                                supplier or (agreement.provider.name if agreement else ""),
                                agreement.ref if agreement else "", kind, amount, text))

    def post_split(day, a: Agreement, kind: str, amount: Decimal, text: str):
        for (stream, _), part in zip(a.funding, split_pence(amount, [s for _, s in a.funding])):
            post(day, a, stream, kind, part, text)

    first, last = years[0].start, years[-1].end
    targets = stream_targets(tenant, years, rng)
    vru = next((s for s in tenant.funding_streams if s.reported_in == "ho-vru"), None)

    # Costs paid from a stream directly, with no agreement: the Violence Reduction Unit's own
    # evaluation partner, and a few costs with no agreement behind them (kept and reported as
    # unmatched, never dropped). The VRU's core team salaries are settled last, below.
    direct: dict[tuple[str, str], Decimal] = {}
    planned_direct = []
    unmatched_stream = paid[0].funding[0][0]
    for year in years:
        venue = Decimal(rng.randrange(40_000, 180_000)) / 100
        training = Decimal(rng.randrange(100_000, 300_000)) / 100
        planned_direct.append((year.start + dt.timedelta(days=70), unmatched_stream, venue, "Grant panel venue hire",
                               "5490", "Civic Halls Bookings"))
        planned_direct.append((year.start + dt.timedelta(days=200), unmatched_stream, training,
                               "Commissioning team training", "5490", "Learning Together Ltd"))
        if vru is not None and (vru.id, year.label) in targets:
            # The Home Office asks for at least 10% of the year's spend on evaluation (tenant.yml conditions).
            evaluation = (targets[(vru.id, year.label)] * Decimal(repr(round(rng.uniform(0.105, 0.13), 4)))).quantize(PENNY)
            for month, part in zip((6, 9, 12, 3), split_weighted(evaluation, [rng.uniform(0.6, 1.4) for _ in range(4)])):
                day = dt.date(year.start.year + (month < 4), month, 1)
                planned_direct.append((month_end(day) - dt.timedelta(days=rng.randint(8, 14)), vru.id, part,
                                       "VRU evaluation", "5600", "Northern Evaluation Partnership"))
    for day, stream, amount, *_ in planned_direct:
        key = (stream, FinancialYear.of(day).label)
        direct[key] = direct.get(key, Decimal(0)) + amount
    salaries = {}
    if vru is not None:
        for year in years:
            key = (vru.id, year.label)
            if key in targets:
                share = Decimal(repr(round(rng.uniform(0.16, 0.22), 4)))
                salaries[year.label] = (targets[key] * share).quantize(PENNY)
                direct[key] = direct.get(key, Decimal(0)) + salaries[year.label]

    # Each agreement's delivery in each year: its value for the months it runs there, times a
    # delivery factor, fitted so that each stream ends the year at its target.
    value = {(a.ref, y.label): a.annual_value * len(_months_in(a, y)) / 12 for a in paid for y in years}
    factor = {key: rng.uniform(0.95, 1.02) for key in value}
    for _ in range(40):
        spent: dict[tuple[str, str], float] = {}
        for a in paid:
            for y in years:
                for stream, share in a.funding:
                    key = (stream, y.label)
                    spent[key] = spent.get(key, 0.0) + float(value[(a.ref, y.label)] * share) * factor[(a.ref, y.label)]
        for a in paid:
            for y in years:
                parts = [(float(share), float(targets[(s, y.label)] - direct.get((s, y.label), 0)) / spent[(s, y.label)])
                         for s, share in a.funding if (s, y.label) in targets and spent.get((s, y.label))]
                if parts:
                    ratio = sum(w * r for w, r in parts) / sum(w for w, _ in parts)
                    factor[(a.ref, y.label)] = min(1.25, max(0.7, factor[(a.ref, y.label)] * ratio))
    delivered = {key: (value[key] * Decimal(repr(round(factor[key], 6)))).quantize(PENNY) for key in value}

    for a in paid:
        quarterly = a.agreement_type == "Grant"
        in_advance = quarterly and rng.random() < 0.5
        for y in years:
            total = delivered[(a.ref, y.label)]
            months = _months_in(a, y)
            if not months or total == 0:
                continue
            if a.grant_round:
                _post_round_year(a, y, months, total, rng, post_split)
            elif in_advance:
                _post_grant_year_in_advance(a, y, months, total, rng, post_split)
            elif quarterly:
                _post_grant_year(a, y, months, total, last, rng, post_split)
            else:
                _post_contract_year(a, y, months, total, last, rng, post_split)
        if first > a.start and quarterly and not in_advance and _months_in(a, FinancialYear(first.year - 1)):
            # Last year's final quarter, accrued at 31 March before these exports begin: reversed in
            # April and paid when the invoice comes, so it is no spend of this year.
            owed = (a.annual_value / 4).quantize(PENNY)
            post_split(first, a, "REV", -owed, f"Reverse accrual {a.service_name} Jan-Mar {first.year}")
            post_split(first + dt.timedelta(days=rng.randint(6, 20)), a, "INV", owed,
                       f"{a.service_name} Jan-Mar {first.year}")

    for day, stream, amount, text, account, supplier in planned_direct:
        post(day, None, stream, "INV", amount, text, account=account, supplier=supplier)
    # The VRU core team, paid monthly from the grant through payroll: the year's pay less what the
    # rest of the grant's spend leaves, so the grant ends the year at its target, to the penny.
    if vru is not None:
        shares = {a.ref: dict(a.funding) for a in paid}
        for year in years:
            key = (vru.id, year.label)
            if key not in targets:
                continue
            others = sum(_stream_part(p, shares, centres[vru.id], vru.id) for p in postings
                         if FinancialYear.of(p.posting_date) == year)
            pay = max(salaries[year.label] // 2, targets[key] - others)
            weights = [rng.uniform(0.985, 1.015) * (1.0 if m.month in (4, 5, 6, 7, 8) else 1.035) for m in year.months()]
            for month, part in zip(year.months(), split_weighted(pay.quantize(PENNY), weights)):
                post(month_end(month) - dt.timedelta(days=3), None, vru.id, "JNL", part, "VRU core team salaries",
                     account="5010", supplier="Payroll")
    # Partners' match funding for the VRU (councils, health), booked by the office to the partners'
    # stream each quarter: a little above the share the year's grant conditions require.
    match = next((s for s in tenant.funding_streams if vru is not None and s.match_funding_for == vru.id), None)
    if match is not None:
        partners = [f"{d.name} Council" for d in tenant.districts[:3]] + ["Integrated Care Board"]
        for year in years:
            key = (vru.id, year.label)
            condition = next((c for c in vru.conditions if c.financial_year == year.label), None)
            pct = condition.match_funding_pct if condition and condition.match_funding_pct is not None \
                else vru.match_funding_pct
            if key not in targets or not pct:
                continue
            total = (targets[key] * pct / 100 * Decimal(repr(round(rng.uniform(1.02, 1.12), 4)))).quantize(PENNY)
            for month, part in zip((6, 9, 12, 3), split_weighted(total, [rng.uniform(0.7, 1.3) for _ in range(4)])):
                day = dt.date(year.start.year + (month < 4), month, 1)
                for partner, piece in zip(partners, split_weighted(part, [rng.uniform(0.5, 1.5) for _ in partners])):
                    post(month_end(day) - dt.timedelta(days=rng.randint(2, 12)), None, match.id, "INV", piece,
                         f"VRU match funding from {partner}", account="5400", supplier=partner)
    # A posting made twice in error, journalled out a few days later.
    victim = rng.choice([p for p in postings if p.journal_type == "INV" and p.agreement_ref])
    dup_day = victim.posting_date + dt.timedelta(days=1)
    postings.append(Posting(f"GL{next(counter)}", dup_day, victim.cost_centre, victim.account, victim.supplier,
                            victim.agreement_ref, "INV", victim.amount, victim.description + " (duplicate)"))
    postings.append(Posting(f"GL{next(counter)}", dup_day + dt.timedelta(days=6), victim.cost_centre, victim.account,
                            victim.supplier, victim.agreement_ref, "JNL", -victim.amount,
                            "Correct duplicate posting " + victim.description))
    postings = [p for p in postings if first <= p.posting_date <= last]
    postings.sort(key=lambda p: (p.posting_date, p.transaction_id))
    return postings


def _stream_part(p: Posting, shares: dict[str, dict[str, Decimal]], centre: str, stream: str) -> Decimal:
    """What a line adds to a stream's spend in the warehouse: an agreement's line is spread over
    its funding split, whatever cost centre it was booked to; a line with no agreement counts
    where it was booked."""
    if p.agreement_ref in shares:
        return p.amount * shares[p.agreement_ref].get(stream, Decimal(0))
    return p.amount if p.cost_centre == centre else Decimal(0)


def _pace(months: list[dt.date], rng: random.Random) -> list[float]:
    return [QUARTER_PACE[((m.month - 4) % 12) // 3] * rng.uniform(0.9, 1.1) for m in months]


def _post_contract_year(a: Agreement, year: FinancialYear, months: list[dt.date], total: Decimal, last: dt.date,
                        rng: random.Random, post_split) -> None:
    """A contract invoices monthly, each month's invoice for what was delivered; March's invoice
    comes in April half the time, so it is accrued at 31 March and the accrual reversed in April.
    Now and then an invoice is partly credited (a service gap, a vacancy)."""
    for month, amount in zip(months, split_weighted(total, _pace(months, rng))):
        label = month.strftime("%b %Y")
        credit = Decimal(0)
        if rng.random() < 0.06:
            credit = (amount * Decimal(repr(round(rng.uniform(0.05, 0.2), 3)))).quantize(PENNY)
        if month.month == 3 and rng.random() < 0.5:
            april = add_months(year.end, 1)
            post_split(year.end, a, "ACR", amount, f"Accrual {a.service_name} {label}")
            post_split(april, a, "REV", -amount, f"Reverse accrual {a.service_name} {label}")
            post_split(april + dt.timedelta(days=rng.randint(3, 20)), a, "INV", amount, f"{a.service_name} {label}")
            continue
        day = month_end(month) - dt.timedelta(days=rng.randint(0, 12))
        post_split(day, a, "INV", amount + credit, f"{a.service_name} {label}")
        if credit:
            post_split(min(day + dt.timedelta(days=rng.randint(2, 6)), month_end(month)), a, "CRN", -credit,
                       f"Credit note: {a.service_name} {label} not delivered")


def _post_round_year(a: Agreement, year: FinancialYear, months: list[dt.date], total: Decimal,
                     rng: random.Random, post_split) -> None:
    """A round of small grants: most paid when the awards are made, the rest on the projects'
    final reports, which come in April, so that part is accrued at 31 March."""
    on_award = (total * Decimal(repr(round(rng.uniform(0.7, 0.85), 4)))).quantize(PENNY)
    on_report = total - on_award
    post_split(months[0] + dt.timedelta(days=rng.randint(10, 25)), a, "INV", on_award,
               f"{a.service_name}: awards paid")
    if on_report:
        april = add_months(year.end, 1)
        post_split(year.end, a, "ACR", on_report, f"Accrual {a.service_name}: final payments")
        post_split(april, a, "REV", -on_report, f"Reverse accrual {a.service_name}: final payments")
        post_split(april + dt.timedelta(days=rng.randint(5, 25)), a, "INV", on_report,
                   f"{a.service_name}: final payments")


def _post_grant_year_in_advance(a: Agreement, year: FinancialYear, months: list[dt.date], total: Decimal,
                                rng: random.Random, post_split) -> None:
    """A grant paid quarterly in advance, early in each quarter, on the agreed profile; a quarter
    that delivered less is settled by a smaller payment for the last quarter."""
    quarters: dict[int, list[dt.date]] = {}
    for m in months:
        quarters.setdefault(((m.month - 4) % 12) // 3, []).append(m)
    weights = [len(ms) * rng.uniform(0.95, 1.05) * (0.8 if q == 3 else 1.0) for q, ms in sorted(quarters.items())]
    for (q, ms), amount in zip(sorted(quarters.items()), split_weighted(total, weights)):
        post_split(ms[0] + dt.timedelta(days=rng.randint(2, 18)), a, "INV", amount,
                   f"{a.service_name} grant payment in advance Q{q + 1} {year.label}")


def _post_grant_year(a: Agreement, year: FinancialYear, months: list[dt.date], total: Decimal, last: dt.date,
                     rng: random.Random, post_split) -> None:
    """A grant is paid quarterly in arrears on the provider's claim: a quarter's claim is paid in
    the month after it ends, so the last quarter is accrued at 31 March and paid in April."""
    quarters: dict[int, list[dt.date]] = {}
    for m in months:
        quarters.setdefault(((m.month - 4) % 12) // 3, []).append(m)
    weights = [QUARTER_PACE[q] * len(ms) * rng.uniform(0.92, 1.08) for q, ms in sorted(quarters.items())]
    for (q, ms), amount in zip(sorted(quarters.items()), split_weighted(total, weights)):
        label = f"Q{q + 1} {year.label}"
        if q == 3:
            april = add_months(year.end, 1)
            post_split(year.end, a, "ACR", amount, f"Accrual {a.service_name} grant claim {label}")
            post_split(april, a, "REV", -amount, f"Reverse accrual {a.service_name} grant claim {label}")
            post_split(april + dt.timedelta(days=rng.randint(6, 25)), a, "INV", amount,
                       f"{a.service_name} grant claim {label}")
            continue
        paid_on = add_months(ms[-1], 1) + dt.timedelta(days=rng.randint(4, 24))
        if q == 0 and rng.random() < 0.15:
            # A claim held back for missing monitoring information, paid with the next quarter's.
            paid_on = add_months(ms[-1], 4) + dt.timedelta(days=rng.randint(4, 24))
        post_split(paid_on, a, "INV", amount, f"{a.service_name} grant claim {label}")


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
