// Runs independent per-item libvirt calls of one bulk listing on a few threads at once. The remote
// driver multiplexes concurrent calls over the one connection and libvirtd answers them from its
// worker pool, so N calls cost about N/threads round trips instead of N. Every thread is joined
// before the listing job returns, so the calls stay inside the connection's own job.
#pragma once

#include <libvirt/virterror.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace vmango {

constexpr int kListingThreads = 8;

// Calls fn(i) for every i in [0, count); fn must not throw. libvirt errors are per thread: the
// helper threads clear theirs.
template <typename Fn>
void ParallelFor(int count, Fn fn) {
  int threads = std::min(kListingThreads, count);
  std::atomic<int> next{0};
  auto drain = [&]() {
    for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> helpers;
  for (int t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back([&]() {
        drain();
        virResetLastError();
      });
    } catch (...) {
      break;  // no more threads: the others (and this one) do the rest
    }
  }
  drain();
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace vmango
