"""Every code example in the README runs as written.

Each ```python block is executed on its own, top to bottom. Where a block is followed by an
"Output" block, the printed lines must be those lines. An expression line that ends in a comment
holding a tuple of numbers, ``expr  # (-39.531..., 15.468...)``, must evaluate to those numbers,
to the digits shown (``...`` marks a cut, not a rounding). The TOML grid-spec example must be a
valid spec.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _blocks():
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), m.end(), text) for m in FENCE.finditer(text)]


def _python_blocks():
    return [(i, code, end, text) for i, (lang, code, end, text) in enumerate(_blocks())
            if lang == "python"]


def _shown_output(text: str, end: int) -> list[str] | None:
    """The lines of an ``Output ...:`` fenced block right after position ``end``, if any."""
    m = re.match(r"\s*\n(Output[^\n]*:)\s*\n```[^\n]*\n(.*?)^```", text[end:], re.M | re.S)
    return m.group(2).splitlines() if m else None


def _expected_numbers(comment: str):
    """``(-39.531..., 15.468..., 0)`` -> [(-39.531, 3 decimals), (15.468, 3), (0, 0)]."""
    inner = comment.strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        return None
    out = []
    for part in inner[1:-1].split(","):
        part = part.strip()
        if not re.fullmatch(r"-?\d+(\.\d+)?(\.\.\.)?", part):
            return None
        digits = part.removesuffix("...")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        out.append((float(digits), decimals, part.endswith("...")))
    return out


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 2


@pytest.mark.parametrize("index, code, end, text", _python_blocks(),
                         ids=lambda x: str(x) if isinstance(x, int) else "")
def test_python_example_runs_as_written(index, code, end, text):
    lines = code.splitlines()
    wanted = {}
    for n, line in enumerate(lines, start=1):
        expr, _, comment = line.partition("#")
        want = _expected_numbers(comment) if comment else None
        if want is not None and expr.strip():
            wanted[n] = want
    namespace: dict = {"__name__": "__readme__"}
    printed = io.StringIO()
    # statement by statement, so an expression is checked where it stands in the example
    for stmt in ast.parse(code, f"README.md block {index}").body:
        with contextlib.redirect_stdout(printed):
            if isinstance(stmt, ast.Expr) and stmt.lineno in wanted:
                got = eval(compile(ast.Expression(stmt.value), "README.md", "eval"), namespace)
            else:
                exec(compile(ast.Module([stmt], []), "README.md", "exec"), namespace)
                continue
        want = wanted[stmt.lineno]
        got = got if isinstance(got, tuple) else (got,)
        assert len(got) == len(want), (lines[stmt.lineno - 1], got)
        for value, (number, decimals, cut) in zip(got, want):
            value, step = float(value), 10.0 ** -decimals
            if cut:  # "...": the value's digits start with those shown (a cut, not a rounding)
                ok = (value < 0) == (number < 0) and abs(number) <= abs(value) < abs(number) + step
            else:  # shown rounded to its last digit
                ok = abs(value - number) <= 0.5 * step
            assert ok, (lines[stmt.lineno - 1], value, number)
    shown = _shown_output(text, end)
    if shown is not None:
        assert printed.getvalue().splitlines() == shown


def test_toml_spec_example_is_a_valid_spec():
    from crashcompat.runs.grid import run_grid
    from crashcompat.runs.spec import spec_from_toml

    blocks = [code for lang, code, _, _ in _blocks() if lang == "toml"]
    assert blocks
    for code in blocks:
        spec = spec_from_toml(code, "README.md")
        run = run_grid(spec)  # prepared, not computed
        assert run.n_cases > 0


def test_quick_start_is_two_commands():
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, re.M | re.S).group(1)
    block = FENCE.search(section).group(2)
    cmds = [ln for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(cmds) == 2


DOCS = sorted((README.parent / "docs").glob("*.md"))


def test_docs_hold_the_model_catalog_and_cli_guide():
    names = {p.name for p in DOCS}
    assert {"model.md", "catalog.md", "cli.md", "architecture.md"} <= names


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_no_citation_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    for outside in ("PHYSICS.md", "VEHICLE_DATA.md", "../shared", "shared/validation"):
        assert outside not in text, (path.name, outside)


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_relative_links_resolve(path):
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), (path.name, target)
