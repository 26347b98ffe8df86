"""Checking a schedule written in Python: correctness against the float64
reference, exact HBM traffic from the same Machine the built-in algorithms
use, and how it compares with the best built-in algorithm and the bound."""

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import numpy as np

from . import _core


def lower_bound(N: int, d: int, M: int) -> Dict[str, float]:
    """The bounds a schedule is measured against, in elements.

    ``theta``: the lower bound for exact attention in the regime of M (Saha and
    Ye 2024, as in analysis/include/iolab/analysis/bounds.hpp), written with
    constant 1: N^2 d^2 / M when M >= d^2 (the large-SRAM regime of Theorem 2,
    which FlashAttention attains), N^2 d / sqrt(M) when M < d^2. ``formula``
    names it. ``trivial``: 4 N d, reading Q, K, V and writing O once each,
    which every schedule must do."""
    if M >= d * d:
        theta, formula = N * N * d * d / M, "N^2 d^2 / M"
    else:
        theta, formula = N * N * d / M ** 0.5, "N^2 d / sqrt(M)"
    return {"theta": theta, "formula": formula, "trivial": 4.0 * N * d}


def best_builtin(N: int, d: int, M: int, dtype: str = "fp16"):
    """(name, closed-form total, {name: total}) over the built-in algorithms
    that compute the full N x N attention forward pass (decoding steps are
    left out: they answer a different question) and fit in M with their
    default (fit) tiling."""
    totals = {}
    for name in _core.algorithms():
        if _core.is_decoding(name):
            continue
        try:
            p = _core.plan(name, N, d, M, dtype)
        except _core.InputError:  # CapacityError included: M too small for it
            continue
        totals[name] = _core.closed_form(p)["total"]
    if not totals:
        raise _core.InputError(f"no built-in algorithm fits in M = {M} elements for d = {d}")
    best = min(totals, key=totals.get)
    return best, totals[best], totals


@dataclass
class CheckReport:
    name: str
    N: int
    d: int
    M: int
    correct: bool
    rel_error: float
    max_abs_error: float
    reads: int
    writes: int
    total: int
    hbm_bytes: int
    transfers: int
    peak_sram: int
    per_tensor: Dict[str, dict]
    best_builtin: str
    best_builtin_total: int
    builtin_totals: Dict[str, int]
    bound: float
    trivial_bound: float
    bound_formula: str = "N^2 d^2 / M"
    machine: Optional[_core.Machine] = field(default=None, repr=False)

    @property
    def ratio_to_best(self) -> float:
        """total / best built-in (1.0: as good as the best built-in)."""
        return self.total / self.best_builtin_total

    @property
    def ratio_to_bound(self) -> float:
        """total / the regime's lower bound (see lower_bound)."""
        return self.total / self.bound

    def __str__(self) -> str:
        lines = [
            f"schedule {self.name}: N={self.N}, d={self.d}, M={self.M} elements",
            f"  correct:      {'yes' if self.correct else 'NO'} (relative error {self.rel_error:.2e}, "
            f"max abs error {self.max_abs_error:.2e})",
            f"  HBM traffic:  {self.reads} reads + {self.writes} writes = {self.total} elements "
            f"({self.transfers} transfers)",
        ]
        for name, c in self.per_tensor.items():
            lines.append(f"      {name:>6}: {c['reads']:>8} reads {c['writes']:>8} writes")
        lines += [
            f"  SRAM peak:    {self.peak_sram} of {self.M} elements",
            f"  best built-in: {self.best_builtin} with {self.best_builtin_total} elements "
            f"-> yours / best = {self.ratio_to_best:.3f}",
            f"  bound {self.bound_formula} = {self.bound:.1f} -> yours / bound = {self.ratio_to_bound:.3f}"
            f"   (trivial bound 4 N d = {self.trivial_bound:.0f})",
        ]
        return "\n".join(lines)


def check(schedule: Callable, N: int = 16, d: int = 4, M: int = 96, dtype: str = "fp16", seed: int = 0,
          rtol: float = 1e-9, trace: bool = False, title: Optional[str] = None) -> CheckReport:
    """Runs ``schedule(m, Q, K, V) -> O`` on a fresh compute-mode Machine with
    SRAM of M elements and random inputs in [-1, 1), then compares O with the
    float64 reference softmax(Q K^T / sqrt(d)) V.

    While the schedule runs the machine is sealed: HBM values cannot be read
    or written directly, only through m.load and m.store, so every element the
    schedule touches is counted exactly as for a built-in algorithm. Keep all
    intermediate data in SRAM tiles (or scalars you could hold in registers):
    copying tile values into Python lists or numpy arrays outside the machine
    defeats the model. With trace=True the machine records the run; the
    report's ``machine`` can then ``animate()`` or ``save_trace()`` it."""
    name = getattr(schedule, "__name__", "schedule")
    m = _core.Machine(M, compute=True, trace=trace, title=title or f"{name}   N={N} d={d} M={M}")
    rng = np.random.default_rng(seed)
    inputs = {}
    for t in ("Q", "K", "V"):
        inputs[t] = rng.uniform(-1.0, 1.0, size=(N, d))
        m.hbm_tensor(t, N, d, dtype).set_values(inputs[t])
    Q, K, V = m.tensor("Q"), m.tensor("K"), m.tensor("V")
    m.seal()
    try:
        O = schedule(m, Q, K, V)
    finally:
        m.unseal()
    if not isinstance(O, _core.HbmTensor):
        raise _core.ScheduleError(f"{name} must return the HBM tensor holding O, got {type(O).__name__}")
    if O.name in ("Q", "K", "V"):
        raise _core.ScheduleError(f"{name} returned the input tensor {O.name}, not an output tensor")
    if tuple(O.shape) != (N, d):
        raise _core.ScheduleError(f"{name} returned {O.name} of shape {O.shape}, expected ({N}, {d})")
    out = np.array(m.tensor(O.name).values)
    ref = _core.reference_attention(inputs["Q"], inputs["K"], inputs["V"])
    rel = float(np.linalg.norm(out - ref) / np.linalg.norm(ref))
    max_abs = float(np.max(np.abs(out - ref)))
    best, best_total, totals = best_builtin(N, d, M, dtype)
    b = lower_bound(N, d, M)
    return CheckReport(
        name=name, N=N, d=d, M=M, correct=bool(rel <= rtol), rel_error=rel, max_abs_error=max_abs,
        reads=m.reads, writes=m.writes, total=m.accesses, hbm_bytes=m.hbm_bytes, transfers=m.transfers,
        peak_sram=m.sram_peak, per_tensor=m.counts(), best_builtin=best, best_builtin_total=best_total,
        builtin_totals=totals, bound=b["theta"], trivial_bound=b["trivial"], bound_formula=b["formula"],
        machine=m)
