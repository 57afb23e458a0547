"""Finance general-ledger exports (monthly CSVs that overlap; credits are negative)."""
from __future__ import annotations

from dagster_project.extract.csv_files import CsvSpec, money, uk_date, Check

LEDGER = CsvSpec(
    table="ledger_lines",
    what="general-ledger export",
    header=("Transaction ID", "Posting Date", "Period", "Cost Centre", "Account", "Supplier",
            "Agreement Ref", "Journal Type", "Amount", "Description"),
    columns=("transaction_id", "posting_date", "period", "cost_centre", "account_code", "supplier_name",
             "agreement_ref", "journal_type", "amount", "description"),
    required=("transaction_id", "posting_date", "account_code", "amount", "journal_type"),
    checks=(
        uk_date("posting_date"),
        money("amount"),
        Check("period", "regexp_full_match(v, '20[0-9]{2}-[0-9]{2} P(0[1-9]|1[0-2])')",
              "a finance period as YYYY-YY Pnn, e.g. 2024-25 P03"),
        Check("journal_type", "v in ('INV', 'CRN', 'ACR', 'REV', 'JNL')",
              "a journal type: INV (invoice), CRN (credit note), ACR (accrual), REV (accrual reversal) or JNL (journal)"),
    ),
    # One export lists a transaction once; an exact repeat of a line is harmless (the warehouse keeps
    # the first line), a repeat with other values is refused: which one is right cannot be told.
    unique_key=("transaction_id",),
)
