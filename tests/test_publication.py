"""The 360Giving publication of the demo office: valid against the official 360Giving schema (1.4.3,
from ../shared/reference/360giving, resolved by a local registry: no network), and holding exactly
the register's grants, with the amounts and dates its cells give, worked out here from the register
workbook in the inbox, not from the warehouse."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dagster_project.publish.threesixtygiving import GRANT_COLUMNS, publication_dir, write_publication
from dagster_project.warehouse import open_reader

SLUG = "west_yorkshire"
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "360giving"


def financial_year(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def register_grants(inbox: Path) -> dict[str, dict[str, dict]]:
    """The register's grants the office pays for, by financial year of award: {year: {ref: row}}."""
    ws = load_workbook(inbox / "agreements" / "agreements_register.xlsx", read_only=True)["Agreements"]
    rows = ws.iter_rows(values_only=True)
    header = next(rows)
    by_year: dict[str, dict[str, dict]] = defaultdict(dict)
    for values in rows:
        row = dict(zip(header, values))
        if row["Agreement type"] == "Grant" and row["Commissioning role"] != "Influencing" and row["Annual value"] > 0:
            by_year[financial_year(row["Award date"].date())][row["Agreement ref"]] = row
    return by_year


def published(slug: str) -> dict[str, dict]:
    """Each financial year's published package: {year: package}."""
    root = publication_dir(load(slug), "x").parent
    return {folder.name: json.loads(next(folder.glob("*.json")).read_text()) for folder in sorted(root.iterdir())}


def load(slug: str):
    from dagster_project.tenants import load_tenant
    return load_tenant(slug)


def validator():
    """The official package schema, its grant schema resolved locally (it names 1.4.2; the file is 1.4.3)."""
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    if not (SCHEMAS / "360-giving-package-schema.json").exists():
        pytest.skip(f"the 360Giving schemas are not in {SCHEMAS} (../shared/reference/360giving)")
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(grant["$id"], resource),
                                          (grant["$id"].replace("/1.4.3/", "/1.4.2/"), resource)])
    checker = FormatChecker()

    # The schema's dates are "a date-time, or YYYY-MM-DD" (oneOf): date-time must be asserted, as
    # 360Giving's own checker does, or a plain date would match both and fail.
    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        if isinstance(value, str):
            if "T" not in value:
                raise ValueError(f"{value!r} has no time")
            dt.datetime.fromisoformat(value)
        return True

    return Draft202012Validator(package, registry=registry, format_checker=checker)


def test_each_years_file_is_valid_360giving(demo):
    demo.built(SLUG)
    check = validator()
    packages = published(SLUG)
    assert packages, "no 360Giving file was written"
    for year, package in packages.items():
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(package)]
        assert not problems, f"{year}: " + "; ".join(problems[:5])
    broken = json.loads(json.dumps(next(iter(packages.values()))))
    del broken["grants"][0]["awardDate"]
    assert list(check.iter_errors(broken)), "the validator accepted a grant without an award date"


def test_the_files_hold_the_registers_grants_and_nothing_else(demo):
    demo.built(SLUG)
    tenant = load(SLUG)
    expected = register_grants(tenant.inbox)
    packages = published(SLUG)
    assert set(packages) == set(expected)
    for year, package in packages.items():
        grants = {g["id"]: g for g in package["grants"]}
        assert set(grants) == {f"360G-wypcc-{ref}" for ref in expected[year]}, year
        for ref, row in expected[year].items():
            grant = grants[f"360G-wypcc-{ref}"]
            assert Decimal(str(grant["amountAwarded"])) == Decimal(str(row["Total value"])).quantize(Decimal("0.01"))
            assert grant["awardDate"] == row["Award date"].date().isoformat()
            assert grant["plannedDates"][0]["startDate"] == row["Start date"].date().isoformat()
            assert grant["plannedDates"][0]["endDate"] == row["End date"].date().isoformat()
            assert grant["title"] == row["Service name"]
            assert grant["fundingOrganization"] == [{"id": "GB-GOR-WYPCC", "name": tenant.name}]
            served = sorted(d.strip() for d in row["Districts"].split(";"))
            assert sorted(loc["name"] for loc in grant["beneficiaryLocation"]) == served
            codes = {d.name: d.code for d in tenant.districts}
            assert {loc["geoCode"] for loc in grant["beneficiaryLocation"]} == {codes[d] for d in served}
            assert {loc["geoCodeType"] for loc in grant["beneficiaryLocation"]} == {"MD"}   # West Yorkshire's are E08
    # Contracts, service level agreements and co-commissioning are not grants.
    ws = load_workbook(tenant.inbox / "agreements" / "agreements_register.xlsx", read_only=True)["Agreements"]
    others = {r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] and r[6] != "Grant"}
    assert others and not others & {g["id"].removeprefix("360G-wypcc-") for p in packages.values() for g in p["grants"]}


def test_the_spreadsheet_has_the_standards_titles_and_a_row_per_grant(demo):
    demo.built(SLUG)
    for year, package in published(SLUG).items():
        ws = load_workbook(next(publication_dir(load(SLUG), year).glob("*.xlsx")), read_only=True)["grants"]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0][: len(GRANT_COLUMNS)]) == [title for title, _ in GRANT_COLUMNS]
        assert "Beneficiary Location:0:Geographic Code" in rows[0]
        by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
        assert set(by_id) == {g["id"] for g in package["grants"]}
        for grant in package["grants"]:
            assert Decimal(str(by_id[grant["id"]]["Amount Awarded"])) == Decimal(str(grant["amountAwarded"]))


def test_a_rerun_with_nothing_new_writes_no_file(demo):
    demo.built(SLUG)
    con = open_reader(SLUG)
    try:
        assert write_publication(con, load(SLUG)) == []
    finally:
        con.close()


def test_a_year_whose_grants_moved_away_is_taken_down(tmp_path, monkeypatch):
    # The publication's own rows, without a pipeline: one grant, awarded in 2023-24, then its award
    # date corrected into 2024-25. The 2023-24 files must go, not stay published with a stale grant.
    import duckdb

    monkeypatch.setenv("PCCW_REPORTS_OUT", str(tmp_path / "reports"))
    tenant = load(SLUG)
    con = duckdb.connect()
    con.execute("create schema publications")
    con.execute("""create table publications.rpt_360giving__grants as select
        'G1' as agreement_ref, '2023-24' as financial_year, 'Service G1' as title, 'A service.' as description,
        'GBP' as currency, 1500.50::decimal(18, 2) as amount_awarded, date '2024-03-01' as award_date,
        date '2024-04-01' as planned_start_date, date '2025-03-31' as planned_end_date,
        12 as planned_duration_months, 'PRV1' as provider_id, 'Test Charity' as recipient_name,
        'GB-CHC-1000001' as recipient_org_identifier, '1000001' as recipient_charity_number,
        null::varchar as recipient_company_number, null::varchar as not_published_reason""")
    con.execute("""create table publications.rpt_360giving__grant_programmes as
        select 'G1' as agreement_ref, 'CSF' as programme_code, 'Community Safety Fund' as programme_title""")
    con.execute("""create table publications.rpt_360giving__beneficiary_locations as select 'G1' as agreement_ref,
        'Leeds' as location_name, 'E08000035' as geo_code, 'MD' as geo_code_type, 'GB' as country_code""")
    first = write_publication(con, tenant)
    assert sorted(p.name for p in first) == ["360G-wypcc_2023-24.json", "360G-wypcc_2023-24.xlsx"]
    [grant] = json.loads(next(p for p in first if p.suffix == ".json").read_text())["grants"]
    assert grant["amountAwarded"] == 1500.5 and grant["recipientOrganization"] == [
        {"id": "GB-CHC-1000001", "name": "Test Charity", "charityNumber": "1000001"}]
    assert write_publication(con, tenant) == []

    con.execute("""update publications.rpt_360giving__grants
                   set financial_year = '2024-25', award_date = date '2024-04-02'""")
    moved = write_publication(con, tenant)
    assert sorted(p.name for p in moved) == ["360G-wypcc_2023-24.json", "360G-wypcc_2023-24.xlsx",
                                             "360G-wypcc_2024-25.json", "360G-wypcc_2024-25.xlsx"]
    assert [p.name for p in (tmp_path / "reports" / SLUG / "360giving").iterdir()] == ["2024-25"]


def test_the_reports_site_links_every_pack_and_publication_and_opens_from_disk(demo):
    import re

    from dagster_project.publish.site import site_page

    demo.built(SLUG)
    page = site_page(load(SLUG))
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html and '<main id="main">' in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and not [h for h in hrefs if h.startswith(("http:", "https:", "//", "/"))]
    missing = [h for h in hrefs if not h.startswith("#") and not (page.parent / h).exists()]
    assert not missing, missing
    root = page.parent
    for manifest in root.glob("*/*/manifest.json"):
        assert manifest.relative_to(root).as_posix() in hrefs
    for package in root.glob("360giving/*/*.json"):
        assert package.relative_to(root).as_posix() in hrefs


def test_the_reports_site_escapes_what_it_shows(tmp_path):
    import dataclasses

    from dagster_project.publish.site import render_site

    tenant = dataclasses.replace(load(SLUG), name='Office <script>alert(1)</script> & "Partners"')
    html = render_site(tenant, tmp_path)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Partners&quot;" in html
    assert "No return pack has been rendered yet." in html and "Nothing is published yet" in html
