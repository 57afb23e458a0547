"""Load a tenant's configuration (``sources/<tenant>/tenant.yml``) into typed objects.

Every tenant fact (districts, plans and priorities, funding streams, returns) lives in
that file, never in code. A bad file fails with :class:`ConfigError`, naming the file,
the key path (``plans[1].valid_from``) and what was expected.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from dagster_project import settings

FUNDERS = ("MoJ", "Home Office", "Precept", "POCA", "NHS", "Other")
RETURN_FREQUENCIES = ("quarterly", "half-yearly", "annual")
ONS_CODE = re.compile(r"^[EWSN]\d{8}$")
FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class ConfigError(ValueError):
    """A tenant configuration that cannot be used, with where and why."""

    def __init__(self, path: Path | str, key: str, message: str):
        self.path, self.key = str(path), key
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(where + message)


def service_categories() -> dict[str, str]:
    """The service categories every tenant shares (a dbt seed, read here too)."""
    with open(settings.DBT_DIR / "seeds" / "service_categories.csv", newline="") as fh:
        return {row["service_category"]: row["label"] for row in csv.DictReader(fh)}


@dataclass(frozen=True)
class District:
    code: str
    name: str
    other_codes: tuple[str, ...] = ()

    @property
    def all_codes(self) -> tuple[str, ...]:
        return (self.code, *self.other_codes)


@dataclass(frozen=True)
class Priority:
    id: str
    name: str


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    valid_from: dt.date
    valid_to: dt.date
    priorities: tuple[Priority, ...]
    cross_cutting: tuple[str, ...] = ()

    def in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class StreamCondition:
    """A grant condition of a stream for one financial year (tenant.yml ``conditions``)."""
    financial_year: str
    match_funding_pct: Decimal | None = None     # match funding required, % of the grant spent
    evaluation_min_pct: Decimal | None = None    # least share of spend on evaluation, %
    source: str | None = None


@dataclass(frozen=True)
class FundingStream:
    id: str
    name: str
    funder: str
    ring_fence: tuple[str, ...]
    carry_forward: bool
    match_funding_pct: Decimal                   # every year's, unless a condition of the year says otherwise
    cost_centres: tuple[str, ...] = ()
    reported_in: str | None = None
    first_year: str | None = None                # the stream exists from this financial year (None: always)
    last_year: str | None = None                 # ... up to this one
    match_funding_for: str | None = None         # partners' match funding for this stream of the office
    conditions: tuple[StreamCondition, ...] = ()


@dataclass(frozen=True)
class ReturnDue:
    pack: str
    frequency: str


@dataclass(frozen=True)
class DemoAllocation:
    stream_id: str
    financial_year: str
    amount: Decimal
    source: str


@dataclass(frozen=True)
class DemoSettings:
    first_financial_year: str
    financial_years: int
    agreements: int
    providers: int
    map_centre: tuple[float, float]
    allocations: tuple[DemoAllocation, ...] = ()


@dataclass(frozen=True)
class Tenant:
    slug: str
    name: str
    force_name: str
    force_slug: str
    force_reported_by: tuple[str, ...]
    districts: tuple[District, ...]
    plans: tuple[Plan, ...]
    funding_streams: tuple[FundingStream, ...]
    returns: tuple[ReturnDue, ...]
    folder: Path
    config_path: Path
    inbox: Path
    demo: DemoSettings | None = None
    as_of: dt.date | None = None
    ledger_max_age_days: int = 45
    police_max_age_months: int = 3
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def reporting_date(self) -> dt.date:
        """The date the warehouse reports as of: tenant.yml ``as_of``, else today."""
        return self.as_of or dt.date.today()

    def plan_on(self, day: dt.date) -> Plan | None:
        return next((p for p in self.plans if p.in_force(day)), None)

    def stream(self, stream_id: str) -> FundingStream:
        return next(s for s in self.funding_streams if s.id == stream_id)


class _Reader:
    """Walks the parsed YAML, remembering the key path for error messages."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.path, key, message)

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping of keys, found {_kind(value)}")
        return value

    def items(self, parent: dict, key: str, where: str, *, required: bool = True) -> list:
        full = _join(where, key)
        if key not in parent or parent[key] is None:
            if required:
                raise self.fail(full, "missing; expected a list")
            return []
        value = parent[key]
        if not isinstance(value, list):
            raise self.fail(full, f"expected a list, found {_kind(value)}")
        return value

    def text(self, parent: dict, key: str, where: str, *, required: bool = True, pattern: re.Pattern | None = None,
             choices: tuple[str, ...] | None = None, hint: str = "") -> str | None:
        full = _join(where, key)
        if key not in parent or parent[key] is None:
            if required:
                raise self.fail(full, "missing; expected " + (hint or "text"))
            return None
        value = parent[key]
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise self.fail(full, f"expected {hint or 'text'}, found {_kind(value)}")
        value = str(value).strip()
        if not value:
            raise self.fail(full, f"is empty; expected {hint or 'text'}")
        if pattern and not pattern.match(value):
            raise self.fail(full, f"{value!r} is not {hint or 'in the expected form'}")
        if choices and value not in choices:
            raise self.fail(full, f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def date(self, parent: dict, key: str, where: str) -> dt.date:
        full = _join(where, key)
        value = parent.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        if value is None:
            raise self.fail(full, "missing; expected a date like 2024-04-01")
        raise self.fail(full, f"{value!r} is not a date like 2024-04-01")

    def boolean(self, parent: dict, key: str, where: str) -> bool:
        value = parent.get(key)
        if isinstance(value, bool):
            return value
        raise self.fail(_join(where, key), f"{'missing' if value is None else repr(value) + ' is not'}; expected true or false")

    def decimal(self, parent: dict, key: str, where: str) -> Decimal:
        full = _join(where, key)
        value = parent.get(key)
        if value is None:
            raise self.fail(full, "missing; expected a number")
        if isinstance(value, float):
            raise self.fail(full, f"{value!r} is a float; write money and rates in quotes, e.g. \"2672833.00\"")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(full, f"{value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(full, f"{value!r} is not a number")
        return number


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def tenant_dir(slug: str) -> Path:
    return settings.SOURCES_DIR / slug


def available_tenants() -> list[str]:
    return sorted(p.parent.name for p in settings.SOURCES_DIR.glob("*/tenant.yml"))


def load_tenant(slug: str) -> Tenant:
    """Read and validate ``sources/<slug>/tenant.yml``."""
    path = tenant_dir(slug) / "tenant.yml"
    if not re.fullmatch(r"[a-z0-9_]+", slug or ""):
        raise ConfigError(path, "", f"{slug!r} is not a tenant name (lower-case letters, digits, underscores)")
    if not path.exists():
        known = ", ".join(available_tenants()) or "none"
        raise ConfigError(path, "", f"unknown tenant {slug!r}: no such file. Configured tenants: {known}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(path, "", f"{line}not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    return parse_tenant(document, path)


def parse_tenant(document: Any, path: Path) -> Tenant:
    r = _Reader(path)
    doc = r.mapping(document, "(top level)")
    slug = r.text(doc, "tenant", "", pattern=re.compile(r"^[a-z0-9_]+$"), hint="a tenant slug like west_yorkshire")
    if slug != path.parent.name:
        raise r.fail("tenant", f"{slug!r} does not match the folder name {path.parent.name!r}")
    force = r.mapping(doc.get("police_force"), "police_force")
    reported_by = tuple(str(x) for x in r.items(force, "reported_by", "police_force", required=False)) \
        or (r.text(force, "name", "police_force"),)

    districts = []
    for i, d in enumerate(r.items(doc, "districts", "")):
        where = f"districts[{i}]"
        d = r.mapping(d, where)
        code = r.text(d, "code", where, pattern=ONS_CODE, hint="an ONS code like E08000035")
        others = r.items(d, "other_codes", where, required=False)
        for j, other in enumerate(others):
            if not isinstance(other, str) or not ONS_CODE.match(other):
                raise r.fail(f"{where}.other_codes[{j}]", f"{other!r} is not an ONS code like E08000016")
        districts.append(District(code, r.text(d, "name", where), tuple(others)))
    if not districts:
        raise r.fail("districts", "is empty; expected at least one district")
    _unique(r, "districts", [c for d in districts for c in d.all_codes], "district code")

    plans = []
    for i, p in enumerate(r.items(doc, "plans", "")):
        where = f"plans[{i}]"
        p = r.mapping(p, where)
        priorities = []
        for j, pr in enumerate(r.items(p, "priorities", where)):
            pw = f"{where}.priorities[{j}]"
            pr = r.mapping(pr, pw)
            priorities.append(Priority(r.text(pr, "id", pw), r.text(pr, "name", pw)))
        if not priorities:
            raise r.fail(f"{where}.priorities", "is empty; a plan needs at least one priority")
        plan = Plan(
            id=r.text(p, "id", where), title=r.text(p, "title", where),
            valid_from=r.date(p, "valid_from", where), valid_to=r.date(p, "valid_to", where),
            priorities=tuple(priorities),
            cross_cutting=tuple(str(x) for x in r.items(p, "cross_cutting", where, required=False)),
        )
        if plan.valid_to < plan.valid_from:
            raise r.fail(f"{where}.valid_to", f"{plan.valid_to} is before valid_from {plan.valid_from}")
        plans.append(plan)
    if not plans:
        raise r.fail("plans", "is empty; expected at least one Police and Crime Plan")
    plans.sort(key=lambda p: p.valid_from)
    for earlier, later in zip(plans, plans[1:]):
        if later.valid_from <= earlier.valid_to:
            raise r.fail("plans", f"{earlier.id} (to {earlier.valid_to}) overlaps {later.id} (from {later.valid_from}); "
                                  "exactly one plan must be in force on any day")
    _unique(r, "plans", [p.id for p in plans], "plan id")
    _unique(r, "plans[].priorities", [pr.id for p in plans for pr in p.priorities], "priority id")

    categories = service_categories()
    streams = []
    for i, s in enumerate(r.items(doc, "funding_streams", "")):
        where = f"funding_streams[{i}]"
        s = r.mapping(s, where)
        ring_fence = r.items(s, "ring_fence", where, required=False)
        for j, cat in enumerate(ring_fence):
            if cat not in categories:
                raise r.fail(f"{where}.ring_fence[{j}]", f"{cat!r} is not a service category; expected one of: {', '.join(categories)}")
        conditions = []
        for year, condition in r.mapping(s.get("conditions") or {}, f"{where}.conditions").items():
            at = f"{where}.conditions.{year}"
            if not FINANCIAL_YEAR.match(str(year)):
                raise r.fail(at, f"{year!r} is not a financial year like 2024-25")
            condition = r.mapping(condition, at)
            unknown = set(condition) - {"match_funding_pct", "evaluation_min_pct", "source"}
            if unknown:
                raise r.fail(at, f"unknown key(s) {', '.join(sorted(unknown))}; expected match_funding_pct, "
                                 "evaluation_min_pct, source")
            conditions.append(StreamCondition(
                str(year),
                r.decimal(condition, "match_funding_pct", at) if "match_funding_pct" in condition else None,
                r.decimal(condition, "evaluation_min_pct", at) if "evaluation_min_pct" in condition else None,
                r.text(condition, "source", at, required=False)))
        first_year = r.text(s, "first_year", where, required=False, pattern=FINANCIAL_YEAR, hint="a financial year")
        last_year = r.text(s, "last_year", where, required=False, pattern=FINANCIAL_YEAR, hint="a financial year")
        if first_year and last_year and last_year < first_year:
            raise r.fail(f"{where}.last_year", f"{last_year} is before first_year {first_year}")
        streams.append(FundingStream(
            id=r.text(s, "id", where, pattern=re.compile(r"^[A-Z0-9-]+$"), hint="an upper-case id like MOJ-VICTIMS-CORE"),
            name=r.text(s, "name", where), funder=r.text(s, "funder", where, choices=FUNDERS),
            ring_fence=tuple(ring_fence), carry_forward=r.boolean(s, "carry_forward", where),
            match_funding_pct=r.decimal(s, "match_funding_pct", where),
            cost_centres=tuple(str(c) for c in r.items(s, "cost_centres", where, required=False)),
            reported_in=r.text(s, "reported_in", where, required=False),
            first_year=first_year, last_year=last_year,
            match_funding_for=r.text(s, "match_funding_for", where, required=False),
            conditions=tuple(conditions),
        ))
    if not streams:
        raise r.fail("funding_streams", "is empty; expected at least one funding stream")
    _unique(r, "funding_streams", [s.id for s in streams], "funding stream id")
    _unique(r, "funding_streams[].cost_centres", [c for s in streams for c in s.cost_centres], "cost centre")
    ids = {s.id for s in streams}
    for i, s in enumerate(streams):
        if s.match_funding_for and s.match_funding_for not in ids:
            raise r.fail(f"funding_streams[{i}].match_funding_for",
                         f"{s.match_funding_for!r} is not a funding stream id; expected one of: {', '.join(sorted(ids))}")

    returns = []
    for i, ret in enumerate(r.items(doc, "returns", "", required=False)):
        where = f"returns[{i}]"
        ret = r.mapping(ret, where)
        returns.append(ReturnDue(r.text(ret, "pack", where), r.text(ret, "frequency", where, choices=RETURN_FREQUENCIES)))

    folder = path.parent
    inbox_setting = r.text(doc, "inbox", "", required=False) or "inbox"
    inbox = Path(inbox_setting)
    inbox = inbox if inbox.is_absolute() else folder / inbox

    as_of = r.date(doc, "as_of", "") if doc.get("as_of") is not None else None
    freshness = r.mapping(doc.get("freshness") or {}, "freshness")
    limits = {}
    for key, default in (("ledger_max_age_days", 45), ("police_max_age_months", 3)):
        value = freshness.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise r.fail(f"freshness.{key}", f"{value!r} is not a whole number of at least 1")
        limits[key] = value

    demo = None
    if doc.get("demo") is not None:
        demo = _parse_demo(r, r.mapping(doc["demo"], "demo"), {s.id for s in streams})

    return Tenant(
        slug=slug, name=r.text(doc, "name", ""),
        force_name=r.text(force, "name", "police_force"),
        force_slug=r.text(force, "slug", "police_force", pattern=re.compile(r"^[a-z-]+$"),
                          hint="a data.police.uk force slug like west-yorkshire"),
        force_reported_by=reported_by, districts=tuple(districts), plans=tuple(plans),
        funding_streams=tuple(streams), returns=tuple(returns), folder=folder, config_path=path,
        inbox=inbox, demo=demo, as_of=as_of, raw=doc, **limits,
    )


def _parse_demo(r: _Reader, demo: dict, stream_ids: set[str]) -> DemoSettings:
    first = r.text(demo, "first_financial_year", "demo", pattern=FINANCIAL_YEAR, hint="a financial year like 2023-24")
    allocations = []
    raw_allocations = demo.get("allocations") or {}
    r.mapping(raw_allocations, "demo.allocations")
    for stream_id, years in raw_allocations.items():
        where = f"demo.allocations.{stream_id}"
        if stream_id not in stream_ids:
            raise r.fail(where, f"{stream_id!r} is not a funding stream of this tenant")
        for year, entry in r.mapping(years, where).items():
            yw = f"{where}.{year}"
            if not FINANCIAL_YEAR.match(str(year)):
                raise r.fail(yw, f"{year!r} is not a financial year like 2023-24")
            entry = r.mapping(entry, yw)
            allocations.append(DemoAllocation(stream_id, str(year), r.decimal(entry, "amount", yw),
                                              r.text(entry, "source", yw)))

    def count(key: str) -> int:
        value = demo.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise r.fail(f"demo.{key}", f"{value!r} is not a whole number of at least 1")
        return value

    centre = demo.get("map_centre")
    if not (isinstance(centre, list) and len(centre) == 2 and all(isinstance(x, (int, float)) for x in centre)
            and -180 <= centre[0] <= 180 and -90 <= centre[1] <= 90):
        raise r.fail("demo.map_centre", f"{centre!r} is not [longitude, latitude], e.g. [-1.55, 53.8]")
    return DemoSettings(first, count("financial_years"), count("agreements"), count("providers"),
                        (float(centre[0]), float(centre[1])), tuple(allocations))


def _unique(r: _Reader, key: str, values: list[str], what: str) -> None:
    seen = set()
    for v in values:
        if v in seen:
            raise r.fail(key, f"{what} {v!r} appears twice")
        seen.add(v)
