"""Derived figures: a formula over named figures of the same row, declared once in the pack spec
(``formula:`` on a column) and used by the pack, ``pccw trace`` and the audit page alike.

A formula is arithmetic (``+ - * /``, brackets, numbers) over names and ``round(x, places)``,
``max(a, b)``, ``min(a, b)``. A name is another column of the section's ``rpt_`` row: an additive
figure (the sum of its contributions), a value the section's spec lists under ``given`` (a
rate from tenant.yml, months left in the year), or another derived figure. Arithmetic is exact
(``Decimal``) and rounding is half away from zero, as in the warehouse. When a part is not
available, or a division is by zero, the figure is not available: ``None``, never 0.
"""
from __future__ import annotations

import ast
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

FUNCTIONS = ("round", "max", "min")


class FormulaError(ValueError):
    """A formula the spec gives that is not arithmetic over names."""


@lru_cache(maxsize=256)
def parse(formula: str) -> ast.Expression:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {formula!r} is not arithmetic: {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.Call,
                   ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)
        if not isinstance(node, allowed):
            raise FormulaError(f"formula {formula!r}: {type(node).__name__} is not allowed "
                               f"(use + - * /, numbers, names, {', '.join(FUNCTIONS)})")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                                               and not node.keywords):
            raise FormulaError(f"formula {formula!r}: only {', '.join(FUNCTIONS)} may be called")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError(f"formula {formula!r}: {node.value!r} is not a number")
    return tree


COMPARISONS = {ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
               ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b}


@lru_cache(maxsize=256)
def parse_condition(condition: str) -> tuple[str, type, str]:
    """A warning's condition: two formulas compared once (``spend > allocation``), as
    (left formula, comparison, right formula)."""
    try:
        tree = ast.parse(condition, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"condition {condition!r} is not a comparison: {exc.msg}") from None
    body = tree.body
    if not (isinstance(body, ast.Compare) and len(body.ops) == 1 and type(body.ops[0]) in COMPARISONS):
        raise FormulaError(f"condition {condition!r}: expected one comparison (>, >=, <, <=) of two formulas")
    left, right = ast.unparse(body.left), ast.unparse(body.comparators[0])
    parse(left), parse(right)
    return left, type(body.ops[0]), right


def holds(condition: str, values: dict[str, Decimal | None]) -> bool | None:
    """Whether the condition holds over ``values``; None when a figure it compares is not available."""
    left, op, right = parse_condition(condition)
    a, b = evaluate(left, values), evaluate(right, values)
    return None if a is None or b is None else COMPARISONS[op](a, b)


def condition_names(condition: str) -> list[str]:
    """The names a condition reads, left side first."""
    left, _, right = parse_condition(condition)
    return list(dict.fromkeys(names(left) + names(right)))


def names(formula: str) -> list[str]:
    """The names a formula reads, in the order they first appear."""
    seen: list[str] = []
    found = [n for n in ast.walk(parse(formula)) if isinstance(n, ast.Name) and n.id not in FUNCTIONS]
    for node in sorted(found, key=lambda n: n.col_offset):
        if node.id not in seen:
            seen.append(node.id)
    return seen


def evaluate(formula: str, values: dict[str, Decimal | None]) -> Decimal | None:
    """The formula's value over ``values``; None when a part it needs is None or it divides by zero."""
    return _eval(parse(formula).body, values, formula)


def _number(value) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _eval(node, values, formula):
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"formula {formula!r} reads {node.id!r}, which the row does not have")
        return _number(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values, formula)
        return None if operand is None else (-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values, formula), _eval(node.right, values, formula)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return None if right == 0 else left / right
    name = node.func.id
    args = [_eval(a, values, formula) for a in node.args]
    if any(a is None for a in args):
        return None
    if name == "round":
        places = int(args[1]) if len(args) > 1 else 0
        return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return max(args) if name == "max" else min(args)


def derive(formulas: dict[str, str], row: dict) -> dict[str, Decimal | None]:
    """Every derived figure of a row, a formula reading other derived figures as it needs them."""
    done: dict[str, Decimal | None] = {}

    def value(name: str, path: tuple[str, ...]) -> Decimal | None:
        if name in done:
            return done[name]
        if name in path:
            raise FormulaError(f"formulas read each other in a circle: {' -> '.join(path + (name,))}")
        needed = {n: (value(n, path + (name,)) if n in formulas else row.get(n, _MISSING))
                  for n in names(formulas[name])}
        missing = [n for n, v in needed.items() if v is _MISSING]
        if missing:
            raise FormulaError(f"formula for {name} ({formulas[name]!r}) reads {', '.join(missing)}, "
                               f"which the row does not have")
        done[name] = evaluate(formulas[name], needed)
        return done[name]

    for name in formulas:
        value(name, ())
    return done


_MISSING = object()
