"""``pccw demo-data``: write a tenant's synthetic inbox, deterministically.

Same tenant, seed and scale give byte-identical files. Everything is written into a
staging folder first and moved into the inbox only when complete, so an interrupted
run never leaves half a demo behind.

``national_scale=True`` (``pccw demo-data --national``) sizes the demo for England and Wales:
the police files of all 43 forces for five financial years (:mod:`dagster_project.demo.national`),
and the tenant's share of 1,000 agreements with 200 providers across the configured tenants.
"""
from __future__ import annotations

import dataclasses
import json
import random
import shutil
from pathlib import Path

from dagster_project.demo import finance, national, police, reference, returns
from dagster_project.demo.commissioning import Agreement, build_commissioning, pays
from dagster_project.demo.success_measures import write_success_measures
from dagster_project.extract.agreements import REGISTER_SHEETS
from dagster_project.periods import FinancialYear
from dagster_project.tenants import ConfigError, Tenant, available_tenants
from dagster_project.xlsx_files import save_workbook

STAMP = ".demo-data.json"
GENERATOR_VERSION = 4
NATIONAL_AGREEMENTS = 1000
NATIONAL_PROVIDERS = 200


def demo_years(tenant: Tenant) -> list[FinancialYear]:
    first = FinancialYear.parse(tenant.demo.first_financial_year)
    return [FinancialYear(first.start_year + i) for i in range(tenant.demo.financial_years)]


def is_generated(tenant: Tenant) -> bool:
    return (tenant.inbox / STAMP).exists()


def national_share(tenant: Tenant, total: int) -> int:
    """The tenant's part of a national total, shared evenly over the configured tenants."""
    slugs = sorted(set(available_tenants()) | {tenant.slug})
    count, rest = divmod(total, len(slugs))
    return count + (1 if slugs.index(tenant.slug) < rest else 0)


def generate(tenant: Tenant, out: Path | None = None, seed: int = 0, scale: float = 1.0,
             national_scale: bool = False) -> dict[str, int]:
    """Write the demo inbox for ``tenant`` into ``out`` (default: the tenant's inbox)."""
    if tenant.demo is None:
        raise ConfigError(tenant.config_path, "demo", "missing; this tenant has no demo settings")
    if scale <= 0:
        raise ValueError("scale must be more than 0")
    if national_scale:
        tenant = dataclasses.replace(tenant, demo=tenant.demo.model_copy(update={
            "agreements": national_share(tenant, NATIONAL_AGREEMENTS),
            "providers": national_share(tenant, NATIONAL_PROVIDERS)}))
    out = out or tenant.inbox
    staging = out.with_name(out.name + ".generating")
    shutil.rmtree(staging, ignore_errors=True)
    years = demo_years(tenant)

    def rng(part: str) -> random.Random:
        return random.Random(f"{seed}:{tenant.slug}:{part}")

    agreements = build_commissioning(tenant, years, rng("commissioning"))
    counts = {
        "funding": len(finance.write_allocations(tenant, staging / "funding")),
        "agreements": len([write_register(agreements, staging / "agreements" / "agreements_register.xlsx")]),
    }
    postings = finance.build_ledger(tenant, agreements, years, rng("ledger"))
    counts["ledger"] = len(finance.write_ledger_exports(postings, years, staging / "ledger"))
    # Monitoring returns come from the services the office pays for; an influencing role has none.
    counts["provider_returns"] = len(returns.write_returns(tenant, [a for a in agreements if pays(a)], years,
                                                           staging / "provider_returns", rng("returns")))
    if national_scale:
        counts["police"] = len(national.write_national_police(tenant, years[-1], staging / "police", seed,
                                                              years=national.NATIONAL_YEARS, scale=scale))
    else:
        counts["police"] = len(police.write_police(tenant, years, staging / "police", rng("police"), scale))
    counts["success_measures"] = len(write_success_measures(tenant, years, staging / "success_measures",
                                                            rng("success_measures")))
    counts["census"] = len(reference.write_census(tenant, staging / "census"))
    counts["lookup"] = len([reference.write_lookup(staging / "lookup")])
    (staging / STAMP).write_text(json.dumps({"tenant": tenant.slug, "seed": seed, "scale": scale,
                                             "national": national_scale,
                                             "generator_version": GENERATOR_VERSION, "files": counts},
                                            indent=2, sort_keys=True) + "\n")
    out.mkdir(parents=True, exist_ok=True)
    for item in sorted(staging.iterdir()):
        target = out / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True, copy_function=_move_or_copy)
        else:
            shutil.copy2(item, target)
    shutil.rmtree(staging)
    return counts


def _move_or_copy(source: str, target: str) -> None:
    """Files move from the staging folder (gigabytes at national scale); across disks they copy."""
    try:
        Path(source).replace(target)
    except OSError:
        shutil.copy2(source, target)


def write_register(agreements: list[Agreement], path: Path) -> Path:
    """The agreements register as the commissioning team keeps it: one workbook, a sheet per list."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    providers = {a.provider.id: a.provider for a in agreements}
    rows = {
        "Providers": [(p.id, p.name, p.org_type, p.charity_number, p.company_number, "; ".join(p.districts),
                       p.size_band) for p in sorted(providers.values(), key=lambda p: p.id)],
        "Agreements": [(a.ref, a.provider.id, a.service_name, a.category, a.cohort, "; ".join(a.districts),
                        a.agreement_type, a.role, a.procurement_route, a.start, a.end, float(a.annual_value),
                        float(a.total_value), a.decision_record, "Yes" if a.eia_done else "No",
                        "Yes" if a.dpia_done else "No", a.modern_slavery, a.social_value_score, a.ages_served,
                        a.award_date)
                       for a in agreements],
        "Funding split": [(a.ref, s, float(share)) for a in agreements for s, share in a.funding],
        "Priority weights": [(a.ref, plan, prio, float(w)) for a in agreements for plan, prio, w in a.priorities],
        "KPIs": [(a.ref, k, float(tg), unit) for a in agreements for k, tg, unit in a.kpis],
        "Funded posts": [(a.ref, kind, float(fte)) for a in agreements for kind, fte in a.posts],
    }
    wb = Workbook()
    wb.remove(wb.active)
    for spec in REGISTER_SHEETS:
        ws = wb.create_sheet(spec.sheet)
        ws.append(spec.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows[spec.sheet]:
            ws.append(row)
        for i, width in enumerate((14, 34, 30, 24, 30, 40), start=1):
            ws.column_dimensions[chr(64 + i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if hasattr(cell.value, "year"):
                    cell.number_format = "dd/mm/yyyy"
        ws.freeze_panes = "A2"
    save_workbook(wb, path)
    return path
