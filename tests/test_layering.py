"""Layering: pack code reads only what dbt publishes for it, and the ``rpt_`` models keep their layer.

The code that renders, gates, traces and lists packs, and the provider return service, read the
``returns`` schema (``rpt_`` models; the service also reads ``marts``), never ``intermediate``,
``staging``, ``meta`` or ``raw`` directly: what a pack may show is decided in dbt, where it is
tested and documented. The ``rpt_`` models read intermediate models and marts, never staging.

Only the source text is read (no warehouse, no dbt), so this runs in well under a second.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dagster_project"

SCANNED = sorted([*PACKAGE.glob("packs/*.py"), PACKAGE / "returns" / "service.py", *PACKAGE.glob("lineage/*.py")])

FORBIDDEN = "intermediate|staging|meta|raw"
META_TABLES = ("landed_files|quarantined_files|provider_return_feedback|file_fingerprints|build_state|dbt_results"
               "|asset_check_verdicts")
# A table in a forbidden schema, named in SQL: after from/join/into/update/table, or by its model prefix
# (int_, stg_), or one of the pipeline's meta tables; or a look-up of the schema in information_schema.
SQL_REFERENCE = re.compile(
    rf"\b(?:from|join|into|update|table)\s+(?P<a>(?:{FORBIDDEN})\.[a-z_][a-z0-9_]*)"
    rf"|\b(?P<b>(?:{FORBIDDEN})\.(?:(?:int|stg)_[a-z0-9_]+|(?:{META_TABLES})\b))"
    rf"|\btable_schema\s*=\s*'(?P<c>{FORBIDDEN})'",
    re.IGNORECASE)

# (file, reference) read on purpose, and why.
ALLOWED = {
    # resolve_load turns a date into a load id: it asks which loads the warehouse holds (including
    # loads not built yet), to rebuild from raw as of one of them; it does not read what a pack shows.
    ("dagster_project/lineage/as_of.py", "meta.landed_files"),
}


def string_literals(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every string literal that is not a docstring, with its text (an f-string's literal parts
    only, so Python inside its braces, ``{staging.name}``, is not taken for SQL)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                docstrings.add(id(body[0].value))
    found, inside_fstrings = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstrings.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) and isinstance(value.value, str)
                             else "{}")
            found.append((node, "".join(parts)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and id(node) not in inside_fstrings:
            found.append((node, node.value))
    return found


def sql_references(path: Path) -> list[tuple[int, str]]:
    """(line, schema.table) of every read of a forbidden schema in the file's SQL strings."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    hits = []
    for node, text in string_literals(ast.parse(source, filename=str(path))):
        for match in SQL_REFERENCE.finditer(text):
            reference = (match.group("a") or match.group("b") or f"{match.group('c')} (information_schema)").lower()
            needle = match.group(0).split()[-1].lower()
            line = next((n for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
                         if needle in lines[n - 1].lower()), node.lineno)
            hits.append((line, reference))
    return sorted(set(hits))


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pack_code_reads_only_the_returns_schema(path):
    relative = path.relative_to(ROOT).as_posix()
    bad = [f"{relative}:{line}: reads {reference}" for line, reference in sql_references(path)
           if (relative, reference) not in ALLOWED]
    assert not bad, ("pack code must read the returns schema (rpt_ models), not intermediate, staging, meta or "
                     "raw; add an rpt_ model for what it needs:\n  " + "\n  ".join(bad))


def test_the_scan_finds_what_it_must_and_nothing_else(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('''"""Reads meta.dbt_results (a docstring: not SQL)."""
def f(con, staging, spec, model):
    staging.mkdir()                                   # Python, not SQL
    spec.meta.get("x")
    con.execute(f"select * from returns.{model} where x = '{staging.name}'")
    con.execute("""select period from intermediate.int_reporting_periods
                   where period_end < ?""")
    con.execute("select 1 from information_schema.tables where table_schema = 'meta'")
    built = "(select max(built_at) from meta.build_state)"
    con.execute(f"select * from raw.agreements where y = {built}")
''', encoding="utf-8")
    assert sql_references(sample) == [(6, "intermediate.int_reporting_periods"), (8, "meta (information_schema)"),
                                      (9, "meta.build_state"), (10, "raw.agreements")]


RPT_MODELS = sorted((ROOT / "dbt" / "models" / "returns").glob("rpt_*.sql"))
REF = re.compile(r"""\bref\(\s*['"]([a-z0-9_]+)['"]\s*\)""")


@pytest.mark.parametrize("model", RPT_MODELS, ids=lambda p: p.stem)
def test_rpt_models_do_not_read_staging(model):
    staged = [name for name in REF.findall(model.read_text(encoding="utf-8")) if name.startswith("stg_")]
    assert not staged, (f"{model.stem} refs {', '.join(staged)}: rpt_ models read intermediate models and marts, "
                        "not staging; put the logic in an int_ model")
