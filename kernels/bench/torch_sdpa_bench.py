#!/usr/bin/env python3
"""Times PyTorch scaled_dot_product_attention (flash and cuDNN backends) on the
shapes attention_bench uses, with the same method: CUDA events around each
launch, warm-up, median of many.  Writes CSV rows with the same columns.

  python3 torch_sdpa_bench.py --csv FILE [--gpu NAME] [--driver VER] [--date D] [--dtype fp16|bf16]
                              [--passes fwd,bwd,fwdbwd]

Passes (column `pass`; default: fwd only):
  fwd     F.scaled_dot_product_attention(q, k, v) under the backend; FLOPs 4*B*H*N^2*d (halved when causal).
  bwd     the backward alone: the forward runs once outside the timed region with q, k, v requiring grad,
          then each timed call is torch.autograd.grad(out, (q, k, v), dout, retain_graph=True), so only the
          backend's backward kernels (and autograd's small launch overhead) are timed; FLOPs 2.5x the forward.
  fwdbwd  forward + backward: out = sdpa(q, k, v); torch.autograd.grad(out, (q, k, v), dout); FLOPs 3.5x.
"""
import argparse
import datetime
import statistics
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = [("torch_flash", SDPBackend.FLASH_ATTENTION), ("torch_cudnn", SDPBackend.CUDNN_ATTENTION)]
PASS_FLOPS = {"fwd": 1.0, "bwd": 2.5, "fwdbwd": 3.5}  # multiples of the forward's 4*B*H*N^2*d


def make_fn(pass_name, backend, q, k, v, dout, causal):
    """The callable timed for one pass (see the module docstring)."""
    if pass_name == "fwd":
        def fn():
            with sdpa_kernel(backend):
                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return fn
    qg, kg, vg = (t.detach().requires_grad_(True) for t in (q, k, v))
    if pass_name == "bwd":
        with sdpa_kernel(backend):
            out = F.scaled_dot_product_attention(qg, kg, vg, is_causal=causal)

        def fn():
            return torch.autograd.grad(out, (qg, kg, vg), dout, retain_graph=True)
        return fn

    def fn():
        with sdpa_kernel(backend):
            out = F.scaled_dot_product_attention(qg, kg, vg, is_causal=causal)
        return torch.autograd.grad(out, (qg, kg, vg), dout)
    return fn


def time_ms(fn, target_ms):
    fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    fn()
    e.record()
    e.synchronize()
    one = max(1e-3, s.elapsed_time(e) / 2)
    reps = int(min(200, max(5, target_ms / one)))
    evs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
    for a, b in evs:
        a.record()
        fn()
        b.record()
    torch.cuda.synchronize()
    ms = sorted(a.elapsed_time(b) for a, b in evs)
    return statistics.median(ms), ms[0], reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--gpu", default=None)
    ap.add_argument("--driver", default="unknown")
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))
    ap.add_argument("--dtype", default="fp16", choices=["fp16", "bf16"])
    ap.add_argument("--target-ms", type=float, default=600)
    ap.add_argument("--n-max", type=int, default=16384)
    ap.add_argument("--passes", default="fwd")
    args = ap.parse_args()
    passes = [x for x in args.passes.split(",") if x]
    bad = [x for x in passes if x not in PASS_FLOPS]
    if bad or not passes:
        print(f"error: unknown pass(es) {bad} (known: {', '.join(PASS_FLOPS)})", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("SKIPPED: no CUDA GPU")
        return 77
    gpu = args.gpu or torch.cuda.get_device_name(0)
    dt = torch.float16 if args.dtype == "fp16" else torch.bfloat16
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {gpu}", flush=True)
    H, total = 16, 16384
    gen = torch.Generator(device="cuda").manual_seed(1234)
    with open(args.csv, "w") as f:
        f.write("gpu,date,driver,kernel,pass,dtype,d,N,batch,heads,causal,ms,tflops,min_ms,reps,status\n")
        for d in (64, 128):
            for causal in (False, True):
                n = 512
                while n <= args.n_max:
                    B = total // n
                    q, k, v, dout = (torch.empty(B, H, n, d, device="cuda", dtype=dt).uniform_(-2, 2, generator=gen)
                                     for _ in range(4))
                    flops = 4.0 * B * H * n * n * d * (0.5 if causal else 1.0)
                    for pass_name in passes:
                        for name, backend in BACKENDS:
                            status, med, mn, reps = "ok", 0.0, 0.0, 0
                            try:
                                fn = make_fn(pass_name, backend, q, k, v, dout, causal)
                                med, mn, reps = time_ms(fn, args.target_ms)
                            except Exception as exc:  # backend not available for this shape
                                status = type(exc).__name__ + ": " + str(exc).splitlines()[0][:120]
                            fn = None
                            pf = flops * PASS_FLOPS[pass_name]
                            tf = pf / (med * 1e-3) / 1e12 if med > 0 else 0.0
                            print(f"{name:12s} {pass_name:6s} {args.dtype} d={d:3d} N={n:5d} B={B:3d} "
                                  f"causal={causal!s:5s} {med:9.4f} ms {tf:7.1f} TFLOP/s "
                                  f"{'' if status == 'ok' else status}", flush=True)
                            clean = lambda s: s.replace(",", ";").replace("\n", " ")
                            f.write(f"{clean(gpu)},{args.date},{clean(args.driver)},{name},{pass_name},{args.dtype},"
                                    f"{d},{n},{B},{H},{str(causal).lower()},{med:.5f},{tf:.2f},{mn:.5f},{reps},"
                                    f"{clean(status)}\n")
                            f.flush()
                    del q, k, v, dout
                    n *= 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
