#include "connection.h"

#include <libvirt/virterror.h>

#include "domain_events.h"
#include "enqueue.h"
#include "error_info.h"
#include "args.h"

namespace vmango {
namespace {

struct AddonData {
  Napi::FunctionReference connectionConstructor;
};

struct Notice {
  std::string type;
  Value payload = Value::Undefined();
};

const char* CloseReasonName(int reason) {
  switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "eof";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive";
    case VIR_CONNECT_CLOSE_REASON_CLIENT: return "client";
    default: return "unknown";
  }
}

void OnConnectionClosed(virConnectPtr, int reason, void* opaque) {
  ConnStatePtr state = static_cast<std::weak_ptr<ConnState>*>(opaque)->lock();
  if (!state) return;
  {
    std::lock_guard<std::mutex> lock(state->lostMutex);
    state->lostReason = CloseReasonName(reason);
  }
  state->lost.store(true);
  Value payload = Value::Object();
  payload.Set("reason", Value::String(CloseReasonName(reason)));
  Notify(state, "closed", std::move(payload));
}

void FreeWeakState(void* opaque) { delete static_cast<std::weak_ptr<ConnState>*>(opaque); }

Napi::Value Open(const Napi::CallbackInfo& info) {
  ConnStatePtr state = ConnectionFromJs(info[0]);
  std::string uri = ArgString(info, kFirstArg, "uri");
  int keepaliveInterval = static_cast<int>(ArgInt(info, kFirstArg + 1, "keepaliveInterval"));
  unsigned int keepaliveCount = ArgUint(info, kFirstArg + 2, "keepaliveCount");
  OpenSettings settings{uri, keepaliveInterval, keepaliveCount};
  // The side connections open alongside the main one (their own ssh sessions, in parallel),
  // so the first start or bulk listing does not pay for a handshake.
  state->side->Configure(settings);
  state->agent->Configure(settings);
  if (state->side->Enabled()) state->side->Warm(1);
  std::weak_ptr<ConnState> weak = state;
  return Enqueue(info, [weak, settings](virConnectPtr existing) -> Value {
    ConnStatePtr state = weak.lock();
    if (!state) ThrowOwnError(kCodeConnectionClosed, "connection was released");
    if (existing != nullptr) ThrowOwnError(-1, "connection is already open");
    virConnectPtr conn = OpenLibvirt(settings);
    state->conn = conn;
    auto* opaque = new std::weak_ptr<ConnState>(state);
    if (virConnectRegisterCloseCallback(conn, OnConnectionClosed, opaque, FreeWeakState) < 0) {
      delete opaque;
      CaptureLastError("virConnectRegisterCloseCallback");
    } else {
      state->closeCallbackRegistered = true;
    }
    return Value::Undefined();
  });
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  ConnStatePtr state = ConnectionFromJs(info[0]);
  state->closeRequested = true;
  state->side->Close();
  state->agent->Close();
  std::weak_ptr<ConnState> weak = state;
  return EnqueueClosing(info, [weak](virConnectPtr conn) -> Value {
    ConnStatePtr state = weak.lock();
    if (!state || conn == nullptr) return Value::Undefined();
    DeregisterDomainEvents(*state);
    if (state->closeCallbackRegistered) {
      virConnectUnregisterCloseCallback(conn, OnConnectionClosed);
      state->closeCallbackRegistered = false;
    }
    virConnectClose(conn);
    virResetLastError();
    state->conn = nullptr;
    state->closed.store(true);
    return Value::Undefined();
  });
}

}  // namespace

void Notify(const ConnStatePtr& state, std::string type, Value payload) {
  auto* notice = new Notice{std::move(type), std::move(payload)};
  bool posted = state->notify->Call(notice, [](Napi::Env env, Napi::Function callback, Notice* n) {
    std::unique_ptr<Notice> owned(n);
    if (env == nullptr || callback.IsEmpty()) return;
    CallListener(env, callback, {Napi::String::New(env, n->type), n->payload.ToJs(env)});
  });
  if (!posted) delete notice;
}

Napi::Function NativeConnection::Define(Napi::Env env) {
  return DefineClass(env, "NativeConnection",
                     {InstanceMethod("abandon", &NativeConnection::Abandon),
                      InstanceMethod("pendingCount", &NativeConnection::PendingCount),
                      InstanceMethod("warmConsole", &NativeConnection::WarmConsole)});
}

NativeConnection::NativeConnection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeConnection>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "NativeConnection needs a notify callback (type, payload) => void");
  }
  state_ = std::make_shared<ConnState>();
  Napi::Function noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  state_->done = JsChannel::Create(env, noop, "vmango-libvirt-done");
  state_->notify = JsChannel::Create(env, info[0].As<Napi::Function>(), "vmango-libvirt-notify");
}

NativeConnection::~NativeConnection() {
  state_->late.clear();
  if (!state_->pending.empty()) {
    state_->pending.clear();
    state_->done->Unref(Env());
  }
  if (!state_->closeRequested) {
    // A connection dropped without close(): close it on its own thread.
    state_->closeRequested = true;
    std::weak_ptr<ConnState> weak = state_;
    ConnStatePtr keep = state_;
    state_->side->Close();
    state_->agent->Close();
    state_->worker.Post([keep] {
      if (keep->conn == nullptr) return;
      DeregisterDomainEvents(*keep);
      if (keep->closeCallbackRegistered) virConnectUnregisterCloseCallback(keep->conn, OnConnectionClosed);
      virConnectClose(keep->conn);
      keep->conn = nullptr;
      keep->closed.store(true);
    });
  }
}

Napi::Value NativeConnection::Abandon(const Napi::CallbackInfo& info) {
  uint32_t id = ArgUint(info, 0, "job id");
  bool keepLate = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  auto it = state_->pending.find(id);
  if (it == state_->pending.end()) return Napi::Boolean::New(info.Env(), false);
  if (keepLate) state_->late.emplace(id, it->second);
  state_->pending.erase(it);
  if (state_->pending.empty()) state_->done->Unref(info.Env());
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value NativeConnection::WarmConsole(const Napi::CallbackInfo& info) {
  if (!state_->closeRequested) state_->side->WarmDedicated();
  return info.Env().Undefined();
}

Napi::Value NativeConnection::PendingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(state_->pending.size()));
}

ConnStatePtr ConnectionFromJs(const Napi::Value& value) {
  Napi::Env env = value.Env();
  auto* data = env.GetInstanceData<AddonData>();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(data->connectionConstructor.Value())) {
    throw Napi::TypeError::New(env, "first argument must be a NativeConnection");
  }
  return NativeConnection::Unwrap(value.As<Napi::Object>())->state();
}

void RegisterConnection(Napi::Env env, Napi::Object exports) {
  Napi::Function constructor = NativeConnection::Define(env);
  auto* data = new AddonData();
  data->connectionConstructor = Napi::Persistent(constructor);
  env.SetInstanceData<AddonData>(data);
  exports.Set("NativeConnection", constructor);
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("close", Napi::Function::New(env, Close));
}

}  // namespace vmango
