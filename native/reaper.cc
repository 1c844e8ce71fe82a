#include "reaper.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace vmango {
namespace {

struct ReaperQueue {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> items;
};

// Deliberately leaked: the detached thread may outlive static destruction at exit.
ReaperQueue* StartReaper() {
  auto* queue = new ReaperQueue();
  std::thread([queue] {
    for (;;) {
      std::function<void()> release;
      {
        std::unique_lock<std::mutex> lock(queue->mutex);
        queue->wake.wait(lock, [queue] { return !queue->items.empty(); });
        release = std::move(queue->items.front());
        queue->items.pop_front();
      }
      release();
    }
  }).detach();
  return queue;
}

}  // namespace

void ReaperPost(std::function<void()> release) {
  static ReaperQueue* queue = StartReaper();
  {
    std::lock_guard<std::mutex> lock(queue->mutex);
    queue->items.push_back(std::move(release));
  }
  queue->wake.notify_one();
}

}  // namespace vmango
