#include "event_timing.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "../checks/cuda_check.hpp"

namespace iolab::kernels::bench {

Timing time_launches(const std::function<Status()>& fn, double target_ms, int min_reps, int max_reps) {
  Timing t;
  Status st = fn();
  if (!st.ok) {
    t.status = st.message;
    return t;
  }
  CUDA_OK(cudaDeviceSynchronize());
  cudaEvent_t e0, e1;
  CUDA_OK(cudaEventCreate(&e0));
  CUDA_OK(cudaEventCreate(&e1));
  CUDA_OK(cudaEventRecord(e0));
  for (int w = 0; w < 2; ++w) (void)fn();
  CUDA_OK(cudaEventRecord(e1));
  CUDA_OK(cudaEventSynchronize(e1));
  float warm_ms = 0;
  CUDA_OK(cudaEventElapsedTime(&warm_ms, e0, e1));
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  const double one = std::max(1e-3, warm_ms / 2.0);
  const int reps = static_cast<int>(std::clamp(target_ms / one, static_cast<double>(min_reps), static_cast<double>(max_reps)));
  std::vector<cudaEvent_t> ev(2 * static_cast<std::size_t>(reps));
  for (auto& e : ev) CUDA_OK(cudaEventCreate(&e));
  for (int r = 0; r < reps; ++r) {
    CUDA_OK(cudaEventRecord(ev[2 * r]));
    st = fn();
    CUDA_OK(cudaEventRecord(ev[2 * r + 1]));
    if (!st.ok) {
      t.status = st.message;
      break;
    }
  }
  CUDA_OK(cudaDeviceSynchronize());
  CUDA_OK(cudaGetLastError());
  std::vector<double> ms;
  for (int r = 0; r < reps && t.status == "ok"; ++r) {
    float x = 0;
    CUDA_OK(cudaEventElapsedTime(&x, ev[2 * r], ev[2 * r + 1]));
    ms.push_back(x);
  }
  for (auto& e : ev) cudaEventDestroy(e);
  if (ms.empty()) return t;
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  t.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  t.min_ms = ms.front();
  t.reps = static_cast<int>(n);
  return t;
}

std::string utc_date() {
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&now));
  return buf;
}

std::string csv_escape(std::string s) {
  for (char& c : s)
    if (c == ',' || c == '\n') c = ';';
  return s;
}

}  // namespace iolab::kernels::bench
