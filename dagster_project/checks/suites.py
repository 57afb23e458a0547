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
    """What one return's result under ``suite`` depends on besides the return: the suite and the code
    that builds its frame and runs it. None when the suite has an expectation that is not row-wise."""
    from dagster_project.returns import frames

    if any(e["type"] not in ROW_WISE for e in suite.document["expectations"]):
        return None
    digest = hashlib.sha256(json.dumps(suite.document, sort_keys=True).encode())
    for path in (Path(frames.__file__), Path(__file__)):
        digest.update(path.read_bytes())
    return f"{suite.name}:{digest.hexdigest()}"


def failure_record(failure: Failure) -> dict:
    """A failure as kept per return (``meta.return_suite_results``)."""
    row = failure.row
    return {"file": row.get("file"), "sheet": row.get("sheet"), "cell": row.get("cell"), "rule": failure.rule,
            "severity": failure.severity}


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
