"""iolab: the IO complexity of attention, runnable from Python.

The simulated machine has HBM (tensors of any size) and an SRAM scratchpad of
M elements. Data moves only through ``Machine.load`` (HBM -> SRAM) and
``Machine.store`` (SRAM -> HBM), and both are counted, element by element.

    import numpy as np, iolab
    m = iolab.Machine(M=96)                      # compute mode: float64 values
    Q = m.hbm_tensor("Q", 16, 4)                 # dtype fp16 by default (sets bytes only)
    Q.set_values(np.ones((16, 4)))               # inputs enter HBM uncounted
    t = m.sram_tile("Q_i", 4, 4)                 # CapacityError if the live tiles exceed M
    m.load(t, Q[0:4])                            # 16 elements read
    t.values[:] *= 2                             # compute on chip through a numpy view
    m.store(Q[0:4], t)                           # 16 elements written
    m.reads, m.writes, m.counts()

Built-in algorithms, closed forms and bounds::

    p = iolab.plan("flash2", N=1024, d=64, M=24576)
    r = iolab.simulate("flash2", 1024, 64, 24576)
    iolab.closed_form(p)["total"] == r["total"]
    iolab.bound(p, r["total"])                   # the algorithm's Theta form and the regime's lower bound
    iolab.simulate("flash2", 1024, 64, 24576, pass_="fwdbwd", causal=True)

Your own schedule, checked against the float64 reference and counted::

    def my_schedule(m, Q, K, V):
        ...                                      # only m.load / m.store / tiles
        return O                                 # an N x d HbmTensor of m
    report = iolab.check(my_schedule, N=16, d=4, M=96)
    print(report)

Animations: ``Machine(..., trace=True)`` records a run; ``m.animate("run.gif")``
draws it, ``m.save_trace("run.json")`` saves it for ``iolab animate --trace``;
``iolab.animate_builtin(plan, "flash2.gif")`` draws a built-in algorithm.

The CUDA kernels' tiling (kernels/include/iolab/kernels/tiling.hpp), for predicting their traffic:
``iolab.kernel_tiling("flash1", d=128)`` (br, bc, threads, smem_bytes) and
``iolab.flash1_splits(heads, N, d, sms)``; ``iolab.plan("flash1", ..., splits=S)`` plans flash1 with its
Q blocks over S thread blocks.

The module is built into ``<build>/simulator/python``; put that directory on
PYTHONPATH (the notebooks read IOLAB_PYTHONPATH) and use /usr/bin/python3.
"""

from ._core import (  # noqa: F401
    CapacityError,
    HbmTensor,
    HbmView,
    InputError,
    Machine,
    Plan,
    ScheduleError,
    SramTile,
    age_paced_lineages,
    algorithms,
    animate_builtin,
    bound,
    bytes_of,
    closed_form,
    closed_form_flash1,
    closed_form_flash2,
    closed_form_standard,
    cta_age_rates,
    fit_power_law,
    flash1_splits,
    is_decoding,
    kernel_tiling,
    plan,
    preset_M,
    presets,
    reference_attention,
    run,
    simulate,
)
from .check import CheckReport, best_builtin, check, lower_bound  # noqa: F401

__all__ = [
    "CapacityError", "CheckReport", "HbmTensor", "HbmView", "InputError", "Machine", "Plan", "ScheduleError",
    "SramTile", "age_paced_lineages", "algorithms", "animate_builtin", "best_builtin", "bound", "bytes_of", "check",
    "closed_form", "closed_form_flash1", "closed_form_flash2", "closed_form_standard", "cta_age_rates", "fit_power_law", "flash1_splits", "is_decoding",
    "kernel_tiling", "lower_bound",
    "plan",
    "preset_M", "presets", "reference_attention", "run", "simulate",
]
