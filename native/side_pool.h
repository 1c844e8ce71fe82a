// Extra connections to the same hypervisor for calls that must not wait behind the
// connection's queue (starts, clones, bulk listings, transfers).
//
// libvirt's remote client before 10.3 leaves a stack pointer behind in the connection's
// event loop whenever two threads call over one connection at once, and a later call then
// writes through it (CVE-2024-4418; Debian 12 ships 9.0). So every virConnectPtr here is
// used by one thread at a time: the main connection by its Worker, each side connection by
// its own. A job on a side connection looks its objects up there first (rebind.h).
#pragma once

#include <libvirt/libvirt.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "error_info.h"
#include "worker.h"

namespace vmango {

struct OpenSettings {
  std::string uri;
  int keepaliveInterval = 0;
  unsigned int keepaliveCount = 0;
};

// Opens a connection, refusing interactive authentication, with libvirt keepalive set
// (drivers without keepalive are fine). Throws LibvirtFailure.
virConnectPtr OpenLibvirt(const OpenSettings& settings);

class SidePool : public std::enable_shared_from_this<SidePool> {
 public:
  // Side connections at once, and kept open while idle.
  static constexpr size_t kMaxOpen = 4;
  static constexpr size_t kKeepIdle = 2;

  explicit SidePool(size_t maxOpen = kMaxOpen) : maxOpen_(maxOpen) {}
  // Connections of their own for long-lived streams (consoles), beside the pool's.
  static constexpr size_t kMaxDedicated = 64;

  struct Channel;
  using ChannelPtr = std::shared_ptr<Channel>;
  // Runs on the channel's thread with its open connection, or with nullptr and the reason
  // when it could not be opened or the pool is closed.
  using Task = std::function<void(virConnectPtr conn, const ErrorInfo* failure)>;

  // Called once, before any Run.
  void Configure(OpenSettings settings);
  // Whether jobs get connections of their own: only where libvirt talks to a daemon. An
  // in-process driver (test:///) has no such client, and a second test:///file connection
  // would be a separate hypervisor; its side jobs run on the main connection's thread.
  bool Enabled();
  // Any thread.
  void Run(Task task);
  // Like Run, but only when a connection is free or may be opened now; false otherwise.
  bool TryRun(Task task);
  // Opens `count` connections ahead of need (in the background).
  void Warm(size_t count);
  // Idle connections close now, busy ones when their task ends; later tasks fail.
  void Close();

  // A channel kept out of the pool until the lease is dropped (a stream's connection).
  class Lease {
   public:
    Lease(std::shared_ptr<SidePool> pool, ChannelPtr channel, bool dedicated = false);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    // Runs `task` on the leased connection's own thread (a console's loop).
    void Post(std::function<void()> task);

   private:
    std::shared_ptr<SidePool> pool_;
    ChannelPtr channel_;
    bool dedicated_;
  };
  // Like Run, but the channel stays taken after the task until the returned lease (handed
  // to the task) is dropped.
  using LeasedTask = std::function<void(virConnectPtr conn, const ErrorInfo* failure, std::shared_ptr<Lease> lease)>;
  void RunLeased(LeasedTask task);
  // Like RunLeased, but on a new connection of its own, outside the pool (and its limit), closed
  // when the lease is dropped: a console holds one for as long as it is open.
  void RunDedicated(LeasedTask task);
  // Opens one dedicated connection ahead of need (in the background), handed to the next
  // RunDedicated; unused, it closes after kSpareIdle. A console opens without waiting for SSH and
  // the libvirt handshake.
  void WarmDedicated();
  static constexpr std::chrono::minutes kSpareIdle{5};

 private:
  // Gives `use` a channel now, or when one is released; nullptr once the pool is closed.
  static void Acquire(const std::shared_ptr<SidePool>& self, std::function<void(ChannelPtr)> use);
  void Start(ChannelPtr channel, Task task);
  void Release(ChannelPtr channel);
  OpenSettings Settings();
  static void CloseChannel(const ChannelPtr& channel);

  const size_t maxOpen_;
  std::mutex mutex_;
  OpenSettings settings_;
  std::vector<ChannelPtr> idle_;
  size_t open_ = 0;  // busy and idle
  size_t dedicated_ = 0;  // leased and spare
  ChannelPtr spare_;
  std::condition_variable spareWake_;
  std::deque<std::function<void(ChannelPtr)>> waiting_;
  bool closed_ = false;
};

using SidePoolPtr = std::shared_ptr<SidePool>;

}  // namespace vmango
