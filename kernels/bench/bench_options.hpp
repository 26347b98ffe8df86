// Command line and device set-up shared by the benchmark programs
// (attention_bench, attention_bench_backward, gemm_peak).
//
//   --csv FILE --gpu NAME --driver VER --date YYYY-MM-DD --dtype fp16|bf16
//   --target-ms MS (> 0) --n-min N, --n-max N (powers of two from 512; n-min <= n-max)
//   --d 64|128 (only that head dimension; default both), e.g. to profile one shape
// plus program-specific "--key value" pairs handed to `extra`.
#pragma once

#include <functional>
#include <string>

#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels::bench {

struct Options {
  std::string csv, gpu, driver = "unknown", date;
  DType dtype = DType::f16;
  double target_ms = 600;
  int n_min = 512, n_max = 16384;
  int d_only = 0;  // 0: d = 64 and 128
  bool wants_d(int d) const { return d_only == 0 || d_only == d; }
};

// Parses argv into `o`; other options go to `extra`, which returns false for
// an unknown key or a bad value.  Returns 0, or 2 after printing a one-line
// error (missing value, unknown option, bad dtype, target-ms <= 0, n-max < 512,
// n-min > n-max, d not 64 or 128).
int parse_options(const char* program, int argc, char** argv, Options& o,
                  const std::function<bool(const std::string& key, const std::string& value)>& extra);

// 77 (after printing SKIPPED) when no CUDA GPU is present; otherwise 0, with
// o.gpu defaulting to the device name and o.date to today (UTC).
int open_device(Options& o);

}  // namespace iolab::kernels::bench
