"""The demo generator: deterministic, and in the shapes a real office's files have."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dagster_project.demo.generator import generate
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
    assert len(files) == 24
    for path in files:
        assert re.fullmatch(r"(\d{4}-\d{2})/\1-west-yorkshire-street\.csv", path.relative_to(wy_demo / "police").as_posix())
        assert path.read_bytes().split(b"\r\n", 1)[0].decode() == ",".join(STREET.header)


def test_allocations_use_the_real_figures(wy_demo):
    text = (wy_demo / "funding" / "allocations_2018-19.csv").read_text()
    assert "MOJ-VICTIMS-CORE,2018-19,2672833.00" in text and "CSF,2018-19,5172840.00" in text
