#!/usr/bin/env python3
"""Times PyTorch scaled_dot_product_attention (flash and cuDNN backends) on the
shapes attention_bench uses, with the same method: CUDA events around each
launch, warm-up, median of many.  Writes CSV rows with the same columns.

  python3 torch_sdpa_bench.py --csv FILE [--gpu NAME] [--driver VER] [--date D] [--dtype fp16|bf16]
"""
import argparse
import datetime
import statistics
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = [("torch_flash", SDPBackend.FLASH_ATTENTION), ("torch_cudnn", SDPBackend.CUDNN_ATTENTION)]


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
    args = ap.parse_args()
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
                    q, k, v = (torch.empty(B, H, n, d, device="cuda", dtype=dt).uniform_(-2, 2, generator=gen)
                               for _ in range(3))
                    flops = 4.0 * B * H * n * n * d * (0.5 if causal else 1.0)
                    for name, backend in BACKENDS:
                        status, med, mn, reps = "ok", 0.0, 0.0, 0

                        def fn():
                            with sdpa_kernel(backend):
                                return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

                        try:
                            med, mn, reps = time_ms(fn, args.target_ms)
                        except Exception as exc:  # backend not available for this shape
                            status = type(exc).__name__ + ": " + str(exc).splitlines()[0][:120]
                        tf = flops / (med * 1e-3) / 1e12 if med > 0 else 0.0
                        print(f"{name:12s} {args.dtype} d={d:3d} N={n:5d} B={B:3d} causal={causal!s:5s} "
                              f"{med:9.4f} ms {tf:7.1f} TFLOP/s {'' if status == 'ok' else status}", flush=True)
                        clean = lambda s: s.replace(",", ";").replace("\n", " ")
                        f.write(f"{clean(gpu)},{args.date},{clean(args.driver)},{name},fwd,{args.dtype},{d},{n},{B},"
                                f"{H},{str(causal).lower()},{med:.5f},{tf:.2f},{mn:.5f},{reps},{clean(status)}\n")
                        f.flush()
                    del q, k, v
                    n *= 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
