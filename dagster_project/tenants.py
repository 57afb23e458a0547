"""Load a tenant's configuration (``sources/<tenant>/tenant.yml``) into typed objects.

Every tenant fact (districts, plans and priorities, funding streams, returns) lives in
that file, never in code. Its shape and rules are the pydantic models of
:mod:`dagster_project.tenant_schema`. A bad file fails with :class:`ConfigError`: one line
per problem, naming the file, the key path (``plans[1].valid_from``), what was found and
what was expected.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import ValidationError

from dagster_project import settings
from dagster_project.tenant_schema import (  # the section types are re-exported: callers import them from here
    DemoSettings, District, FundingStream, Plan, Publication, ReturnDue, TenantFile,
    problems,
)

# libyaml's loader where PyYAML was built with it (ten times faster; a tenant.yml is read at every step).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValueError):
    """A tenant configuration that cannot be used: one line per problem, each naming the file, key and why.

    ``key`` is the first problem's key path; ``problems`` lists every (key path, message)."""

    def __init__(self, path: Path | str, key: str, message: str, more: Iterable[tuple[str, str]] = ()):
        self.path, self.key = str(path), key
        self.problems = [(key, message), *more]
        super().__init__("\n".join(f"{path}: {k}: {m}" if k else f"{path}: {m}" for k, m in self.problems))


def service_categories() -> dict[str, str]:
    """The service categories every tenant shares (a dbt seed, read here too)."""
    with open(settings.DBT_DIR / "seeds" / "service_categories.csv", newline="") as fh:
        return {row["service_category"]: row["label"] for row in csv.DictReader(fh)}


@dataclass(frozen=True)
class Tenant:
    """A tenant as the rest of the code uses it: tenant.yml's sections, with its paths resolved."""
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
    publication: Publication | None = None
    as_of: dt.date | None = None
    ledger_max_age_days: int = 45
    police_max_age_months: int = 3
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)      # tenant.yml as parsed

    @property
    def reporting_date(self) -> dt.date:
        """The date the warehouse reports as of: tenant.yml ``as_of``, else today."""
        return self.as_of or dt.date.today()

    def plan_on(self, day: dt.date) -> Plan | None:
        """The Police and Crime Plan in force on ``day``, if any."""
        return next((p for p in self.plans if p.in_force(day)), None)

    def stream(self, stream_id: str) -> FundingStream:
        """The funding stream with id ``stream_id``."""
        return next(s for s in self.funding_streams if s.id == stream_id)


def tenant_dir(slug: str) -> Path:
    """The tenant's folder under sources/."""
    return settings.SOURCES_DIR / slug


def available_tenants() -> list[str]:
    """The slugs of the tenants with a tenant.yml, sorted."""
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
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(path, "", f"{line}not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    return parse_tenant(document, path)


def parse_tenant(document: Any, path: Path) -> Tenant:
    """Validate ``document``, the parsed YAML of the tenant.yml at ``path``, into a :class:`Tenant`."""
    try:
        config = TenantFile.model_validate(document, context={"folder": path.parent.name,
                                                              "categories": service_categories()})
    except ValidationError as exc:
        (key, message), *more = problems(exc)
        raise ConfigError(path, key, message, more) from None
    force, folder = config.police_force, path.parent
    return Tenant(
        slug=config.tenant, name=config.name, force_name=force.name, force_slug=force.slug,
        force_reported_by=force.reported_by or (force.name,), districts=config.districts, plans=config.plans,
        funding_streams=config.funding_streams, returns=config.returns, folder=folder, config_path=path,
        inbox=folder / config.inbox, demo=config.demo, publication=config.publication, as_of=config.as_of,
        ledger_max_age_days=config.freshness.ledger_max_age_days,
        police_max_age_months=config.freshness.police_max_age_months, raw=document,
    )
