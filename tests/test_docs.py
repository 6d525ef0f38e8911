"""The documentation names only what exists in the package.

Prose drifts when code moves: every ``Class.member`` or ``module.member`` of
the package named in the docs, the examples, the READMEs or the package's own
docstrings and comments must exist, and so must every source file they point
to and every object a ``literalinclude`` shows.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import sklearn_simple

ROOT = Path(__file__).resolve().parent.parent
TEXTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").rglob("*.rst"),
        *(ROOT / "examples").glob("*.py"),
        *(ROOT / "sklearn_simple").glob("*.py"),
    ]
)
# ``Name.member`` in literal markup, and Sphinx roles on the package.
LITERAL = re.compile(r"``(\w+)\.(\w+)")
ROLE = re.compile(r":(?:class|meth|func|attr|mod):`~?(sklearn_simple(?:\.\w+)+)`")
SOURCE_FILE = re.compile(r"sklearn_simple/(\w+)\.py")
PYOBJECT = re.compile(
    r"literalinclude:: (\S+)\n(?:\s+:[\w-]+:.*\n)*?\s+:pyobject: ([\w.]+)"
)


def _package_namespace():
    """Every module of the package by its short name, and every class in it."""
    names = {}
    for info in pkgutil.iter_modules(sklearn_simple.__path__):
        try:
            module = importlib.import_module(f"sklearn_simple.{info.name}")
        except ImportError:  # a module of an optional extra that is not installed
            continue
        names[info.name] = module
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__.startswith("sklearn_simple"):
                names[name] = obj
    return names


NAMES = _package_namespace()


def _exists(dotted):
    """Whether ``sklearn_simple.module.Name.member`` exists.

    A module of an optional extra that is not installed counts if its file
    exists: what it defines is checked where the extra is installed.
    """
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        try:
            obj = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if name == error.name or name.startswith(f"{error.name}."):
                continue  # not a module: a member of a shorter prefix
            return (ROOT / Path(*parts[:n])).with_suffix(".py").exists()
        except ImportError:
            return (ROOT / Path(*parts[:n])).with_suffix(".py").exists()
        for part in parts[n:]:
            if not hasattr(obj, part):
                return False
            obj = getattr(obj, part)
        return True
    return False


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_members_exist(path):
    text = path.read_text()
    missing = [
        f"{owner}.{member}"
        for owner, member in LITERAL.findall(text)
        if owner in NAMES and not hasattr(NAMES[owner], member)
    ]
    missing += [dotted for dotted in ROLE.findall(text) if not _exists(dotted)]
    missing += [
        f"sklearn_simple/{name}.py"
        for name in SOURCE_FILE.findall(text)
        if not (ROOT / "sklearn_simple" / f"{name}.py").exists()
    ]
    assert not missing, f"{path.name} names what does not exist: {missing}"


@pytest.mark.parametrize("path", sorted((ROOT / "docs").rglob("*.rst")), ids=str)
def test_literalincludes_show_existing_objects(path):
    for source, pyobject in PYOBJECT.findall(path.read_text()):
        file = (path.parent / source).resolve()
        module = importlib.import_module(
            ".".join(file.relative_to(ROOT).with_suffix("").parts)
        )
        obj = module
        for part in pyobject.split("."):
            obj = getattr(obj, part)
        assert inspect.getsourcefile(obj) == str(file)


def test_the_scan_would_catch_a_stale_name():
    # The check is only worth something if it can fail.
    assert "Objective" in NAMES and not hasattr(NAMES["Objective"], "raw")
    assert LITERAL.findall("see ``Objective.raw`` here") == [("Objective", "raw")]
