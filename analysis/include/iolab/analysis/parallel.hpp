#pragma once
// parallel_for(n, threads, fn): calls fn(i) for every i in [0, n), spread over `threads` threads (0: all
// cores; never more threads than items), the calling thread among them. Items are taken in increasing
// order from a shared counter, so results written to slot i of a pre-sized vector come out in item order
// whatever the thread count. If fn throws, no further items are started, and once every thread has
// stopped the first exception is rethrown on the calling thread (never std::terminate from a worker).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace iolab::analysis {

template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto worker = [&] {
    for (std::size_t i = next++; i < n && !failed; i = next++) {
      try {
        fn(i);
      } catch (...) {
        const std::lock_guard lock(first_mutex);
        if (!first) first = std::current_exception();
        failed = true;
      }
    }
  };
  unsigned t = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  t = static_cast<unsigned>(std::min<std::size_t>(t, std::max<std::size_t>(1, n)));
  {
    std::vector<std::jthread> pool;
    for (unsigned k = 1; k < t; ++k) pool.emplace_back(worker);
    worker();
  }  // joins
  if (first) std::rethrow_exception(first);
}

}  // namespace iolab::analysis
