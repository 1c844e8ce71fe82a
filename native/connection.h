// Shared state of one libvirt connection and its JS wrapper (NativeConnection).
// Every libvirt call of the connection runs on its own Worker thread; results come
// back to JS through the `done` ThreadSafeFunction, which is referenced only while
// at least one call is pending, so an idle connection never keeps Node alive.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel.h"
#include "side_pool.h"
#include "value.h"
#include "worker.h"

namespace vmango {

struct ConnState {
  // Touched only on `worker`.
  virConnectPtr conn = nullptr;
  std::vector<int> domainEventIds;
  bool closeCallbackRegistered = false;

  // Set by the close callback on the event-loop thread.
  std::atomic<bool> lost{false};
  std::mutex lostMutex;
  std::string lostReason;

  std::atomic<bool> closed{false};
  Worker worker;
  // Further connections for Lane::Side jobs; each is used by one thread at a time, as is `conn`.
  SidePoolPtr side = std::make_shared<SidePool>();
  // Connections for guest agent calls (Lane::Agent), which wait on the guest: apart from `side`,
  // so guests that do not answer never hold up starts, clones or bulk listings.
  static constexpr size_t kAgentConnections = 3;
  SidePoolPtr agent = std::make_shared<SidePool>(kAgentConnections);
  JsChannelPtr done;    // job completions, ref'd while calls are pending
  JsChannelPtr notify;  // events, close notices, never keeps Node alive

  // Touched only on the JS thread.
  std::unordered_map<uint32_t, Napi::Promise::Deferred> pending;
  // Jobs JS stopped waiting for (deadline) but wants the late result of, to undo what they did.
  // Not ref'd: a late result never keeps Node alive.
  std::unordered_map<uint32_t, Napi::Promise::Deferred> late;
  bool closeRequested = false;
};

using ConnStatePtr = std::shared_ptr<ConnState>;

// Posts a notice ("domainEvent", "closed") to the JS notify callback; any thread.
void Notify(const ConnStatePtr& state, std::string type, Value payload);

class NativeConnection : public Napi::ObjectWrap<NativeConnection> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NativeConnection(const Napi::CallbackInfo& info);
  ~NativeConnection() override;

  const ConnStatePtr& state() const { return state_; }

 private:
  Napi::Value Abandon(const Napi::CallbackInfo& info);
  Napi::Value WarmConsole(const Napi::CallbackInfo& info);
  Napi::Value PendingCount(const Napi::CallbackInfo& info);

  ConnStatePtr state_;
};

// Throws a TypeError unless `value` is a NativeConnection.
ConnStatePtr ConnectionFromJs(const Napi::Value& value);

void RegisterConnection(Napi::Env env, Napi::Object exports);

}  // namespace vmango
