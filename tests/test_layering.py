"""Layering: pack code reads only what dbt publishes for it, the ``rpt_`` models keep their layer,
and no two modules of the package import each other.

The code that renders, gates, traces and lists packs, and the provider return service, read the
``returns`` schema (``rpt_`` models; the service also reads ``marts``), never ``intermediate``,
``staging``, ``meta`` or ``raw`` directly: what a pack may show is decided in dbt, where it is
tested and documented. The ``rpt_`` models read intermediate models and marts, never staging.

Imports among ``dagster_project`` modules form no cycle, counting imports inside functions: such
an import only hides a cycle from Python's import machinery, not from a reader, so data and
calls flow one way (for provider returns: ``returns.reader`` -> ``returns.validation`` ->
``extract.provider_returns``).

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
               "|asset_check_verdicts|return_suite_results")
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


RPT_MODELS = sorted((ROOT / "dbt" / "models").glob("*/rpt_*.sql"))
REF = re.compile(r"""\bref\(\s*['"]([a-z0-9_]+)['"]\s*\)""")


@pytest.mark.parametrize("model", RPT_MODELS, ids=lambda p: p.stem)
def test_rpt_models_do_not_read_staging(model):
    staged = [name for name in REF.findall(model.read_text(encoding="utf-8")) if name.startswith("stg_")]
    assert not staged, (f"{model.stem} refs {', '.join(staged)}: rpt_ models read intermediate models and marts, "
                        "not staging; put the logic in an int_ model")


def import_graph(root: Path, package: str = "dagster_project") -> dict[str, set[str]]:
    """Each module of ``package`` (under ``root``) -> the package's modules it imports anywhere in its
    file: at the top, inside a function, or under ``if TYPE_CHECKING``."""
    modules = {}
    for path in (root / package).rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:     # relative: from the module's package, one level up per extra dot
                    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        here = here.rpartition(".")[0]
                    base = f"{here}.{base}" if base else here
                # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` imports mod.
                imported |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                             for alias in node.names}
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules in import order with the first repeated at the end; None if none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        path.append(module)
        for other in sorted(graph[module]):
            if other in path:
                return path[path.index(other):] + [other]
            if other not in done:
                found = visit(other)
                if found:
                    return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done:
            found = visit(module)
            if found:
                return found
    return None


def test_no_import_cycle_among_the_package_modules():
    cycle = find_cycle(import_graph(ROOT))
    assert cycle is None, ("modules of dagster_project import each other (an import inside a function counts: it "
                           "only hides the cycle); move what both need into a module both import:\n  "
                           + " -> ".join(cycle))


def test_the_import_graph_sees_imports_inside_functions(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("import json\nfrom pkg.sub import b\n", encoding="utf-8")
    (package / "sub" / "b.py").write_text("def f():\n    from pkg import a\n    return a\n", encoding="utf-8")
    (package / "sub" / "c.py").write_text("from .b import f\nfrom .. import a\n", encoding="utf-8")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.sub.c"] == {"pkg.sub.b", "pkg.a"}
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.a"]
    (package / "sub" / "b.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    assert find_cycle(import_graph(tmp_path, "pkg")) is None
