"""The demo generator: deterministic, and in the shapes a real office's files have."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dagster_project.demo.finance import OVERSPEND, UNDERSPEND
from dagster_project.demo.generator import demo_years, generate
from dagster_project.demo.police import district_crime
from dagster_project.periods import FinancialYear
from dagster_project.extract.ledger import LEDGER
from dagster_project.extract.police import STREET
from dagster_project.returns import template as t
from tests.conftest import SMALL_SCALE


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def wy_demo(tmp_path_factory):
    from dagster_project.tenants import load_tenant
    out = tmp_path_factory.mktemp("demo") / "inbox"
    generate(load_tenant("west_yorkshire"), out, seed=0, scale=SMALL_SCALE)
    return out


def test_same_arguments_give_byte_identical_files(tenant, tmp_path, wy_demo):
    again = tmp_path / "again"
    generate(tenant, again, seed=0, scale=SMALL_SCALE)
    assert tree(again) == tree(wy_demo)


def test_another_seed_gives_other_data(tenant, tmp_path, wy_demo):
    other = tmp_path / "other"
    generate(tenant, other, seed=1, scale=SMALL_SCALE)
    assert tree(other)["ledger/gl_export_2023-04.csv"] != tree(wy_demo)["ledger/gl_export_2023-04.csv"]


def test_at_least_25_agreements_over_8_quarters(wy_demo):
    wb = load_workbook(wy_demo / "agreements" / "agreements_register.xlsx", read_only=True)
    refs = [r[0] for r in wb["Agreements"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(refs) >= 25
    returns = list((wy_demo / "provider_returns").rglob("*.xlsx"))
    quarters = {p.parent.name for p in returns}
    assert quarters == {f"{y}-Q{q}" for y in ("2023-24", "2024-25") for q in range(1, 5)}
    assert len(returns) >= 25 * 8 - 10


def test_returns_include_resubmissions_of_faulty_returns(wy_demo):
    resubmitted = list((wy_demo / "provider_returns").rglob("*_resubmitted.xlsx"))
    assert len(resubmitted) == 2
    for corrected in resubmitted:
        first = corrected.with_name(corrected.name.replace("_resubmitted", ""))
        assert first.exists()
        ws_first = load_workbook(first, read_only=True)
        ws_fixed = load_workbook(corrected, read_only=True)
        differing = [s for s in ("Outcomes", "Demographics") if
                     list(ws_first[s].values) != list(ws_fixed[s].values)]
        assert len(differing) == 1


def test_return_workbook_layout(wy_demo):
    path = next((wy_demo / "provider_returns").rglob("*.xlsx"))
    wb = load_workbook(path)
    # An Immediate Justice agreement's return has one more sheet at the end.
    assert wb.sheetnames in (list(t.SHEETS), [*t.SHEETS, t.IMMEDIATE_JUSTICE.sheet])
    assert wb["Cover"]["B3"].value in t.ACCEPTED_VERSIONS
    assert wb["Activity"].protection.sheet is True
    assert wb["Activity"]["B4"].protection.locked is False and wb["Activity"]["A4"].protection.locked is True


def test_returns_on_both_template_versions(wy_demo):
    versions = Counter(load_workbook(p, read_only=True)["Cover"]["B3"].value
                       for p in (wy_demo / "provider_returns").rglob("*.xlsx"))
    assert versions[t.PREVIOUS_VERSION] == 2 and versions[t.TEMPLATE_VERSION] > 100


def test_ledger_exports_overlap_and_carry_reversals(wy_demo):
    ids_per_file = {}
    journal_types = Counter()
    for path in sorted((wy_demo / "ledger").glob("*.csv")):
        raw = path.read_bytes()
        assert raw.startswith((",".join(LEDGER.header) + "\r\n").encode())
        rows = list(csv.reader(io.StringIO(raw.decode())))[1:]
        ids_per_file[path.name] = [r[0] for r in rows]
        journal_types.update(r[7] for r in rows)
    overlaps = sum(len(set(a) & set(b)) for a, b in zip(ids_per_file.values(), list(ids_per_file.values())[1:]))
    assert overlaps > 0, "consecutive exports should repeat the last days of the month before"
    assert any(len(ids) != len(set(ids)) for ids in ids_per_file.values()), "one export repeats a transaction"
    assert journal_types["ACR"] > 0 and journal_types["REV"] > 0 and journal_types["CRN"] > 0


def test_police_files_use_published_names_and_header(wy_demo):
    files = sorted((wy_demo / "police").rglob("*.csv"))
    assert len(files) == 36   # from April of the year before the first reported year: 12 + 24 months
    for path in files:
        assert re.fullmatch(r"(\d{4}-\d{2})/\1-west-yorkshire-street\.csv", path.relative_to(wy_demo / "police").as_posix())
        assert path.read_bytes().split(b"\r\n", 1)[0].decode() == ",".join(STREET.header)


def test_allocations_use_the_real_figures(wy_demo):
    text = (wy_demo / "funding" / "allocations_2018-19.csv").read_text()
    assert "MOJ-VICTIMS-CORE,2018-19,2672833.00" in text and "CSF,2018-19,5172840.00" in text


@pytest.fixture(scope="module")
def as_demo(tmp_path_factory):
    from dagster_project.tenants import load_tenant
    out = tmp_path_factory.mktemp("demo-as") / "inbox"
    generate(load_tenant("avon_and_somerset"), out, seed=0, scale=SMALL_SCALE)
    return out


def ledger_lines(inbox: Path) -> list[dict]:
    """Every ledger line once (the exports overlap; one export repeats a line)."""
    seen, lines = set(), []
    for path in sorted((inbox / "ledger").glob("*.csv")):
        for row in csv.DictReader(io.StringIO(path.read_text())):
            if row["Transaction ID"] not in seen:
                seen.add(row["Transaction ID"])
                lines.append(row)
    return lines


def register(inbox: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(inbox / "agreements" / "agreements_register.xlsx", read_only=True)
    return {ws.title: [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]] for ws in wb.worksheets}


def stream_spend(tenant, inbox: Path) -> dict[tuple[str, str], Decimal]:
    """Spend by stream and financial year as the warehouse counts it: an agreement's lines over
    its funding split, a line with no agreement where it was booked."""
    split = defaultdict(dict)
    for ref, stream, share in register(inbox)["Funding split"]:
        split[ref][stream] = Decimal(str(share))
    booked = {s.cost_centres[0]: s.id for s in tenant.funding_streams}
    spend = defaultdict(Decimal)
    for line in ledger_lines(inbox):
        year = FinancialYear.of(dt.datetime.strptime(line["Posting Date"], "%d/%m/%Y").date()).label
        amount = Decimal(line["Amount"])
        for stream, share in (split[line["Agreement Ref"]].items() if line["Agreement Ref"] in split
                              else [(booked[line["Cost Centre"]], Decimal(1))]):
            spend[(stream, year)] += amount * share
    return spend


def test_monthly_spend_of_an_agreement_varies(wy_demo):
    by_agreement = defaultdict(lambda: defaultdict(Decimal))
    for line in ledger_lines(wy_demo):
        if line["Agreement Ref"]:
            by_agreement[line["Agreement Ref"]][line["Posting Date"][3:]] += Decimal(line["Amount"])
    monthly = {ref: months for ref, months in by_agreement.items() if len(months) >= 12}
    assert monthly
    for ref, months in monthly.items():
        assert len(set(months.values())) > len(months) // 2, f"{ref} spends the same most months"


@pytest.mark.parametrize("slug", ["west_yorkshire", "avon_and_somerset"])
def test_each_stream_ends_the_year_within_what_offices_report(slug, wy_demo, as_demo):
    from dagster_project.tenants import load_tenant
    tenant = load_tenant(slug)
    spend = stream_spend(tenant, wy_demo if slug == "west_yorkshire" else as_demo)
    allocation = {(a.stream_id, a.financial_year): a.amount for a in tenant.demo.allocations}
    for stream in tenant.funding_streams:
        for year in demo_years(tenant):
            if (stream.id, year.label) not in allocation:
                continue    # a stream year with no allocation has no band to be in
            ratio = spend[(stream.id, year.label)] / allocation[(stream.id, year.label)]
            may_overspend = not stream.ring_fence and stream.reported_in is None
            low, high = 1 - Decimal("0.08"), (1 + Decimal("0.05")) if may_overspend else Decimal(1)
            assert low <= ratio <= high, f"{stream.id} {year.label}: spent {ratio:.1%} of its allocation"
    assert UNDERSPEND[1] <= 0.08 and OVERSPEND[1] <= 0.05


def test_avon_and_somerset_vru_spend_is_within_its_allocation(as_demo):
    from dagster_project.tenants import load_tenant
    tenant = load_tenant("avon_and_somerset")
    spend = stream_spend(tenant, as_demo)
    for a in tenant.demo.allocations:
        if a.stream_id == "VIOLENCE-UNIT":      # Avon and Somerset's id for the Home Office VRU grant
            assert Decimal(0) < spend[("VIOLENCE-UNIT", a.financial_year)] <= a.amount


def test_each_district_has_its_own_crime_rate_and_mix(wy_demo):
    from dagster_project.tenants import load_tenant
    tenant = load_tenant("west_yorkshire")
    facts = {name: (codes, people, dict(mix)) for name, codes, people, mix in district_crime(tenant)}
    lookup = {}
    for row in csv.DictReader(io.StringIO((wy_demo / "lookup" / "LSOA11_to_LSOA21_to_LAD22_EW_exact.csv")
                                          .read_text(encoding="utf-8-sig"))):
        lookup[row["LSOA11CD"]] = lookup[row["LSOA21CD"]] = row["LAD22CD"]
    counts, types = Counter(), defaultdict(Counter)
    files = sorted((wy_demo / "police").rglob("*.csv"))
    for path in files:
        for row in csv.DictReader(io.StringIO(path.read_text())):
            counts[lookup.get(row["LSOA code"])] += 1
            types[lookup.get(row["LSOA code"])][row["Crime type"]] += 1

    def rate(name):
        codes, people, _ = facts[name]
        return sum(counts[c] for c in codes) / people * 1000 / len(files) / SMALL_SCALE

    expected = sum(facts["Leeds"][2].values()) / sum(facts["Kirklees"][2].values())
    assert expected > 1.2
    assert abs(rate("Leeds") / rate("Kirklees") - expected) < 0.1
    for name in ("Leeds", "Kirklees"):
        assert abs(rate(name) - sum(facts[name][2].values())) / sum(facts[name][2].values()) < 0.12
    # Mixes differ too: of the two districts whose facts differ most in their share of
    # anti-social behaviour, the files show the same one higher, by most of the gap.
    asb = {n: facts[n][2]["Anti-social behaviour"] / sum(facts[n][2].values()) for n in facts}
    high, low = max(asb, key=asb.get), min(asb, key=asb.get)
    assert asb[high] - asb[low] > 0.05
    seen = {n: types[facts[n][0][0]]["Anti-social behaviour"] / sum(types[facts[n][0][0]].values())
            for n in (high, low)}
    assert seen[high] - seen[low] > (asb[high] - asb[low]) / 2


def test_police_files_start_a_year_before_the_first_reported_year(wy_demo):
    from dagster_project.tenants import load_tenant
    years = demo_years(load_tenant("west_yorkshire"))
    months = sorted(p.name for p in (wy_demo / "police").iterdir())
    assert months[0] == f"{years[0].start.year - 1}-04" and months[-1] == f"{years[-1].end:%Y-%m}"


def test_influencing_role_carries_no_money(wy_demo):
    sheets = register(wy_demo)
    influencing = [r for r in sheets["Agreements"] if r[7] == "Influencing"]
    assert len(influencing) == 1
    ref = influencing[0][0]
    assert influencing[0][11] == 0 and influencing[0][12] == 0
    assert not [r for r in sheets["Funding split"] if r[0] == ref]
    assert not [line for line in ledger_lines(wy_demo) if line["Agreement Ref"] == ref]
    assert not list((wy_demo / "provider_returns").rglob(f"*{ref}*"))
    paid = [r for r in sheets["Agreements"] if r[0] != ref]
    assert all(r[11] > 0 for r in paid)


def test_other_tenants_are_deterministic_too(as_demo, tmp_path):
    from dagster_project.tenants import load_tenant
    again = tmp_path / "again"
    generate(load_tenant("avon_and_somerset"), again, seed=0, scale=SMALL_SCALE)
    assert tree(again) == tree(as_demo)
