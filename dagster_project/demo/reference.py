"""Census baselines and the LSOA lookup for the demo, written in the real ONS layouts.

A real office downloads these from ONS; the demo writes district-level Census 2021
figures (aggregated from ONS LSOA tables, see ``facts/``) as Nomis bulk files, and the
sampled LSOAs as the ONS exact lookup (UTF-8 with byte-order mark, as published).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from dagster_project.demo.returns import FACTS
from dagster_project.extract.geography import LOOKUP_EXACT
from dagster_project.tenants import Tenant

TABLE_FILES = {"TS007A": "census2021-ts007a-ltla.csv", "TS021": "census2021-ts021-ltla.csv",
               "TS038": "census2021-ts038-ltla.csv"}


def write_census(tenant: Tenant, folder: Path) -> list[Path]:
    codes = {c for d in tenant.districts for c in d.all_codes}
    tables: dict[str, dict[tuple[str, str], dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    measures: dict[str, list[str]] = defaultdict(list)
    with open(FACTS / "census_districts.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["lad_code"] not in codes:
                continue
            tables[row["table_code"]][(row["lad_code"], row["lad_name"])][row["measure"]] = row["value"]
            if row["measure"] not in measures[row["table_code"]]:
                measures[row["table_code"]].append(row["measure"])
    paths = []
    for table, areas in sorted(tables.items()):
        cols = sorted(measures[table], key=lambda m: (": Total" not in m and "Total" not in m, m))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["date", "geography", "geography code", *cols])
        for (code, name), values in sorted(areas.items()):
            writer.writerow(["2021", name, code, *(values[c] for c in cols)])
        path = folder / TABLE_FILES[table]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        paths.append(path)
    return paths


def write_lookup(folder: Path) -> Path:
    with open(FACTS / "lsoa_sample.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LOOKUP_EXACT.header)
    for n, r in enumerate(rows, start=1):   # every sampled LSOA, so out-of-area ones map too
        writer.writerow([r["LSOA11CD"], r["LSOA11NM"], r["LSOA21CD"], r["LSOA21NM"], r["CHGIND"], r["LAD22CD"],
                         r["LAD22NM"], "", n])
    path = folder / "LSOA11_to_LSOA21_to_LAD22_EW_exact.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return path
