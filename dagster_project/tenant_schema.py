"""The shape of ``sources/<tenant>/tenant.yml`` as pydantic models, one per section.

Each value kind (:class:`Kind`) says what it expects and how it reads a value; the models
add the rules between keys and sections. :func:`problems` turns a validation failure into
one ``(key path, message)`` per problem, the message saying what was found and what was
expected. Keys a section does not know are ignored, as they always were, except under a
stream's ``conditions``, where a mistyped key would silently drop a grant condition.
"""
from __future__ import annotations

import datetime as dt
import re
import types
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, Callable, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, core_schema

FUNDERS = ("MoJ", "Home Office", "Precept", "POCA", "NHS", "Other")
RETURN_FREQUENCIES = ("quarterly", "half-yearly", "annual")


def problem(found: str, expected: str, at: str = "") -> PydanticCustomError:
    """A problem in tenant.yml; ``at`` is its key path below the field or model that found it."""
    return PydanticCustomError("tenant_yml", "{found}; expected {expected}",
                               {"found": found, "expected": expected, "at": at})


def _found(value: Any) -> str:
    """A value as a message shows what was found: containers by kind, anything else as written."""
    if isinstance(value, (bool, dt.date)):         # as YAML writes them
        return str(value).lower() if isinstance(value, bool) else value.isoformat()
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value)) or repr(value)


@dataclass(frozen=True)
class Kind:
    """A kind of tenant.yml value: what is expected, and ``read``, which returns the value
    typed or raises ValueError saying what it found instead. Used as ``Annotated`` metadata."""
    expected: str
    read: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self._validate)

    def _validate(self, value: Any) -> Any:
        try:
            return self.read(value)
        except ValueError as exc:
            raise problem(str(exc), self.expected) from None


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"found {_found(value)}")
    if not str(value).strip():
        raise ValueError("found empty text")
    return str(value).strip()


def _text_that(test: Callable[[str], Any], what: str) -> Callable[[Any], str]:
    """Read text that passes ``test``; anything else "is not <what>"."""
    def read(value: Any) -> str:
        text = _text(value)
        if not test(text):
            raise ValueError(f"{text!r} is not {what}")
        return text
    return read


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{_found(value)} is not a date") from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"found {_found(value)}")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError(f"{value!r} is a float, which is not exact")
    try:
        number = Decimal(str(value)) if isinstance(value, (str, int)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"{_found(value)} is not a number")
    return number


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"found {_found(value)}")
    return value


def _lon_lat(value: Any) -> tuple[float, float]:
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(x, (int, float)) for x in value)
            and -180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        return float(value[0]), float(value[1])
    raise ValueError(f"found {value!r}")


def _pattern(regex: str) -> Callable[[str], Any]:
    return re.compile(regex).fullmatch


Text = Annotated[str, Kind("text", _text)]
Slug = Annotated[str, Kind("a tenant slug like west_yorkshire", _text_that(_pattern(r"[a-z0-9_]+"), "a tenant slug"))]
ForceSlug = Annotated[str, Kind("a data.police.uk force slug like west-yorkshire",
                                _text_that(_pattern(r"[a-z-]+"), "a force slug"))]
OnsCode = Annotated[str, Kind("an ONS code like E08000035", _text_that(_pattern(r"[EWSN]\d{8}"), "an ONS code"))]
FinancialYear = Annotated[str, Kind("a financial year like 2024-25",
                                    _text_that(_pattern(r"\d{4}-\d{2}"), "a financial year"))]
StreamId = Annotated[str, Kind("an upper-case id like MOJ-VICTIMS-CORE",
                               _text_that(_pattern(r"[A-Z0-9-]+"), "an upper-case id"))]
Funder = Annotated[str, Kind("one of: " + ", ".join(FUNDERS), _text_that(FUNDERS.__contains__, "one of the funders"))]
Frequency = Annotated[str, Kind("one of: " + ", ".join(RETURN_FREQUENCIES),
                                _text_that(RETURN_FREQUENCIES.__contains__, "one of the return frequencies"))]
Date = Annotated[dt.date, Kind("a date like 2024-04-01", _date)]
Flag = Annotated[bool, Kind("true or false", _flag)]
Number = Annotated[Decimal, Kind('a whole number, or a number in quotes like "2672833.00"', _decimal)]
Count = Annotated[int, Kind("a whole number of at least 1", _count)]
LonLat = Annotated[tuple[float, float], Kind("[longitude, latitude], e.g. [-1.55, 53.8]", _lon_lat)]


def _at_least_one(what: str) -> Any:
    return Field(min_length=1, description=f"a list of {what}, at least one")


def _once_each(values: list[str], what: str, at: str = "") -> None:
    """A problem for the first of ``values`` that appears twice."""
    twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
    if twice is not None:
        raise problem(f"{what} {twice!r} appears twice", f"each {what} once", at)


class Section(BaseModel):
    """A part of tenant.yml, frozen once read. A key set to nothing counts as absent."""
    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _nothing_is_absent(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data

    def __hash__(self) -> int:
        # Hashable like the dataclasses these models replaced; the by-year mappings cannot hash, so are left out.
        values = (getattr(self, name) for name in type(self).model_fields)
        return hash(tuple(v for v in values if not isinstance(v, dict)))


class PoliceForce(Section):
    """The police force whose area the office covers (``police_force``)."""
    name: Text
    slug: ForceSlug
    reported_by: tuple[Text, ...] = ()              # names the force goes by in police data (none: its name)


class District(Section):
    """A local authority district of the area (``districts``)."""
    code: OnsCode
    name: Text
    other_codes: tuple[OnsCode, ...] = ()            # the district's codes before boundary changes

    @property
    def all_codes(self) -> tuple[str, ...]:
        return (self.code, *self.other_codes)


class Priority(Section):
    """A priority of a Police and Crime Plan."""
    id: Text
    name: Text


class Plan(Section):
    """A Police and Crime Plan and the dates it is in force (``plans``)."""
    id: Text
    title: Text
    valid_from: Date
    valid_to: Date
    priorities: tuple[Priority, ...] = _at_least_one("priorities")
    cross_cutting: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Plan:
        if self.valid_to < self.valid_from:
            raise problem(f"{self.valid_to} is before valid_from {self.valid_from}", "a date on or after valid_from",
                          "valid_to")
        return self

    def in_force(self, day: dt.date) -> bool:
        """Whether the plan is in force on ``day``."""
        return self.valid_from <= day <= self.valid_to


class ConditionTerms(Section, extra="forbid"):
    """A stream's grant conditions for one financial year, as written under ``conditions``."""
    match_funding_pct: Number | None = None        # match funding required, % of the grant spent
    evaluation_min_pct: Number | None = None       # least share of spend on evaluation, %
    source: Text | None = None


class StreamCondition(ConditionTerms):
    """A grant condition of a stream for one financial year (tenant.yml ``conditions``)."""
    financial_year: str


class FundingStream(Section):
    """Money with rules: a grant or budget the office spends (``funding_streams``)."""
    id: StreamId
    name: Text
    funder: Funder
    ring_fence: tuple[Text, ...] = ()              # service categories the stream may pay for (none: any)
    carry_forward: Flag
    match_funding_pct: Number                      # every year's, unless a condition of the year says otherwise
    cost_centres: tuple[Text, ...] = ()
    reported_in: Text | None = None
    first_year: FinancialYear | None = None        # the stream exists from this financial year (None: always)
    last_year: FinancialYear | None = None         # ... up to this one
    match_funding_for: Text | None = None          # partners' match funding for this stream of the office
    terms_by_year: dict[FinancialYear, ConditionTerms] = Field(default={}, alias="conditions")

    @cached_property
    def conditions(self) -> tuple[StreamCondition, ...]:
        """The stream's grant conditions, one per financial year that has any."""
        # model_construct: the terms are read already (reading a Decimal again would fail)
        return tuple(StreamCondition.model_construct(financial_year=year, **dict(terms))
                     for year, terms in self.terms_by_year.items())

    @field_validator("ring_fence")
    @classmethod
    def _service_categories(cls, ring_fence: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        categories = info.context["categories"]
        for i, category in enumerate(ring_fence):
            if category not in categories:
                raise problem(f"{category!r} is not a service category", "one of: " + ", ".join(categories), f"[{i}]")
        return ring_fence

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> FundingStream:
        if self.first_year and self.last_year and self.last_year < self.first_year:
            raise problem(f"{self.last_year} is before first_year {self.first_year}", "first_year or later",
                          "last_year")
        return self


class ReturnDue(Section):
    """A return the office owes a funder, and how often (``returns``)."""
    pack: Text
    frequency: Frequency


class Freshness(Section):
    """When a source counts as stale (``freshness``)."""
    ledger_max_age_days: Count = 45
    police_max_age_months: Count = 3


class AllocationTerms(Section):
    """A stream's demo allocation for one financial year, as written under ``demo.allocations``."""
    amount: Number
    source: Text


class DemoAllocation(AllocationTerms):
    """A stream's demo allocation for one financial year."""
    stream_id: str
    financial_year: str


class DemoSettings(Section):
    """Settings for ``pccw demo-data`` (``demo``)."""
    first_financial_year: FinancialYear
    financial_years: Count
    agreements: Count
    providers: Count
    map_centre: LonLat
    by_stream: dict[Text, dict[FinancialYear, AllocationTerms]] = Field(default={}, alias="allocations")

    @cached_property
    def allocations(self) -> tuple[DemoAllocation, ...]:
        """Each stream's allocation for each financial year."""
        # model_construct: the terms are read already
        return tuple(DemoAllocation.model_construct(stream_id=stream_id, financial_year=year, **dict(terms))
                     for stream_id, years in self.by_stream.items() for year, terms in years.items())


class Publication(Section):
    """How the office publishes what it funds (360Giving): its 360Giving publisher prefix (given by the
    360Giving Helpdesk when it registers), its own organisation identifier (org-id.guide), and the
    licence and web page the files carry."""
    prefix: Annotated[str, Kind("a 360Giving prefix like 360G-wypcc",
                                _text_that(_pattern(r"360G-[A-Za-z0-9_-]+"), "a 360Giving prefix"))]
    org_identifier: Text
    licence: Text = "https://creativecommons.org/licenses/by/4.0/"
    website: Text | None = None


class TenantFile(Section):
    """The whole of tenant.yml. Validate with context ``folder`` (the tenant folder's name)
    and ``categories`` (the service categories a ring-fence may name)."""
    tenant: Slug
    name: Text
    police_force: PoliceForce
    districts: tuple[District, ...] = _at_least_one("districts")
    plans: tuple[Plan, ...] = _at_least_one("Police and Crime Plans")
    funding_streams: tuple[FundingStream, ...] = _at_least_one("funding streams")
    returns: tuple[ReturnDue, ...] = ()
    inbox: Text = "inbox"                          # relative to the tenant's folder
    as_of: Date | None = None
    freshness: Freshness = Freshness()
    demo: DemoSettings | None = None
    publication: Publication | None = None

    @field_validator("tenant")
    @classmethod
    def _names_its_folder(cls, slug: str, info: ValidationInfo) -> str:
        folder = info.context["folder"]
        if slug != folder:
            raise problem(f"found {slug!r}", f"{folder!r}, the name of the tenant's folder")
        return slug

    @field_validator("districts")
    @classmethod
    def _codes_once(cls, districts: tuple[District, ...]) -> tuple[District, ...]:
        _once_each([c for d in districts for c in d.all_codes], "district code")
        return districts

    @field_validator("plans")
    @classmethod
    def _one_plan_a_day(cls, plans: tuple[Plan, ...]) -> tuple[Plan, ...]:
        """Sorts the plans by start, which must not overlap; ids are unique, as are priority ids."""
        plans = tuple(sorted(plans, key=lambda p: p.valid_from))
        for earlier, later in zip(plans, plans[1:]):
            if later.valid_from <= earlier.valid_to:
                raise problem(f"{earlier.id} (to {earlier.valid_to}) overlaps {later.id} (from {later.valid_from})",
                              "exactly one plan in force on any day")
        _once_each([p.id for p in plans], "plan id")
        _once_each([pr.id for p in plans for pr in p.priorities], "priority id", "[].priorities")
        return plans

    @field_validator("funding_streams")
    @classmethod
    def _ids_once(cls, streams: tuple[FundingStream, ...]) -> tuple[FundingStream, ...]:
        _once_each([s.id for s in streams], "funding stream id")
        _once_each([c for s in streams for c in s.cost_centres], "cost centre", "[].cost_centres")
        return streams

    @model_validator(mode="after")
    def _streams_exist(self) -> TenantFile:
        """match_funding_for and the demo allocations name funding streams of this tenant."""
        ids = [s.id for s in self.funding_streams]
        named = [(f"funding_streams[{i}].match_funding_for", s.match_funding_for)
                 for i, s in enumerate(self.funding_streams) if s.match_funding_for]
        named += [(f"demo.allocations.{stream_id}", stream_id) for stream_id in (self.demo.by_stream if self.demo else ())]
        for at, stream_id in named:
            if stream_id not in ids:
                raise problem(f"{stream_id!r} is not a funding stream of this tenant", "one of: " + ", ".join(ids), at)
        return self


def problems(error: ValidationError) -> list[tuple[str, str]]:
    """Each problem of a failed :class:`TenantFile` validation as (key path, one-line message)."""
    return [_problem(e) for e in error.errors(include_url=False)]


def _problem(error: Any) -> tuple[str, str]:
    loc = tuple(part for part in error["loc"] if part != "[key]")    # a mapping key's own error: the key is enough
    ours = error["type"] == "tenant_yml"
    key = _key_path(*loc, error["ctx"]["at"] if ours else "") or "(top level)"
    if ours:
        return key, error["msg"]
    if error["type"] == "extra_forbidden":
        return key, "unknown key; expected one of: " + ", ".join(_keys(_schema_at(loc[:-1])[0]))
    expected = _expected(*_schema_at(loc))
    if error["type"] == "missing":
        return key, f"missing; expected {expected}"
    if error["type"] == "too_short":
        return key, f"is empty; expected {expected}"
    return key, f"found {_found(error['input'])}; expected {expected}"


def _key_path(*parts: str | int) -> str:
    """Key path parts as messages write them: plans[1].valid_from, demo.allocations.CSF."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("["):
            path += part
        elif part:
            path = f"{path}.{part}" if path else part
    return path


def _keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key tenant.yml spells them with."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _schema_at(loc: tuple) -> tuple[Any, FieldInfo | None]:
    """The type at ``loc`` in :class:`TenantFile`, and the field that declares it (None inside a list or mapping)."""
    kind, field = TenantFile, None
    for part in loc:
        kind = _bare(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = _keys(kind)[part]
            kind = field.annotation
        else:                                      # tuple[X, ...] or dict[K, X]: an item is an X
            kind, field = get_args(kind)[0 if get_origin(kind) is tuple else -1], None
    return _bare(kind), field


def _bare(kind: Any) -> Any:
    """``kind`` without ``Annotated`` metadata and ``| None``."""
    while get_origin(kind) in (Annotated, Union, types.UnionType):
        kind = next(arg for arg in get_args(kind) if arg is not type(None))
    return kind


def _expected(kind: Any, field: FieldInfo | None) -> str:
    """What belongs at a place the file got wrong, for the checks pydantic makes itself."""
    for described in field.metadata if field else ():
        if isinstance(described, Kind):
            return described.expected
    if field and field.description:
        return field.description
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return "a mapping with keys " + ", ".join(_keys(kind))
    return "a mapping" if get_origin(kind) is dict else "a list"
