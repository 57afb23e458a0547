"""Run the Great Expectations 1.x suites kept in ``expectations/`` on pandas frames.

GX is imported lazily (it costs seconds) and one ephemeral context serves the process.
A suite's failures come back as the failing frame rows with the expectation's severity and
plain-English ``rule`` and ``fix``.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dagster_project import settings


@dataclass(frozen=True)
class Suite:
    name: str
    frame: str
    description: str
    parameters: dict
    document: dict

    @property
    def path(self) -> Path:
        return settings.EXPECTATIONS_DIR / f"{self.name}.json"


@dataclass(frozen=True)
class Failure:
    suite: str
    expectation: str
    severity: str        # "critical" or "warning"
    rule: str
    fix: str
    row: dict            # the failing frame row (file, sheet, cell, value, ...)


def load_suites(prefix: str = "") -> list[Suite]:
    suites = []
    for path in sorted(settings.EXPECTATIONS_DIR.glob(f"{prefix}*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        meta = document.get("meta", {})
        suites.append(Suite(document["name"], meta["frame"], meta.get("description", ""),
                            meta.get("parameters", {}), document))
    return suites


# Expectations that judge each row on its own: a suite made only of these gives each return the same
# failures whether it is judged alone or with others, so a return's result can be kept and reused.
ROW_WISE = frozenset({"expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal",
                      "expect_column_values_to_match_regex", "expect_column_values_to_be_in_set",
                      "expect_column_values_to_not_be_null", "expect_column_values_to_be_between"})


def suite_key(suite: Suite) -> str | None:
    """What one return's result under ``suite`` depends on besides the return: the suite, the code that
    builds its frame and runs it, and the libraries that compute it. None when an expectation is not
    row-wise, or passes on a share of rows (``mostly``), which depends on the other returns' rows."""
    from importlib import metadata

    from dagster_project.returns import frames, template

    expectations = suite.document["expectations"]
    if any(e["type"] not in ROW_WISE or e.get("kwargs", {}).get("mostly", 1) != 1 for e in expectations):
        return None
    digest = hashlib.sha256(json.dumps(suite.document, sort_keys=True).encode())
    for path in (Path(frames.__file__), Path(template.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    for library in ("great-expectations", "pandas"):
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return f"{suite.name}:{digest.hexdigest()}"


def failure_record(failure: Failure) -> dict:
    """A failure as kept per return (``meta.return_suite_results``)."""
    row = failure.row
    return {"file": row.get("file"), "sheet": row.get("sheet"), "cell": row.get("cell"), "rule": failure.rule,
            "severity": failure.severity}


def keep_results(con, results: dict[tuple[str, str], list[dict]]) -> None:
    """Keep returns' failures by (suite_key, sha256) in ``meta.return_suite_results``, and let go of those
    kept under an earlier key of the same suite (its suite or code has changed since)."""
    if not results:
        return
    con.executemany("insert or replace into meta.return_suite_results (suite_key, sha256, failures) values (?, ?, ?)",
                    [[key, sha, json.dumps(failures)] for (key, sha), failures in results.items()])
    for key in {key for key, _ in results}:
        con.execute("""delete from meta.return_suite_results
                       where starts_with(suite_key, ?) and suite_key <> ?""", [key.split(":")[0] + ":", key])


def kept_results(con, key: str) -> dict[str, list[dict]]:
    """The failures kept under ``key``, by sha256 (none in a warehouse from before they were kept)."""
    exists = con.execute("""select 1 from duckdb_tables()
                            where schema_name = 'meta' and table_name = 'return_suite_results'""").fetchone()
    if not exists:
        return {}
    return {sha: json.loads(failures) for sha, failures in con.execute(
        "select sha256, failures from meta.return_suite_results where suite_key = ?", [key]).fetchall()}


@lru_cache(maxsize=1)
def _context():
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    except Exception:  # older or newer variable shapes: progress bars are cosmetic
        pass
    return context


@lru_cache(maxsize=None)
def _validation(suite_name: str, suite_json: str):
    import great_expectations as gx

    context = _context()
    document = json.loads(suite_json)
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=document["expectations"]))
    source = context.data_sources.add_pandas(f"frames_{suite_name}")
    batch = source.add_dataframe_asset(suite_name).add_batch_definition_whole_dataframe("whole frame")
    return context.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))


def run_suite(suite: Suite, frame: pd.DataFrame) -> list[Failure]:
    if frame.empty:
        return []
    frame = frame.reset_index(drop=True)
    validation = _validation(suite.name, json.dumps(suite.document, sort_keys=True))
    result = validation.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"})
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        severity = getattr(config.severity, "value", str(config.severity))
        meta = config.meta or {}
        indexes = outcome.result.get("unexpected_index_list") or []
        if not indexes and outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {config.type} in {suite.path} could not run: "
                               f"{outcome.exception_info.get('exception_message')}")
        for index in indexes:
            row = frame.iloc[index if isinstance(index, int) else index.get("index", 0)].to_dict()
            failures.append(Failure(suite.name, config.type, severity, meta.get("rule", config.type),
                                    meta.get("fix", ""), row))
    return failures
