// A native thread with a FIFO task queue. Never the libuv pool: a hung hypervisor
// must only ever block its own connection's thread.
#pragma once

#include <functional>
#include <memory>

namespace vmango {

class Worker {
 public:
  using Task = std::function<void()>;

  Worker();
  ~Worker();  // lets queued tasks finish, then the thread exits on its own
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Post(Task task);

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
};

}  // namespace vmango
