"""What the ``pccw returns`` commands do: issue a template, check a file, list overdue returns.

A template prints what the ``returns`` schema holds for it (``rpt_provider_return__agreements``,
``rpt_provider_return__kpis``); overdue returns are the ``marts.provider_returns_due`` mart. Each
opens the warehouse with :func:`warehouse.open_reader` (:class:`NoWarehouse` before a first run).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project import warehouse
from dagster_project.errors import NoWarehouse
from dagster_project.periods import Quarter
from dagster_project.returns import template as t
from dagster_project.returns.validation import Verdict, validate
from dagster_project.settings import TenantPaths
from dagster_project.tenants import Tenant


class NotReady(RuntimeError):
    """The warehouse lacks what the command needs (for example, no agreements register yet)."""


def _not_built(tenant: Tenant) -> NotReady:
    return NotReady(f"{tenant.slug}: the warehouse has no successful dbt build yet; "
                    f"see `pccw status --tenant {tenant.slug}` and run `pccw run` again")


def template_content(tenant: Tenant, agreement_ref: str, quarter_label: str) -> t.ReturnContent:
    quarter = Quarter.parse(quarter_label)
    con = warehouse.open_reader(tenant.slug)
    try:
        try:
            row = con.execute("""select provider_name, service_name, start_date, end_date, service_category
                                 from returns.rpt_provider_return__agreements where agreement_ref = ?""",
                              [agreement_ref]).fetchone()
        except duckdb.CatalogException:
            raise _not_built(tenant) from None
        if row is None:
            raise NotReady(f"agreement {agreement_ref!r} is not in the latest agreements register")
        provider, service, start, end, category = row
        if not (start <= quarter.end and end >= quarter.start):
            raise NotReady(f"agreement {agreement_ref} runs {start:%d/%m/%Y} to {end:%d/%m/%Y}, "
                           f"not in {quarter.label}")
        kpis = con.execute("""select kpi, cast(target as varchar) from returns.rpt_provider_return__kpis
                              where agreement_ref = ? order by kpi""", [agreement_ref]).fetchall()
    finally:
        con.close()
    return t.ReturnContent(agreement_ref=agreement_ref, provider=provider, service=service, quarter=quarter.label,
                           districts=tuple(d.name for d in tenant.districts),
                           kpis=tuple((k, str(float(v)).removesuffix(".0")) for k, v in kpis),
                           immediate_justice=category == t.IMMEDIATE_JUSTICE_CATEGORY)


def issue_template(tenant: Tenant, agreement_ref: str, quarter_label: str, out: Path | None = None) -> Path:
    content = template_content(tenant, agreement_ref, quarter_label)
    out = out or (TenantPaths.for_tenant(tenant.slug).root / "templates" / content.quarter
                  / f"{agreement_ref}_{content.quarter}.xlsx")
    t.write_return(out, content)
    return out


def register(tenant: Tenant) -> dict[str, tuple[dt.date, dt.date]] | None:
    """Agreement dates from the latest register landed (what landing checks a return against); None
    when there is no warehouse or no register yet."""
    found = _register(tenant)
    return found and found[0]


def _register(tenant: Tenant) -> tuple[dict, dict] | None:
    """Agreement dates and service categories from the latest register landed, or None."""
    from dagster_project.extract.provider_returns import register_categories, register_dates
    try:
        con = warehouse.open_reader(tenant.slug)
    except NoWarehouse:
        return None
    try:
        return register_dates(con), register_categories(con)
    except duckdb.Error:
        return None
    finally:
        con.close()


def check_file(tenant: Tenant | None, path: Path, today: dt.date | None = None) -> tuple[Verdict, bool]:
    """Validate one file offline. Returns the verdict and whether the agreements register was available."""
    found = _register(tenant) if tenant else None
    agreements, categories = found if found else (None, None)
    verdicts = validate([(path, path.name)], agreements or {}, today, categories=categories)
    verdict = verdicts[0]
    if agreements is None:   # without a register, do not reject for an unknown agreement
        verdict.problems = [p for p in verdict.problems if "no agreement with this reference" not in p.rule
                            and "was not running in" not in p.rule]
        verdict.settle()
    return verdict, agreements is not None


def overdue(tenant: Tenant) -> list[tuple]:
    con = warehouse.open_reader(tenant.slug)
    try:
        return con.execute("""select provider_name, agreement_ref, quarter, due_date, days_overdue
                              from marts.provider_returns_due where status = 'Overdue'
                              order by provider_name, agreement_ref, quarter""").fetchall()
    except duckdb.CatalogException:
        raise _not_built(tenant) from None
    finally:
        con.close()
