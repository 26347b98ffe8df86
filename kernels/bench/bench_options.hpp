// Command line and device set-up shared by the benchmark programs
// (attention_bench, attention_bench_backward, gemm_peak).
//
//   --csv FILE --gpu NAME --driver VER --date YYYY-MM-DD --dtype fp16|bf16
//   --target-ms MS (> 0) --n-min N, --n-max N (powers of two from 512; n-min <= n-max)
//   --d 64|128, --causal 0|1 (only that head dimension / mask; default both), e.g. to profile one shape
// plus program-specific "--key value" pairs handed to `extra`.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "event_timing.hpp"
#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels::bench {

struct Options {
  std::string csv, gpu, driver = "unknown", date;
  DType dtype = DType::f16;
  double target_ms = 600;
  int n_min = 512, n_max = 16384;
  int d_only = 0;        // 0: d = 64 and 128
  int causal_only = -1;  // -1: non-causal and causal
};

// Parses argv into `o`; other options go to `extra`, which returns false for
// an unknown key or a bad value.  Returns 0, or 2 after printing a one-line
// error (missing value, unknown option, bad dtype, target-ms <= 0, n-max < 512,
// n-min > n-max, d not 64 or 128, causal not 0 or 1).
int parse_options(const char* program, int argc, char** argv, Options& o,
                  const std::function<bool(const std::string& key, const std::string& value)>& extra);

// 77 (after printing SKIPPED) when no CUDA GPU is present; otherwise 0, with
// o.gpu defaulting to the device name and o.date to today (UTC).
int open_device(Options& o);

// The benchmark grid of the kernels issue: H = 16 heads, B = 16384 / N, N = n_min, 2 n_min, ... n_max,
// d = 64 then 128 (or only d_only), for each d the non-causal shapes before the causal ones (or only
// causal_only).
constexpr int kHeads = 16, kTokens = 16384;
struct Shape {
  int d, n, batch, heads;
  bool causal;
  double forward_flops() const;  ///< 4 B H N^2 d, halved when causal
};
std::vector<Shape> shapes(const Options& o);

// The results CSV (columns gpu,date,driver,kernel,pass,dtype,d,N,batch,heads,causal,ms,tflops,min_ms,
// reps,status, as committed under kernels/bench/results/): open() writes the header (false after a
// one-line error); row() appends one timing and echoes it to stdout.
class ResultWriter {
 public:
  explicit ResultWriter(const Options& o) : o_(o) {}
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;
  bool open();
  void row(const char* kernel, const char* pass, const Shape& s, double flops, const Timing& t);

 private:
  const Options& o_;
  std::FILE* f_ = nullptr;
};

}  // namespace iolab::kernels::bench
