#include "bench_options.hpp"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#include "../checks/cuda_check.hpp"
#include "event_timing.hpp"

namespace iolab::kernels::bench {

int parse_options(const char* program, int argc, char** argv, Options& o,
                  const std::function<bool(const std::string&, const std::string&)>& extra) {
  for (int a = 1; a < argc; a += 2) {
    const std::string k = argv[a];
    if (a + 1 >= argc) {
      std::fprintf(stderr, "%s: option %s needs a value\n", program, k.c_str());
      return 2;
    }
    const std::string v = argv[a + 1];
    bool ok = true;
    if (k == "--csv") o.csv = v;
    else if (k == "--gpu") o.gpu = v;
    else if (k == "--driver") o.driver = v;
    else if (k == "--date") o.date = v;
    else if (k == "--dtype") {
      ok = v == "fp16" || v == "bf16";
      o.dtype = v == "bf16" ? DType::bf16 : DType::f16;
    } else if (k == "--target-ms") {
      o.target_ms = std::atof(v.c_str());
      ok = o.target_ms > 0;
    } else if (k == "--n-max") {
      o.n_max = std::atoi(v.c_str());
      ok = o.n_max >= 512;
    } else if (k == "--n-min") {
      o.n_min = std::atoi(v.c_str());
      ok = o.n_min >= 512 && (o.n_min & (o.n_min - 1)) == 0;
    } else if (k == "--d") {
      o.d_only = std::atoi(v.c_str());
      ok = o.d_only == 64 || o.d_only == 128;
    } else if (k == "--causal") {
      o.causal_only = v == "0" ? 0 : v == "1" ? 1 : -2;
      ok = o.causal_only >= 0;
    } else ok = extra(k, v);
    if (!ok) {
      std::fprintf(stderr, "%s: unknown option or bad value: %s %s\n", program, k.c_str(), v.c_str());
      return 2;
    }
  }
  if (o.n_min > o.n_max) {
    std::fprintf(stderr, "%s: --n-min %d is above --n-max %d\n", program, o.n_min, o.n_max);
    return 2;
  }
  return 0;
}

int open_device(Options& o) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("SKIPPED: no CUDA GPU available\n");
    return 77;
  }
  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  if (o.gpu.empty()) o.gpu = prop.name;
  if (o.date.empty()) o.date = utc_date();
  return 0;
}

double Shape::forward_flops() const { return 4.0 * batch * heads * double(n) * n * d * (causal ? 0.5 : 1.0); }

std::vector<Shape> shapes(const Options& o) {
  std::vector<Shape> out;
  for (int d : {64, 128})
    for (bool causal : {false, true})
      if ((o.d_only == 0 || o.d_only == d) && (o.causal_only < 0 || o.causal_only == int(causal)))
        for (int n = o.n_min; n <= o.n_max; n *= 2) out.push_back({d, n, kTokens / n, kHeads, causal});
  return out;
}

ResultWriter::~ResultWriter() {
  if (f_) std::fclose(f_);
}

bool ResultWriter::open() {
  f_ = std::fopen(o_.csv.c_str(), "w");
  if (!f_) {
    std::perror(o_.csv.c_str());
    return false;
  }
  std::fprintf(f_, "gpu,date,driver,kernel,pass,dtype,d,N,batch,heads,causal,ms,tflops,min_ms,reps,status\n");
  std::printf("%-13s %-6s %-5s %4s %6s %5s %6s %10s %9s\n", "kernel", "pass", "dtype", "d", "N", "B", "causal", "ms",
              "TFLOP/s");
  return true;
}

void ResultWriter::row(const char* kernel, const char* pass, const Shape& s, double flops, const Timing& t) {
  const double tflops = t.median_ms > 0 ? flops / (t.median_ms * 1e-3) / 1e12 : 0.0;
  const char* causal = s.causal ? "true" : "false";
  std::printf("%-13s %-6s %-5s %4d %6d %5d %6s %10.4f %9.1f %s\n", kernel, pass, dtype_name(o_.dtype), s.d, s.n,
              s.batch, causal, t.median_ms, tflops, t.status == "ok" ? "" : t.status.c_str());
  std::fflush(stdout);
  std::fprintf(f_, "%s,%s,%s,%s,%s,%s,%d,%d,%d,%d,%s,%.5f,%.2f,%.5f,%d,%s\n", csv_escape(o_.gpu).c_str(),
               o_.date.c_str(), csv_escape(o_.driver).c_str(), kernel, pass, dtype_name(o_.dtype), s.d, s.n, s.batch,
               s.heads, causal, t.median_ms, tflops, t.min_ms, t.reps, csv_escape(t.status).c_str());
  std::fflush(f_);
}

}  // namespace iolab::kernels::bench
