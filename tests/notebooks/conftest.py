"""Puts the iolab module on sys.path for the tests, and for the notebook
kernels they start (through the IOLAB_PYTHONPATH environment variable).

IOLAB_PYTHONPATH: directory holding the built `iolab` package, i.e.
<build>/simulator/python. CTest sets it; by hand it defaults to
build/simulator/python in the repository root.
IOLAB_CLI: the `iolab` executable (default: beside the module's build tree)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

if not os.environ.get("IOLAB_PYTHONPATH"):
    os.environ["IOLAB_PYTHONPATH"] = str(ROOT / "build" / "simulator" / "python")
MODULE_DIR = Path(os.environ["IOLAB_PYTHONPATH"]).resolve()
os.environ["IOLAB_PYTHONPATH"] = str(MODULE_DIR)
if not os.environ.get("IOLAB_CLI"):
    os.environ["IOLAB_CLI"] = str(MODULE_DIR.parent.parent / "analysis" / "cli" / "iolab")
elif os.sep in os.environ["IOLAB_CLI"]:
    # notebooks run in notebooks/, so a path relative to here must become absolute
    os.environ["IOLAB_CLI"] = str(Path(os.environ["IOLAB_CLI"]).resolve())
sys.path.insert(0, str(MODULE_DIR))
