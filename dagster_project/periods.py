"""Financial years (April to March), quarters, halves and finance periods.

Labels used everywhere: financial year ``2024-25``, quarter ``2024-25-Q2``, half
``2024-25-H1``, finance period ``2024-25 P03`` (P01 = April).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

FY_LABEL = re.compile(r"^(20\d{2})-(\d{2})$")
QUARTER_LABEL = re.compile(r"^(20\d{2})-(\d{2})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class FinancialYear:
    start_year: int

    @classmethod
    def parse(cls, label: str) -> "FinancialYear":
        m = FY_LABEL.match(label)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValueError(f"{label!r} is not a financial year like 2024-25")
        return cls(int(m.group(1)))

    @classmethod
    def of(cls, day: dt.date) -> "FinancialYear":
        return cls(day.year if day.month >= 4 else day.year - 1)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + 1, 3, 31)

    def next(self) -> "FinancialYear":
        return FinancialYear(self.start_year + 1)

    def quarters(self) -> list["Quarter"]:
        return [Quarter(self, n) for n in range(1, 5)]

    def months(self) -> list[dt.date]:
        return [dt.date(self.start_year + (m // 12), m % 12 + 1, 1) for m in range(3, 15)]


@dataclass(frozen=True, order=True)
class Quarter:
    year: FinancialYear
    number: int

    @classmethod
    def parse(cls, label: str) -> "Quarter":
        m = QUARTER_LABEL.match(label or "")
        if not m:
            raise ValueError(f"{label!r} is not a quarter like 2024-25-Q2")
        return cls(FinancialYear.parse(f"{m.group(1)}-{m.group(2)}"), int(m.group(3)))

    @property
    def label(self) -> str:
        return f"{self.year.label}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        return dt.date(self.year.start_year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        return add_months(self.start, 3) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """First of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def finance_period(day: dt.date) -> str:
    fy = FinancialYear.of(day)
    number = (day.month - 4) % 12 + 1
    return f"{fy.label} P{number:02d}"


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)
