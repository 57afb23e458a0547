"""The ``meta`` schema: the pipeline's own records in each tenant warehouse, defined in one place.

Every writer connection (``warehouse.WriteSession.connect``, ``warehouse.open_writer_at``) calls
:func:`ensure_meta`, so each table below exists before anything reads or writes it, including
the building copy dbt builds into (its sources and ``meta.dbt_results`` read these tables; the
dbt ``record_results`` hook only inserts into ``meta.dbt_results``).

- ``landed_files``: one row per file landed (sha256, family, where it is archived, rows, load).
- ``quarantined_files``: files refused, why, and whether a bad file or a rejected return.
- ``provider_return_feedback``: the problems found in each provider return, as sent back.
- ``file_fingerprints``: sha256 and line count of inbox files by path, size and time.
- ``build_state``: the last successful dbt build per tenant (what ``refresh.plan_build`` compares).
- ``asset_check_verdicts``: the provider-return suites' last verdicts and what they depended on.
- ``return_suite_results``: each provider-return suite's failures in each landed return (by the suite's
  ``suite_key`` and the file's sha256), recorded where the return was screened or checked.
- ``dbt_results``: every dbt node's result in every invocation (filled by the dbt hook).
"""
from __future__ import annotations

import duckdb

TABLES = {
    "landed_files": """
        sha256 varchar primary key, family varchar not null, source_file varchar not null,
        landed_path varchar not null, bytes bigint not null, rows_loaded bigint not null,
        load_id varchar not null, loaded_at timestamp not null""",
    "quarantined_files": """
        sha256 varchar, family varchar not null, source_file varchar not null,
        quarantined_path varchar not null, reason varchar not null,
        load_id varchar not null, quarantined_at timestamp not null, kind varchar default 'bad_file'""",
    "provider_return_feedback": """
        sha256 varchar not null, source_file varchar not null, status varchar not null, severity varchar,
        sheet varchar, cell varchar, value varchar, rule varchar, fix varchar, load_id varchar not null,
        recorded_at timestamp not null, feedback_path varchar""",
    "file_fingerprints": """
        path varchar primary key, bytes bigint not null, mtime_ns bigint not null, sha256 varchar not null,
        lines bigint not null""",
    "build_state": """
        tenant varchar primary key, fingerprint varchar, built_at timestamp, load_id varchar""",
    "asset_check_verdicts": """
        check_name varchar primary key, inputs_key varchar not null, verdict varchar not null,
        checked_at timestamp not null default current_timestamp""",
    "return_suite_results": """
        suite_key varchar not null, sha256 varchar not null, failures varchar not null,
        checked_at timestamp not null default current_timestamp, primary key (suite_key, sha256)""",
    "dbt_results": """
        invocation_id varchar, unique_id varchar, resource_type varchar, name varchar, status varchar,
        failures bigint, depends_on varchar, message varchar, recorded_at timestamp""",
}

# Columns added after a table's first release: a warehouse made before gains them (empty).
ADDED_COLUMNS = (("quarantined_files", "kind varchar default 'bad_file'"),)


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` and ``meta`` schemas and every ``meta`` table that is not there yet."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists meta")
    for table, columns in TABLES.items():
        con.execute(f"create table if not exists meta.{table} ({columns})")
    for table, column in ADDED_COLUMNS:
        con.execute(f"alter table meta.{table} add column if not exists {column}")
