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

}  // namespace iolab::kernels::bench
