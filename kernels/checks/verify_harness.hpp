// What attention_verify and attention_verify_backward share: the command line (--small | --full, --seed S,
// optionally --kernel NAME), the grid of cases, a parallel loop for the float64 references, and the
// pass/fail tally whose summary line and exit status the CTests read.
//
// Contract:
//  * parse_verify_args: true with `out` filled; false after printing the usage line to stderr (the caller
//    exits 2) for an unknown option, a missing value or, with `allow_kernel`, an unknown kernel name.
//    Without --seed the seed comes from std::random_device (it is printed by the summary, so a failure can
//    be replayed).
//  * small_cases(): 24 small shapes (N in {1, 17, 131}, d in {64, 128}, causal and not, fp16 and bf16,
//    (batch, heads) alternating (1, 2) and (2, 1)): fast enough for compute-sanitizer.
//  * full_cases(ns): N in ns x d in {64, 128} x causal and not x fp16, bf16 x batch in {1, 3} x heads in {1, 3}.
//  * Tally::finish prints "PASSED|FAILED: p passed, f failed (seed s)" and returns the exit status (0 or 1).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "iolab/kernels/tiling.hpp"

namespace iolab::kernels::checks {

struct VerifyCase {
  DType dtype;
  int batch, heads, n, d;
  bool causal;
};

struct VerifyArgs {
  bool full = true;
  std::uint64_t seed = 0;
  std::vector<KernelKind> kernels;  ///< --kernel NAME (one); empty: the caller's default
};

inline bool parse_verify_args(int argc, char** argv, bool allow_kernel, VerifyArgs& out) {
  out.seed = std::random_device{}();
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--small") {
      out.full = false;
    } else if (arg == "--full") {
      out.full = true;
    } else if (arg == "--seed" && a + 1 < argc) {
      out.seed = std::strtoull(argv[++a], nullptr, 10);
    } else if (allow_kernel && arg == "--kernel" && a + 1 < argc) {
      KernelKind k{};
      if (!kernel_from_name(argv[++a], k)) {
        std::fprintf(stderr, "%s: unknown kernel %s\n", argv[0], argv[a]);
        return false;
      }
      out.kernels.assign(1, k);
    } else {
      std::fprintf(stderr, "usage: %s [--small|--full] [--seed S]%s\n", argv[0],
                   allow_kernel ? " [--kernel standard|flash1|flash2|flash2_hopper]" : "");
      return false;
    }
  }
  return true;
}

inline std::vector<VerifyCase> small_cases() {
  std::vector<VerifyCase> cases;
  int alt = 0;
  for (int n : {1, 17, 131})
    for (int d : {64, 128})
      for (bool causal : {false, true})
        for (DType t : {DType::f16, DType::bf16}) {
          const bool flip = (alt++ % 2) != 0;
          cases.push_back({t, flip ? 2 : 1, flip ? 1 : 2, n, d, causal});
        }
  return cases;
}

inline std::vector<VerifyCase> full_cases(std::initializer_list<int> ns) {
  std::vector<VerifyCase> cases;
  for (int n : ns)
    for (int d : {64, 128})
      for (bool causal : {false, true})
        for (DType t : {DType::f16, DType::bf16})
          for (int batch : {1, 3})
            for (int heads : {1, 3}) cases.push_back({t, batch, heads, n, d, causal});
  return cases;
}

// f(i) for i in [0, count) on all hardware threads.
template <typename F>
void parallel_for(std::int64_t count, F&& f) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::int64_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < hw; ++w)
    pool.emplace_back([&] {
      for (std::int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) f(i);
    });
  for (auto& t : pool) t.join();
}

struct Tally {
  int passes = 0, failures = 0;
  void record(bool pass) { ++(pass ? passes : failures); }
  void fail(const std::string& msg) {
    std::printf("FAIL %s\n", msg.c_str());
    ++failures;
  }
  int finish(std::uint64_t seed) const {
    std::printf("%s: %d passed, %d failed (seed %llu)\n", failures ? "FAILED" : "PASSED", passes, failures,
                static_cast<unsigned long long>(seed));
    return failures ? 1 : 0;
  }
};

}  // namespace iolab::kernels::checks
