"""Executes every course notebook top to bottom with Debian's Jupyter stack
(nbclient + the python3 ipykernel on /usr/bin/python3). A notebook fails when
any cell raises, in particular its closing self-check assertions.

Run: IOLAB_PYTHONPATH=<build>/simulator/python /usr/bin/python3 -m pytest tests/notebooks
(CTest's python.notebooks test does exactly this for its build tree.)"""

import ast
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb"))
TIMEOUT_S = 180  # per cell; each notebook takes a few seconds

# Top-level modules a notebook may import: the standard library, Debian's
# python3-* packages the project installs, and the project's own module.
ALLOWED_IMPORTS = set(sys.stdlib_module_names) | {"numpy", "matplotlib", "IPython", "iolab"}


def code_of(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_course_notebooks_present():
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_", "05_", "06_"):
        assert any(n.startswith(prefix) for n in names), f"no notebook {prefix}* in {NOTEBOOK_DIR}"
    assert (NOTEBOOK_DIR / "solutions" / "04_write_your_own_schedule_solution.ipynb").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOK_DIR)))
def test_notebook_is_clean_and_self_checking(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = code_of(nb)
    assert cells, "no code cells"
    assert not any(c.cell_type == "code" and c.outputs for c in nb.cells), "commit notebooks without outputs"
    for src in cells:
        for node in ast.walk(ast.parse(src)):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module]
            for m in mods:
                assert m.split(".")[0] in ALLOWED_IMPORTS, f"{path.name} imports {m}, not a Debian/project module"
    last = ast.parse(cells[-1])
    assert any(isinstance(n, ast.Assert) for n in ast.walk(last)), "the last code cell must hold assertions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOK_DIR)))
def test_notebook_runs(path):
    assert (Path(os.environ["IOLAB_PYTHONPATH"]) / "iolab").is_dir(), (
        f"the iolab module is not built in IOLAB_PYTHONPATH={os.environ['IOLAB_PYTHONPATH']}")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.time()
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    elapsed = time.time() - start
    print(f"{path.name}: {elapsed:.1f} s")
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "all checks passed" in outputs
