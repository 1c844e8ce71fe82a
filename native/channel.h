// A ThreadSafeFunction that knows whether Node has already torn it down. At process
// exit Node finalizes thread-safe functions on its own; touching one afterwards
// (a late job completion, a release from a destructor) would be a use-after-free.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

namespace vmango {

class JsChannel {
 public:
  static std::shared_ptr<JsChannel> Create(Napi::Env env, Napi::Function callback, const char* name);
  ~JsChannel();

  // Any thread. Returns false (the caller keeps ownership of data) once torn down.
  template <typename Data, typename Callback>
  bool Call(Data* data, Callback callback) {
    std::lock_guard<std::mutex> lock(mutex_);
    return alive_ && tsfn_.NonBlockingCall(data, callback) == napi_ok;
  }

  // JS thread only.
  void Ref(Napi::Env env);
  void Unref(Napi::Env env);

 private:
  JsChannel() = default;
  // data and context are the same pointer; the overload with both is the unambiguous one.
  static void Finalized(Napi::Env env, std::weak_ptr<JsChannel>* self, std::weak_ptr<JsChannel>* context);

  std::mutex mutex_;
  bool alive_ = true;
  Napi::ThreadSafeFunction tsfn_;
};

using JsChannelPtr = std::shared_ptr<JsChannel>;

// Calls a JS listener from a thread-safe function's callback. A listener that throws is an
// uncaught exception as for any other Node callback (process 'uncaughtException'), not a C++
// exception escaping into Node's task runner, which would terminate the process without a trace.
inline void CallListener(Napi::Env env, const Napi::Function& callback, std::initializer_list<napi_value> args) {
  try {
    callback.Call(args);
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

}  // namespace vmango
