"""The package stays readable: no function over 60 lines of code, no class
over 250 (docstrings, comments and blank lines not counted)."""

import ast
import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sklearn_simple"
LIMITS = {ast.FunctionDef: 60, ast.AsyncFunctionDef: 60, ast.ClassDef: 250}
_SKIPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def _code_lines(source, tree):
    """Line numbers holding code: not blank, not only a comment or docstring."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _SKIPPED:
            lines.update(range(token.start[0], token.end[0] + 1))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            lines -= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def _sizes(path):
    source = path.read_text()
    tree = ast.parse(source)
    lines = _code_lines(source, tree)
    for node in ast.walk(tree):
        if type(node) in LIMITS:
            size = sum(node.lineno <= line <= node.end_lineno for line in lines)
            yield node.name, size, LIMITS[type(node)]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_function_or_class_is_too_long(path):
    too_long = [(name, size) for name, size, limit in _sizes(path) if size > limit]
    assert not too_long, f"{path.name}: {too_long}"


def test_the_count_skips_docstrings_comments_and_blank_lines(tmp_path):
    path = tmp_path / "example.py"
    path.write_text('def f():\n    """Doc."""\n\n    # why\n    return 1\n')
    assert list(_sizes(path)) == [("f", 2, 60)]
