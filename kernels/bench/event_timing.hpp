// Timing of GPU work with CUDA events, shared by the benchmark programs.
//
// time_launches(fn, target_ms): one untimed call (module load, handles,
// heuristics), two warm-up calls timed together to size the run, then
// clamp(target_ms / one call, min_reps, max_reps) calls, each bracketed by its
// own event pair on the legacy default stream.  Returns the median and the
// minimum in milliseconds; when fn reports an error the timing stops and
// `status` carries its message (median_ms is then 0).
#pragma once

#include <functional>
#include <string>

#include "iolab/kernels/attention.hpp"

namespace iolab::kernels::bench {

struct Timing {
  double median_ms = 0, min_ms = 0;
  int reps = 0;
  std::string status = "ok";
};

Timing time_launches(const std::function<Status()>& fn, double target_ms, int min_reps = 5, int max_reps = 200);

// Today's date (UTC) as YYYY-MM-DD.
std::string utc_date();

// A CSV field with ',' and newlines replaced by ';'.
std::string csv_escape(std::string s);

}  // namespace iolab::kernels::bench
