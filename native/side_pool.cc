#include "side_pool.h"

#include <atomic>

namespace vmango {
namespace {

// Interactive credentials are refused: a panel has nobody to type a password.
int RefuseInteractiveAuth(virConnectCredentialPtr, unsigned int, void*) { return -1; }

int kAuthCredTypes[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT,
                        VIR_CRED_ECHOPROMPT, VIR_CRED_REALM, VIR_CRED_EXTERNAL};

ErrorInfo PoolClosedError() {
  ErrorInfo closed;
  closed.code = kCodeConnectionClosed;
  closed.message = "connection is closed";
  return closed;
}

}  // namespace

virConnectPtr OpenLibvirt(const OpenSettings& settings) {
  virConnectAuth auth = {kAuthCredTypes, sizeof(kAuthCredTypes) / sizeof(kAuthCredTypes[0]),
                         RefuseInteractiveAuth, nullptr};
  virConnectPtr conn = virConnectOpenAuth(settings.uri.c_str(), &auth, 0);
  if (conn == nullptr) ThrowLastError("virConnectOpenAuth");
  if (settings.keepaliveInterval > 0 &&
      virConnectSetKeepAlive(conn, settings.keepaliveInterval, settings.keepaliveCount) < 0) {
    ErrorInfo error = CaptureLastError("virConnectSetKeepAlive");
    // Local drivers (qemu:///, test:///) have no keepalive; that is not an error.
    if (error.code != VIR_ERR_NO_SUPPORT && error.code != VIR_ERR_OPERATION_INVALID) {
      virConnectClose(conn);
      throw LibvirtFailure(error);
    }
    virResetLastError();
  }
  return conn;
}

struct SidePool::Channel {
  Worker worker;
  virConnectPtr conn = nullptr;  // touched only on `worker`
  std::atomic<bool> broken{false};
  ErrorInfo openFailure;         // touched only on `worker`
};

namespace {

// On the channel's thread: its connection, opened on first use.
virConnectPtr Connect(const OpenSettings& settings, SidePool::Channel& channel, ErrorInfo* failure) {
  if (channel.conn == nullptr && !channel.broken.load()) {
    try {
      channel.conn = OpenLibvirt(settings);
    } catch (const LibvirtFailure& e) {
      channel.openFailure = e.info();
      channel.broken.store(true);
    }
  }
  if (channel.conn == nullptr) *failure = channel.openFailure;
  return channel.conn;
}

// On the channel's thread, after a task: a connection that died is not handed out again.
void CheckAlive(SidePool::Channel& channel) {
  if (channel.conn != nullptr && virConnectIsAlive(channel.conn) != 1) {
    virResetLastError();
    channel.broken.store(true);
  }
}

}  // namespace

void SidePool::Configure(OpenSettings settings) {
  std::lock_guard<std::mutex> lock(mutex_);
  settings_ = std::move(settings);
}

void SidePool::Run(Task task) {
  auto self = shared_from_this();
  Acquire(self, [self, task](ChannelPtr channel) {
    if (!channel) {
      ErrorInfo closed = PoolClosedError();
      task(nullptr, &closed);
      return;
    }
    self->Start(channel, task);
  });
}

bool SidePool::TryRun(Task task) {
  ChannelPtr channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    if (!idle_.empty()) {
      channel = idle_.back();
      idle_.pop_back();
    } else if (open_ < maxOpen_) {
      ++open_;
      channel = std::make_shared<Channel>();
    } else {
      return false;
    }
  }
  Start(channel, std::move(task));
  return true;
}

void SidePool::Start(ChannelPtr channel, Task task) {
  auto self = shared_from_this();
  channel->worker.Post([self, channel, task] {
    ErrorInfo failure;
    virConnectPtr conn = Connect(self->Settings(), *channel, &failure);
    task(conn, conn != nullptr ? nullptr : &failure);
    CheckAlive(*channel);
    self->Release(channel);
  });
}

void SidePool::RunLeased(LeasedTask task) {
  auto self = shared_from_this();
  Acquire(self, [self, task](ChannelPtr channel) {
    if (!channel) {
      ErrorInfo closed = PoolClosedError();
      task(nullptr, &closed, nullptr);
      return;
    }
    channel->worker.Post([self, channel, task] {
      ErrorInfo failure;
      virConnectPtr conn = Connect(self->Settings(), *channel, &failure);
      auto lease = std::make_shared<Lease>(self, channel);
      task(conn, conn != nullptr ? nullptr : &failure, std::move(lease));
    });
  });
}

void SidePool::RunDedicated(LeasedTask task) {
  auto self = shared_from_this();
  ChannelPtr channel;
  bool tookSpare = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_ && spare_) {
      tookSpare = true;
      // Its waiting task ends, and this one runs next on its thread.
      channel = std::move(spare_);
      spare_.reset();
      spareWake_.notify_all();
    } else if (!closed_ && dedicated_ < kMaxDedicated) {
      ++dedicated_;
      channel = std::make_shared<Channel>();
    }
  }
  if (!channel) {
    ErrorInfo refused;
    refused.code = VIR_ERR_OPERATION_FAILED;
    refused.message = closed_ ? "the connection is closed" : "too many consoles are open on this hypervisor (at most " + std::to_string(kMaxDedicated) + ")";
    task(nullptr, &refused, nullptr);
    return;
  }
  // The next console opens warm too (the new spare is given up after kSpareIdle unused).
  if (tookSpare) WarmDedicated();
  channel->worker.Post([self, channel, task] {
    ErrorInfo failure;
    // A spare may have died while it waited (keepalive): open afresh rather than fail.
    if (channel->conn != nullptr && virConnectIsAlive(channel->conn) != 1) {
      virResetLastError();
      virConnectClose(channel->conn);
      virResetLastError();
      channel->conn = nullptr;
    }
    channel->broken.store(false);
    virConnectPtr conn = Connect(self->Settings(), *channel, &failure);
    auto lease = std::make_shared<Lease>(self, channel, true);
    task(conn, conn != nullptr ? nullptr : &failure, std::move(lease));
  });
}

void SidePool::WarmDedicated() {
  auto self = shared_from_this();
  ChannelPtr channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || spare_ || dedicated_ >= kMaxDedicated || settings_.uri.rfind("test:", 0) == 0) return;
    ++dedicated_;
    channel = std::make_shared<Channel>();
    spare_ = channel;
  }
  channel->worker.Post([self, channel] {
    ErrorInfo failure;
    virConnectPtr conn = Connect(self->Settings(), *channel, &failure);
    std::unique_lock<std::mutex> lock(self->mutex_);
    if (conn != nullptr) {
      self->spareWake_.wait_for(lock, kSpareIdle, [&] { return self->spare_ != channel || self->closed_; });
    }
    if (self->spare_ != channel) return;  // taken: the console's task runs next on this thread
    // Unused (or it could not be opened): give it up.
    self->spare_.reset();
    --self->dedicated_;
    lock.unlock();
    if (channel->conn != nullptr) {
      virConnectClose(channel->conn);
      virResetLastError();
      channel->conn = nullptr;
    }
  });
}

void SidePool::Warm(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    Run([](virConnectPtr, const ErrorInfo*) {});
  }
}

void SidePool::Acquire(const std::shared_ptr<SidePool>& self, std::function<void(ChannelPtr)> use) {
  ChannelPtr channel;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (!self->closed_) {
      if (!self->idle_.empty()) {
        channel = self->idle_.back();
        self->idle_.pop_back();
      } else if (self->open_ < self->maxOpen_) {
        ++self->open_;
        channel = std::make_shared<Channel>();
      } else {
        self->waiting_.push_back(std::move(use));
        return;
      }
    }
  }
  use(channel);
}

void SidePool::Release(ChannelPtr channel) {
  std::function<void(ChannelPtr)> next;
  ChannelPtr toClose;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (channel->broken.load()) {
      --open_;
      toClose = channel;
      channel.reset();
      // A waiting task gets a fresh connection in its place.
      if (!closed_ && !waiting_.empty() && open_ < maxOpen_) {
        ++open_;
        channel = std::make_shared<Channel>();
      }
    }
    if (channel) {
      if (!closed_ && !waiting_.empty()) {
        next = std::move(waiting_.front());
        waiting_.pop_front();
      } else if (closed_ || idle_.size() >= kKeepIdle) {
        --open_;
        toClose = channel;
        channel.reset();
      } else {
        idle_.push_back(channel);
        channel.reset();
      }
    }
  }
  if (toClose) CloseChannel(toClose);
  if (next) next(channel);
}

void SidePool::Close() {
  std::vector<ChannelPtr> idle;
  std::deque<std::function<void(ChannelPtr)>> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    spareWake_.notify_all();
    idle.swap(idle_);
    open_ -= idle.size();
    waiting.swap(waiting_);
  }
  for (const ChannelPtr& channel : idle) CloseChannel(channel);
  for (auto& use : waiting) use(nullptr);
}

bool SidePool::Enabled() {
  std::lock_guard<std::mutex> lock(mutex_);
  return settings_.uri.rfind("test:", 0) != 0;
}

OpenSettings SidePool::Settings() {
  std::lock_guard<std::mutex> lock(mutex_);
  return settings_;
}

void SidePool::CloseChannel(const ChannelPtr& channel) {
  channel->broken.store(true);
  channel->worker.Post([channel] {
    if (channel->conn != nullptr) {
      virConnectClose(channel->conn);
      virResetLastError();
      channel->conn = nullptr;
    }
  });
}

SidePool::Lease::Lease(std::shared_ptr<SidePool> pool, ChannelPtr channel, bool dedicated)
    : pool_(std::move(pool)), channel_(std::move(channel)), dedicated_(dedicated) {}

void SidePool::Lease::Post(std::function<void()> task) { channel_->worker.Post(std::move(task)); }

SidePool::Lease::~Lease() {
  // Released from its own thread: the last stream call may still be finishing there.
  ChannelPtr channel = channel_;
  std::shared_ptr<SidePool> pool = pool_;
  if (dedicated_) {
    channel->worker.Post([pool, channel] {
      if (channel->conn != nullptr) {
        virConnectClose(channel->conn);
        virResetLastError();
        channel->conn = nullptr;
      }
      std::lock_guard<std::mutex> lock(pool->mutex_);
      --pool->dedicated_;
    });
    return;
  }
  channel->worker.Post([pool, channel] {
    CheckAlive(*channel);
    pool->Release(channel);
  });
}

}  // namespace vmango
