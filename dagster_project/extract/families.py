"""The source families: where each one's files are found in the inbox and how they load.

One Dagster asset per family (see ``dagster_project.assets``) lands that family's files.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from dagster_project.extract import (agreements, funding, geography, ledger, police, provider_returns,
                                     success_measures, tenant_config)
from dagster_project.extract.csv_files import CsvSpec, load_csv, load_csv_batch
from dagster_project.extract.landing import BadInput, BatchLoader, Loader, Provenance
from dagster_project.tenants import Tenant


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    tables: dict[str, tuple[str, ...]]   # raw table -> its text columns
    find: Callable[[Tenant], list[Path]]
    loader: Loader
    inbox_folder: str | None = None   # sub-folder of the inbox; None for the tenant folder itself
    make_screen: Callable | None = None  # (TenantPaths) -> a landing.Screen that validates a batch first
    depends_on: tuple[str, ...] = ()     # families whose raw tables this one's checks read
    batch_loader: BatchLoader | None = None  # loads many files of one layout in one read

    def root(self, tenant: Tenant) -> Path:
        return tenant.inbox / self.inbox_folder if self.inbox_folder else tenant.folder


def _glob(folder: str, *patterns: str) -> Callable[[Tenant], list[Path]]:
    def find(tenant: Tenant) -> list[Path]:
        base = tenant.inbox / folder
        found = {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
        return sorted(p for p in found if not p.name.startswith((".", "~$")) and not p.name.endswith(".part"))
    return find


def _load_police(con, path: Path, prov: Provenance) -> int:
    spec = police.spec_for(path.name)
    if spec is None:
        raise BadInput(prov.source_file, "not a data.police.uk file name; expected YYYY-MM-<force>-street.csv "
                                         "or YYYY-MM-<force>-outcomes.csv")
    rows = load_csv(con, path, prov, spec)
    police.refuse_shrunken([(prov.source_file, rows)], police.landed_copies(con, [prov.source_file]))
    return rows   # the caller's transaction is rolled back on the refusal: nothing of the file lands


def _load_police_batch(con, files: list[tuple[Path, Provenance]]) -> list[int]:
    names = [Path(prov.source_file).name for _, prov in files]
    if len(set(names)) < len(names):   # two downloads of one month: loaded one by one, in order
        raise BadInput(files[0][1].source_file, "a file name comes twice in this batch")
    rows = _load_police_layouts(con, files)
    # Which file shrank: loading the halves of the batch will say.
    police.refuse_shrunken(list(zip((prov.source_file for _, prov in files), rows)),
                           police.landed_copies(con, [prov.source_file for _, prov in files]))
    return rows


def _load_police_layouts(con, files: list[tuple[Path, Provenance]]) -> list[int]:
    specs = {police.spec_for(path.name) for path, _ in files}
    if len(specs) == 1 and None not in specs:
        return load_csv_batch(con, files, specs.pop())
    rows = {}
    for spec in specs:   # street and outcomes files together: one read per layout
        if spec is None:
            raise BadInput(files[0][1].source_file, "a file in this batch is not a data.police.uk file")
        part = [(path, prov) for path, prov in files if police.spec_for(path.name) is spec]
        rows.update(zip((prov.source_file for _, prov in part), load_csv_batch(con, part, spec)))
    return [rows[prov.source_file] for _, prov in files]


def _csv(spec: CsvSpec) -> Loader:
    return partial(load_csv, spec=spec)


FAMILIES: tuple[Family, ...] = (
    Family("tenant_config", "The tenant's configuration: districts, plans and priorities, funding-stream rules.",
           tenant_config.TABLES,
           lambda tenant: [tenant.config_path], tenant_config.load_config),
    Family("funding", "Funding allocations per stream and financial year (from grant award letters).",
           {funding.ALLOCATIONS.table: funding.ALLOCATIONS.columns},
           _glob("funding", "*.csv", "*.CSV"), _csv(funding.ALLOCATIONS), "funding"),
    Family("ledger", "General-ledger exports from the finance system (monthly CSVs that overlap).",
           {ledger.LEDGER.table: ledger.LEDGER.columns},
           _glob("ledger", "*.csv", "*.CSV"), _csv(ledger.LEDGER), "ledger"),
    Family("agreements", "The agreements register: providers, agreements, funding splits, priority weights, KPIs.",
           {sheet.table: sheet.columns for sheet in agreements.REGISTER_SHEETS},
           _glob("agreements", "*.xlsx"), agreements.load_register, "agreements", depends_on=("tenant_config",)),
    Family("provider_returns", "Provider quarterly monitoring returns (xlsx), one cell per raw row.",
           {provider_returns.TABLE: provider_returns.COLUMNS},
           _glob("provider_returns", "**/*"), provider_returns.load_return,
           "provider_returns", make_screen=provider_returns.ReturnScreen, depends_on=("agreements",)),
    Family("police", "data.police.uk street-level crime and outcomes CSVs (YYYY-MM/ folders).",
           {spec.table: spec.columns for spec in (police.STREET, police.OUTCOMES)},
           _glob("police", "*/*.csv", "*.csv"), _load_police, "police", batch_loader=_load_police_batch),
    Family("census", "ONS Census 2021 tables (Nomis bulk or web-query layout).",
           {geography.CENSUS_TABLE: geography.CENSUS_COLUMNS},
           _glob("census", "*.csv"), geography.load_census, "census"),
    Family("lsoa_lookup", "ONS LSOA11 -> LSOA21 -> LAD22 lookup (exact or best-fit).",
           {spec.table: spec.columns for spec in (geography.LOOKUP_EXACT, geography.LOOKUP_BEST_FIT)},
           _glob("lookup", "*.csv"), geography.load_lookup, "lookup"),
    # The VRU's success measures, each in its published layout (success_measures.py).
    Family("hospital_admissions", "NHS England HES admissions for assault by sharp object (X99) by force area, "
                                  "community safety partnership and age group, per quarter.",
           {success_measures.HOSPITAL_ADMISSIONS.table: success_measures.HOSPITAL_ADMISSIONS.columns},
           _glob("success_measures/hospital_admissions", "*.csv", "*.CSV"),
           _csv(success_measures.HOSPITAL_ADMISSIONS), "success_measures/hospital_admissions"),
    Family("knife_crime", "Home Office police recorded offences involving a knife or sharp instrument, by force "
                          "and quarter (open data table layout).",
           {success_measures.KNIFE_OFFENCES.table: success_measures.KNIFE_OFFENCES.columns},
           _glob("success_measures/knife_crime", "*.csv", "*.CSV"),
           _csv(success_measures.KNIFE_OFFENCES), "success_measures/knife_crime"),
    Family("homicides", "Home Office Homicide Index counts by force, quarter, domestic or non-domestic and victim "
                        "age group.",
           {success_measures.HOMICIDES.table: success_measures.HOMICIDES.columns},
           _glob("success_measures/homicides", "*.csv", "*.CSV"),
           _csv(success_measures.HOMICIDES), "success_measures/homicides"),
)

BY_NAME = {f.name: f for f in FAMILIES}
RAW_TABLES: dict[str, tuple[str, ...]] = {t: cols for f in FAMILIES for t, cols in f.tables.items()}
