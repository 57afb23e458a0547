"""The office's 360Giving publication: the grants it awarded in each financial year, as a 360Giving
data package (JSON, Data Standard 1.4) and as the spreadsheet 360Giving's tools accept.

What is published, and what is not, is decided in one place, the ``publications.rpt_360giving__*``
models: grants the office awarded from its own money, with an award date. This module only shapes
those rows into the standard's fields and writes the files, under
``reports/out/<tenant>/360giving/<financial year>/``; a file is rewritten only when what it holds
changed, so a refresh with nothing new leaves them alone.
"""
from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project import settings
from dagster_project.publish.files import write_whole
from dagster_project.safe_text import set_text
from dagster_project.tenants import ConfigError, Tenant
from dagster_project.xlsx_files import save_workbook

STANDARD_VERSION = "1.4"
FOLDER = "360giving"

# The spreadsheet's columns: the standard's field titles (as 360Giving's own template heads them) and
# the JSON field each one holds. Grant programmes and beneficiary locations can be several per grant:
# each is numbered (":0:", ":1:", ...), the way 360Giving's converter reads lists in a spreadsheet.
GRANT_COLUMNS = (
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Award Date", ("awardDate",)),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Planned Dates:Duration (months)", ("plannedDates", 0, "duration")),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Recipient Org:Charity Number", ("recipientOrganization", 0, "charityNumber")),
    ("Recipient Org:Company Number", ("recipientOrganization", 0, "companyNumber")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
)
LIST_COLUMNS = (
    ("Grant Programme", "grantProgramme", (("Code", "code"), ("Title", "title"))),
    ("Beneficiary Location", "beneficiaryLocation",
     (("Name", "name"), ("Geographic Code", "geoCode"), ("Geographic Code Type", "geoCodeType"),
      ("Country Code", "countryCode"))),
)


def publication_dir(tenant: Tenant, year: str) -> Path:
    """Where a financial year's files go: reports/out/<tenant>/360giving/<year>/."""
    return settings.reports_out() / tenant.slug / FOLDER / year


def grant_id(tenant: Tenant, agreement_ref: str) -> str:
    """A grant's 360Giving identifier: the office's prefix and the agreement reference."""
    return f"{_publication(tenant).prefix}-{agreement_ref}"


def read_grants(con: duckdb.DuckDBPyConnection, tenant: Tenant) -> dict[str, list[dict]]:
    """Every published grant in the 360Giving shape, by financial year of award (ordered by id)."""
    programmes, locations = defaultdict(list), defaultdict(list)
    for ref, code, title in con.execute("""
            select agreement_ref, programme_code, programme_title from publications.rpt_360giving__grant_programmes
            order by agreement_ref, programme_code""").fetchall():
        programmes[ref].append({"code": code, "title": title})
    for ref, name, code, code_type, country in con.execute("""
            select agreement_ref, location_name, geo_code, geo_code_type, country_code
            from publications.rpt_360giving__beneficiary_locations order by agreement_ref, geo_code""").fetchall():
        locations[ref].append(_without_nulls({"name": name, "geoCode": code, "geoCodeType": code_type,
                                              "countryCode": country}))
    cursor = con.execute("""
        select * from publications.rpt_360giving__grants
        where not_published_reason is null order by financial_year, agreement_ref""")
    names = [d[0] for d in cursor.description]
    by_year: dict[str, list[dict]] = defaultdict(list)
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        by_year[row["financial_year"]].append(_grant(tenant, row, programmes[row["agreement_ref"]],
                                                     locations[row["agreement_ref"]]))
    return dict(by_year)


def not_published(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The grants left out of the publication, each with the reason: (agreement ref, reason)."""
    return con.execute("""select agreement_ref, not_published_reason from publications.rpt_360giving__grants
                          where not_published_reason is not null order by agreement_ref""").fetchall()


def package(tenant: Tenant, year: str, grants: list[dict]) -> dict:
    """The data package of one financial year's grants (360Giving package schema)."""
    publication = _publication(tenant)
    publisher = _without_nulls({"name": tenant.name, "identifier": publication.org_identifier,
                                "website": publication.website})
    return {
        "grants": grants,
        "version": STANDARD_VERSION,
        "title": f"{tenant.name}: grants awarded in {year}",
        "description": (f"The grants {tenant.name} awarded in the financial year {year} (April to March) from its "
                        "own money. Contracts, service level agreements and co-commissioning are not grants and "
                        "are not included."),
        "identifier": f"{publication.prefix}-{year}",
        "publisher": publisher,
        "license": publication.licence,
    }


def write_publication(con: duckdb.DuckDBPyConnection, tenant: Tenant) -> list[Path]:
    """Write each financial year's JSON package and spreadsheet whose content changed, and take away
    the folder of a year that no longer has a grant (its award dates were corrected) and any file a
    year's folder should not hold (one named by an earlier prefix); returns the files written or
    taken away (none when nothing changed)."""
    written = []
    by_year = read_grants(con, tenant)
    root = settings.reports_out() / tenant.slug / FOLDER
    for stale in sorted(p for p in root.glob("*") if p.is_dir() and p.name not in by_year):
        written += sorted(stale.iterdir())
        shutil.rmtree(stale)
    for year, grants in by_year.items():
        folder = publication_dir(tenant, year)
        stem = f"{_publication(tenant).prefix}_{year}"
        # Files of another name (the prefix was changed) would publish the grants twice.
        for other in sorted(p for p in folder.glob("*") if p.is_file() and p.name not in (f"{stem}.json", f"{stem}.xlsx")):
            other.unlink()
            written.append(other)
        text = json.dumps(package(tenant, year, grants), indent=2, ensure_ascii=False, default=_number) + "\n"
        json_path = folder / f"{stem}.json"
        if json_path.exists() and json_path.read_text(encoding="utf-8") == text and (folder / f"{stem}.xlsx").exists():
            continue
        # The spreadsheet first: the JSON is what a rerun compares, so a run killed between the two
        # writes both again.
        written.append(write_spreadsheet(grants, folder / f"{stem}.xlsx"))
        write_whole(json_path, text.encode("utf-8"))
        written.append(json_path)
    return written


def write_spreadsheet(grants: list[dict], path: Path) -> Path:
    """The grants as one sheet, "grants", headed with the standard's field titles."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    widest = {field: max((len(g.get(field, [])) for g in grants), default=0) for _, field, _ in LIST_COLUMNS}
    header = [title for title, _ in GRANT_COLUMNS]
    header += [f"{title}:{n}:{sub}" for title, field, subs in LIST_COLUMNS
               for n in range(widest[field]) for sub, _ in subs]
    wb = Workbook()
    ws = wb.active
    ws.title = "grants"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for number, grant in enumerate(grants, start=2):
        values = [_at(grant, path) for _, path in GRANT_COLUMNS]
        values += [_at(grant, (field, n, key)) for _, field, subs in LIST_COLUMNS
                   for n in range(widest[field]) for _, key in subs]
        for column, value in enumerate(values, start=1):
            set_text(ws.cell(row=number, column=column), value)
    ws.freeze_panes = "B2"
    save_workbook(wb, path)      # written whole: see xlsx_files
    return path


def _grant(tenant: Tenant, row: dict, programmes: list[dict], locations: list[dict]) -> dict:
    publication = _publication(tenant)
    recipient_id = row["recipient_org_identifier"] or f"{publication.prefix}-{row['provider_id']}"
    grant = {
        "id": grant_id(tenant, row["agreement_ref"]),
        "title": row["title"],
        "description": row["description"],
        "currency": row["currency"],
        "amountAwarded": row["amount_awarded"],
        "awardDate": row["award_date"].isoformat(),
        "plannedDates": [{"startDate": row["planned_start_date"].isoformat(),
                          "endDate": row["planned_end_date"].isoformat(),
                          "duration": row["planned_duration_months"]}],
        "recipientOrganization": [_without_nulls({
            "id": recipient_id, "name": row["recipient_name"],
            "charityNumber": row["recipient_charity_number"], "companyNumber": row["recipient_company_number"]})],
        "fundingOrganization": [{"id": publication.org_identifier, "name": tenant.name}],
    }
    if programmes:
        grant["grantProgramme"] = programmes
    if locations:
        grant["beneficiaryLocation"] = locations
    return grant


def _publication(tenant: Tenant):
    if tenant.publication is None:
        raise ConfigError(tenant.config_path, "publication",
                          "missing; the 360Giving publication needs the office's prefix and org_identifier")
    return tenant.publication


def _without_nulls(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _number(value):
    """Money in JSON: a whole amount as an integer, else the exact decimal (2 places at most)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _at(grant: dict, path: tuple):
    value = grant
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError):
            return None
    return value

