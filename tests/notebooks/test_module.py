"""The Python module: counts, capacity checks, sealing, check(), traces and
animations, against the C++ simulator and closed forms."""

import json
import os
import subprocess

import numpy as np
import pytest

import iolab


def test_load_store_counts_and_values():
    m = iolab.Machine(64)
    Q = m.hbm_tensor("Q", 8, 4, "fp32")
    Q.set_values(np.arange(32.0).reshape(8, 4))
    t = m.sram_tile("t", 2, 4)
    m.load(t, Q[2:4])
    assert t.values.tolist() == [[8, 9, 10, 11], [12, 13, 14, 15]]
    t.values[:] = -t.values
    m.store(Q[6:8], t)
    assert Q.values[6:8].tolist() == [[-8, -9, -10, -11], [-12, -13, -14, -15]]
    assert (m.reads, m.writes, m.accesses, m.transfers) == (8, 8, 16, 2)
    assert m.hbm_bytes == 16 * 4
    assert m.counts()["Q"]["reads"] == 8 and Q.writes == 8
    # partial-extent loads and column views
    m.load(t, Q[0:1, 1:3])
    assert t.shape == (1, 2) and t.values.tolist() == [[1, 2]]
    assert m.reads == 10


def test_capacity_and_schedule_errors():
    m = iolab.Machine(20)
    a = m.sram_tile("a", 4, 4)
    with pytest.raises(iolab.CapacityError, match="does not fit"):
        m.sram_tile("b", 2, 3)
    assert issubclass(iolab.CapacityError, ValueError)
    del a  # releases its 16 elements
    assert m.sram_in_use == 0 and m.sram_peak == 16
    b = m.sram_tile("b", 2, 3)
    X = m.hbm_tensor("X", 4, 4)
    with pytest.raises(iolab.ScheduleError, match="capacity 2x3"):
        m.load(b, X[0:2])
    with pytest.raises(IndexError):
        X[0:5:2]
    other = iolab.Machine(20)
    with pytest.raises(iolab.ScheduleError, match="another Machine"):
        other.load(other.sram_tile("c", 1, 1), X[0:1, 0:1])
    with pytest.raises(iolab.InputError):
        iolab.plan("flash1", 16, 4, 10)


def test_presets():
    names = [p["name"] for p in iolab.presets()]
    assert "a100" in names and "paper" in names
    a100 = next(p for p in iolab.presets() if p["name"] == "a100")
    m = iolab.Machine.from_preset("a100", "fp32", compute=False)
    assert m.M == a100["sram_bytes"] // 4 == iolab.preset_M("a100", "fp32") and not m.computes
    with pytest.raises(iolab.InputError, match="a100"):
        iolab.Machine.from_preset("no-such-gpu")


def test_passes_causal_and_regimes():
    fwd = iolab.simulate("flash2", 64, 8, 512)["total"]
    fb = iolab.simulate("flash2", 64, 8, 512, pass_="fwdbwd")
    assert fb["total"] > fwd and "dQ" in fb["tensors"]
    p = iolab.plan("flash2", 64, 8, 512, pass_="fwdbwd")
    assert p.pass_ == "fwdbwd" and fb["total"] == iolab.closed_form(p)["total"]
    c = iolab.simulate("flash2", 64, 8, 512, causal=True, compute=True)
    assert c["total"] < fwd and iolab.plan("flash2", 64, 8, 512, causal=True).causal
    m = iolab.Machine(512)
    ins = [m.hbm_tensor(n, 64, 8) for n in "QKV"]
    with pytest.raises(iolab.InputError, match="forward"):
        iolab.run(m, p, *ins)
    b = iolab.bound(iolab.plan("flash2", 64, 16, 128), 1000)
    assert b["regime"] == "M < d^2" and b["lower_formula"] == "N^2*d/sqrt(M)"
    assert b["lower_value"] == pytest.approx(64 * 64 * 16 / 128 ** 0.5)
    with pytest.raises(iolab.InputError):
        iolab.plan("flash2", 64, 8, 512, pass_="sideways")


def test_count_only_machine_has_no_values():
    m = iolab.Machine(16, compute=False)
    X = m.hbm_tensor("X", 4, 4)
    t = m.sram_tile("t", 4, 4)
    m.load(t, X)
    assert m.reads == 16
    with pytest.raises(iolab.ScheduleError, match="count-only"):
        t.values


@pytest.mark.parametrize("algo", ["standard", "flash1", "flash2"])
@pytest.mark.parametrize("N,d,M", [(16, 4, 96), (37, 8, 400), (64, 16, 2048)])
def test_builtins_match_closed_forms_and_reference(algo, N, d, M):
    p = iolab.plan(algo, N, d, M)
    r = iolab.simulate(algo, N, d, M, compute=True)
    cf = iolab.closed_form(p)
    assert r["total"] == cf["total"] and r["reads"] == cf["reads"]
    for name, c in cf["tensors"].items():
        assert r["tensors"][name]["reads"] == c["reads"] and r["tensors"][name]["writes"] == c["writes"]
    assert r["rel_error"] < 1e-12
    # the same algorithm on a Machine built in Python counts the same
    m = iolab.Machine(M)
    rng = np.random.default_rng(3)
    ins = []
    for n in "QKV":
        T = m.hbm_tensor(n, N, d)
        T.set_values(rng.uniform(-1, 1, (N, d)))
        ins.append(T)
    O = iolab.run(m, p, *ins)
    assert m.accesses == cf["total"]
    ref = iolab.reference_attention(*[T.values for T in ins])
    assert np.allclose(O.values, ref, rtol=0, atol=1e-12)


def _row_schedule(m, Q, K, V):
    """One query row at a time against one K/V row at a time (online softmax)."""
    N, d = Q.shape
    O = m.hbm_tensor("O", N, d)
    q, o, k, v = (m.sram_tile(n, 1, d) for n in ("q", "o", "k", "v"))
    stats = m.sram_tile("ml", 1, 2)
    for i in range(N):
        m.load(q, Q[i])
        o.fill(0.0)
        stats.values[0] = (-np.inf, 0.0)
        for j in range(N):
            m.load(k, K[j])
            m.load(v, V[j])
            s = float(q.values[0] @ k.values[0]) / np.sqrt(d)
            mx, l = stats.values[0]
            new = max(mx, s)
            a, b = np.exp(mx - new), np.exp(s - new)
            o.values[0] = a * o.values[0] + b * v.values[0]
            stats.values[0] = (new, a * l + b)
        o.values[0] /= stats.values[0, 1]
        m.store(O[i], o)
    return O


def test_check_counts_a_python_schedule_exactly():
    N, d, M = 12, 4, 96
    rep = iolab.check(_row_schedule, N=N, d=d, M=M)
    assert rep.correct and rep.rel_error < 1e-12
    assert rep.reads == N * d + 2 * N * N * d and rep.writes == N * d
    assert rep.per_tensor["K"]["reads"] == N * N * d
    assert rep.peak_sram == 4 * d + 2
    best, total, totals = iolab.best_builtin(N, d, M)
    assert not any(iolab.is_decoding(a) for a in totals) and {"standard", "flash1", "flash2"} <= set(totals)
    assert rep.best_builtin == best and rep.best_builtin_total == total == min(totals.values())
    assert rep.bound == pytest.approx(N * N * d * d / M) and rep.bound_formula == "N^2 d^2 / M"  # M >= d^2
    small = iolab.check(_row_schedule, N=N, d=8, M=60)                                          # M < d^2
    assert small.correct and small.bound == pytest.approx(N * N * 8 / 60 ** 0.5)
    assert "correct:      yes" in str(rep)


def test_check_catches_wrong_and_cheating_schedules():
    def unnormalised(m, Q, K, V):
        N, d = Q.shape
        O = m.hbm_tensor("O", N, d)
        t = m.sram_tile("t", N, d)
        m.load(t, V)
        m.store(O, t)
        return O

    rep = iolab.check(unnormalised, N=8, d=4, M=64)
    assert not rep.correct and "NO" in str(rep)

    def peeks(m, Q, K, V):
        Q.values  # reading HBM without a load
        return Q

    with pytest.raises(iolab.ScheduleError, match="checked schedule"):
        iolab.check(peeks, N=8, d=4, M=64)

    with pytest.raises(iolab.ScheduleError, match="input tensor"):
        iolab.check(lambda m, Q, K, V: Q, N=8, d=4, M=64)


def test_trace_json_and_cli_render(tmp_path):
    rep = iolab.check(_row_schedule, N=4, d=2, M=32, trace=True)
    m = rep.machine
    trace = json.loads(m.trace_json())
    transfers = [e for e in trace["events"] if e["op"] in ("load", "store")]
    assert len(transfers) == m.transfers == 4 + 2 * 16 + 4
    assert [t["name"] for t in trace["tensors"]] == ["Q", "K", "V", "O"]
    path = tmp_path / "run.json"
    m.save_trace(str(path))
    out = tmp_path / "run.gif"
    cli = os.environ["IOLAB_CLI"]
    res = subprocess.run([cli, "animate", "--trace", str(path), "-o", str(out), "--max-frames", "10"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "10 frame(s) of 40 transfers" in res.stdout
    assert out.read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    # a broken trace is refused with exit status 2 and one line
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**trace, "events": [{"op": "load", "tile": 99, "tensor": 0,
                                                     "row0": 0, "rows": 1, "col0": 0, "cols": 1}]}))
    res = subprocess.run([cli, "animate", "--trace", str(bad), "-o", str(tmp_path / "x.gif")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "not live" in res.stderr
    assert not (tmp_path / "x.gif").exists()


@pytest.mark.parametrize("algo", ["standard", "flash1", "flash2"])
def test_builtin_animations(tmp_path, algo):
    from PIL import Image

    p = iolab.plan(algo, 16, 4, 96)
    transfers = iolab.simulate(algo, 16, 4, 96)["transfers"]
    gif = tmp_path / f"{algo}.gif"
    n = iolab.animate_builtin(p, str(gif), max_frames=25)
    assert n == min(25, transfers)
    with Image.open(gif) as im:
        assert im.n_frames == n and im.size == (1100, 620)
    frames = tmp_path / "frames"
    assert iolab.animate_builtin(p, str(frames), max_frames=3) == 3
    assert sorted(os.listdir(frames)) == ["frame_0000.svg", "frame_0001.svg", "frame_0002.svg"]
    png = tmp_path / "one.png"
    assert iolab.animate_builtin(p, str(png), frame=7) == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_frame_sampling_keeps_first_and_last(tmp_path):
    m = iolab.Machine(8, trace=True)
    X = m.hbm_tensor("X", 8, 1)
    t = m.sram_tile("t", 1, 1)
    for i in range(8):
        m.load(t, X[i])
    svg = tmp_path / "f"
    assert m.animate(str(svg), max_frames=3) == 3
    texts = [(svg / f"frame_000{k}.svg").read_text() for k in range(3)]
    assert "step 1 of 8" in texts[0] and "step 8 of 8" in texts[2]
    with pytest.raises(iolab.InputError):
        iolab.Machine(8).animate(str(tmp_path / "no.gif"))


def test_kernel_tiling_and_flash1_splits_follow_the_kernels_header():
    # kernels/include/iolab/kernels/tiling.hpp, as the CUDA sources use it
    assert iolab.kernel_tiling("flash2", 64) == {"br": 64, "bc": 64, "threads": 128, "smem_bytes": 40960}
    t = iolab.kernel_tiling("flash1", 128)
    assert (t["br"], t["bc"], t["threads"]) == (128, 256, 256)
    assert (iolab.kernel_tiling("flash2_hopper", 64)["bc"], iolab.kernel_tiling("flash2_hopper", 128)["bc"]) == (64, 128)
    # T_r = 32 Q blocks, 2 per split, at least one thread block per SM over 64 heads: S = max(16, 3) = 16
    assert iolab.flash1_splits(64, 4096, 128, 132) == 16
    assert iolab.flash1_splits(8, 4096, 128, 132) == 17  # ceil(132 / 8) thread blocks per head
    with pytest.raises(iolab.InputError, match="unknown kernel"):
        iolab.kernel_tiling("flash3", 64)
    with pytest.raises(iolab.InputError, match="64 or 128"):
        iolab.kernel_tiling("flash2", 96)


def test_plan_with_splits_matches_the_cli():
    # `iolab count --algo flash1 --N 4096 --d 128 --br 128 --bc 256 --splits 16 --causal`: K read 6,553,600 elements
    p = iolab.plan("flash1", 4096, 128, M=1 << 22, br=128, bc=256, causal=True, splits=16)
    assert iolab.closed_form(p)["tensors"]["K"]["reads"] == 6_553_600
    one = iolab.plan("flash1", 4096, 128, M=1 << 22, br=128, bc=256, causal=True)
    assert iolab.closed_form(one)["tensors"]["K"]["reads"] < 6_553_600  # one split reads K/V once per K/V block


def test_cta_pacing_rates_and_lineages():
    assert iolab.cta_age_rates("h100", "flash2_fwd", 2) == [1.0, 0.914]
    assert iolab.cta_age_rates("h200", "flash2_hopper_fwd", 2) == [1.0, 0.605]
    assert iolab.cta_age_rates("h100", "flash1_fwd", 2) == []
    lin = iolab.age_paced_lineages([1.0, 0.605], 2)
    assert len(lin) == 2 and all(len(s) == 2 for s in lin)
    assert abs(lin[1][0] / lin[0][0] - (2 - 0.605)) < 1e-12      # the first wave: D_1 / D_0 = 2 - rho
    assert abs(lin[0][1] / lin[0][0] - (2 - 2 * 0.605 + 0.605 ** 2)) < 1e-12
    with pytest.raises(iolab.InputError):
        iolab.age_paced_lineages([0.5, 1.0], 1)
    with pytest.raises(iolab.InputError):
        iolab.cta_age_rates("a100", "flash2_fwd", 2)
