#include "worker.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace vmango {

struct Worker::Queue {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Task> tasks;
  bool stopping = false;
};

Worker::Worker() : queue_(std::make_shared<Queue>()) {
  std::shared_ptr<Queue> queue = queue_;
  // Detached: a thread stuck inside a hung RPC must not block process exit.
  std::thread([queue] {
    for (;;) {
      Task task;
      {
        std::unique_lock<std::mutex> lock(queue->mutex);
        queue->wake.wait(lock, [&] { return queue->stopping || !queue->tasks.empty(); });
        if (queue->tasks.empty()) return;
        task = std::move(queue->tasks.front());
        queue->tasks.pop_front();
      }
      task();
    }
  }).detach();
}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> lock(queue_->mutex);
    queue_->stopping = true;
  }
  queue_->wake.notify_one();
}

void Worker::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(queue_->mutex);
    queue_->tasks.push_back(std::move(task));
  }
  queue_->wake.notify_one();
}

}  // namespace vmango
