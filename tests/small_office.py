"""Inputs shared by the tests that build a small office by hand: how its files are written, the
ledger export's header, and Leeds's census and LSOA lookup (a 1,000-person district)."""
from __future__ import annotations

import duckdb

LEDGER_HEADER = "Transaction ID,Posting Date,Period,Cost Centre,Account,Supplier,Agreement Ref,Journal Type,Amount,Description"


def write(path, text: str):
    """A text file with CRLF line endings, as finance systems and the ONS write them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode())


def write_leeds_reference(inbox):
    """Census 2021 ethnicity and population for Leeds (1,000 people: 150 Asian, 25 Black, 15 Mixed,
    800 White, 10 Other) and one LSOA of Leeds in the lookup."""
    write(inbox / "census" / "census2021-ts021-ltla.csv",
          'date,geography,geography code,Ethnic group: Total: All usual residents,'
          '"Ethnic group: Asian, Asian British or Asian Welsh",'
          '"Ethnic group: Black, Black British, Black Welsh, Caribbean or African",'
          'Ethnic group: Mixed or Multiple ethnic groups,Ethnic group: White,Ethnic group: Other ethnic group\n'
          "2021,Leeds,E08000035,1000,150,25,15,800,10\n")
    write(inbox / "census" / "census2021-ts007a-ltla.csv",
          "date,geography,geography code,Age: Total\n2021,Leeds,E08000035,1000\n")
    write(inbox / "lookup" / "lookup.csv",
          "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
          "E01011229,Leeds 001A,E01011229,Leeds 001A,U,E08000035,Leeds,,1\n")


def rows(warehouse, sql: str) -> list[tuple]:
    """Rows of a query on a built warehouse, opened read-only and closed at once (dbt may write next)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
