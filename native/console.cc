// Domain consoles (serial): a non-blocking virStream on a side connection of the console's own
// (opened for it, closed with it), driven by one loop that runs on that connection's own thread. Every
// libvirt call on the connection and the stream — open, receive, send, finish, abort, free —
// happens on that one thread (libvirt before 10.3 corrupts memory when two threads call over
// one connection at once, CVE-2024-4418); JS only queues bytes and flags under a mutex.
//
// Flow control both ways: the loop stops receiving while more than kMaxUnacked bytes wait for
// JS to take them (consoleConsumed), and JS sees how many bytes wait to be sent (consoleWrite's
// answer) and holds off past its own bound; a 'drained' event says the queue emptied.
//
// The loop sleeps until there is something to do: bytes to send, JS taking bytes, a close, or the
// stream becoming readable. libvirt tells the last from its event loop thread (a stream event
// callback, registered and updated by the loop's own thread); the callback only sets a flag and
// wakes the loop — it calls nothing in libvirt. A keystroke's echo is picked up when it arrives,
// not at the next poll.
#include <libvirt/libvirt.h>
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "args.h"
#include "channel.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "register.h"
#include "side_pool.h"

namespace vmango {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kMaxUnacked = 1024 * 1024;
constexpr auto kBusyWait = std::chrono::milliseconds(1);
// Without stream events (a driver that has none) the loop polls at this interval.
constexpr auto kPollWait = std::chrono::milliseconds(20);
// With stream events, a safety net only.
constexpr auto kEventWait = std::chrono::milliseconds(250);
constexpr int kReadableEvents = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
constexpr int kFailureEvents = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

struct ConsoleEvent {
  explicit ConsoleEvent(std::string eventType) : type(std::move(eventType)) {}
  std::string type;  // "data", "drained", "closed"
  std::vector<uint8_t> bytes;
  std::string reason;
  ErrorInfo error;
  bool failed = false;
};

class ConsoleSession;
using ConsolePtr = std::shared_ptr<ConsoleSession>;

class ConsoleSession {
 public:
  explicit ConsoleSession(JsChannelPtr events) : events_(std::move(events)) {}

  // JS thread: bytes to send; returns the bytes waiting to be sent after queueing them.
  size_t Write(std::vector<uint8_t> bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stop_ && !bytes.empty()) {
      queuedBytes_ += bytes.size();
      outgoing_.push_back(std::move(bytes));
    }
    wake_.notify_one();
    return queuedBytes_;
  }

  // JS thread: JS took `bytes` of what was delivered.
  void Consumed(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    unacked_ = bytes > unacked_ ? 0 : unacked_ - bytes;
    wake_.notify_one();
  }

  // JS thread: end the console (it aborts the stream and gives its connection back).
  void Close(std::string reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stop_) {
      stop_ = true;
      stopReason_ = std::move(reason);
    }
    wake_.notify_one();
  }

  // libvirt's event loop thread: the stream has something to read (or failed). Only wakes the loop.
  static void OnStreamEvent(virStreamPtr, int, void* opaque) {
    ConsoleSession& self = **static_cast<ConsolePtr*>(opaque);
    std::lock_guard<std::mutex> lock(self.mutex_);
    self.readable_ = true;
    self.wake_.notify_one();
  }

  // The connection's thread, until the console ends. `stream` is non-blocking.
  static void Pump(const ConsolePtr& self, virStreamPtr stream) { self->Run(self, stream); }

 private:
  void Run(const ConsolePtr& self, virStreamPtr stream) {
    // The callback holds the session until libvirt frees it (which may be after the stream ends).
    bool events = virStreamEventAddCallback(stream, kReadableEvents, OnStreamEvent, new ConsolePtr(self),
                                            [](void* opaque) { delete static_cast<ConsolePtr*>(opaque); }) == 0;
    if (!events) virResetLastError();
    bool watchingReadable = events;
    std::vector<char> buffer(kReadBytes);
    std::vector<uint8_t> sending;
    size_t sendingOffset = 0;
    std::string reason = "closed";
    bool aborted = false;
    ErrorInfo failure;
    bool failed = false;
    for (;;) {
      bool didWork = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) {
          reason = stopReason_;
          aborted = true;
          break;
        }
        if (sendingOffset >= sending.size() && !outgoing_.empty()) {
          sending = std::move(outgoing_.front());
          outgoing_.pop_front();
          sendingOffset = 0;
        }
      }
      if (sendingOffset < sending.size()) {
        int n = virStreamSend(stream, reinterpret_cast<const char*>(sending.data()) + sendingOffset, sending.size() - sendingOffset);
        if (n == -1) {
          failure = CaptureLastError("virStreamSend");
          failed = true;
          reason = "error";
          aborted = true;
          break;
        }
        if (n > 0) {
          sendingOffset += static_cast<size_t>(n);
          didWork = true;
          std::lock_guard<std::mutex> lock(mutex_);
          queuedBytes_ -= std::min(queuedBytes_, static_cast<size_t>(n));
          if (queuedBytes_ == 0) Post(ConsoleEvent("drained"));
        }
      }
      bool mayReceive;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        mayReceive = unacked_ < kMaxUnacked;
        if (mayReceive) readable_ = false;
      }
      // While JS is behind, libvirt must not keep reporting (and its loop keep firing) readable.
      if (events && watchingReadable != mayReceive) {
        if (virStreamEventUpdateCallback(stream, mayReceive ? kReadableEvents : kFailureEvents) < 0) virResetLastError();
        watchingReadable = mayReceive;
      }
      if (mayReceive) {
        int n = virStreamRecv(stream, buffer.data(), buffer.size());
        if (n == 0) {
          reason = "eof";
          break;
        }
        if (n == -1) {
          failure = CaptureLastError("virStreamRecv");
          failed = true;
          reason = "error";
          aborted = true;
          break;
        }
        if (n > 0) {
          didWork = true;
          {
            std::lock_guard<std::mutex> lock(mutex_);
            unacked_ += static_cast<size_t>(n);
          }
          ConsoleEvent event("data");
          event.bytes.assign(buffer.data(), buffer.data() + n);
          Post(std::move(event));
        }
      }
      if (!didWork) {
        std::unique_lock<std::mutex> lock(mutex_);
        bool idle = outgoing_.empty() && sendingOffset >= sending.size();
        wake_.wait_for(lock, !idle ? kBusyWait : events ? kEventWait : kPollWait, [&] {
          return stop_ || (!outgoing_.empty() && sendingOffset >= sending.size()) || (readable_ && unacked_ < kMaxUnacked);
        });
      }
    }
    if (events && virStreamEventRemoveCallback(stream) < 0) virResetLastError();
    if (aborted) {
      if (virStreamAbort(stream) < 0) virResetLastError();
    } else if (virStreamFinish(stream) < 0) {
      virResetLastError();
    }
    virStreamFree(stream);
    ConsoleEvent closed("closed");
    closed.reason = reason;
    closed.failed = failed;
    closed.error = failure;
    Post(std::move(closed));
  }

  void Post(ConsoleEvent event) {
    auto* posted = new ConsoleEvent(std::move(event));
    bool ok = events_->Call(posted, [](Napi::Env env, Napi::Function callback, ConsoleEvent* e) {
      std::unique_ptr<ConsoleEvent> owned(e);
      if (env == nullptr || callback.IsEmpty()) return;
      Napi::Value payload;
      if (e->type == "data") {
        payload = Napi::Buffer<uint8_t>::Copy(env, e->bytes.data(), e->bytes.size());
      } else if (e->type == "closed") {
        Napi::Object info = Napi::Object::New(env);
        info.Set("reason", e->reason);
        if (e->failed) info.Set("error", ErrorToJs(env, e->error).Value());
        payload = info;
      } else {
        payload = env.Undefined();
      }
      CallListener(env, callback, {Napi::String::New(env, e->type), payload});
    });
    if (!ok) delete posted;
  }

  JsChannelPtr events_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::vector<uint8_t>> outgoing_;
  size_t queuedBytes_ = 0;
  size_t unacked_ = 0;
  bool stop_ = false;
  bool readable_ = false;
  std::string stopReason_;
};

ConsolePtr ConsoleArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "console: expected a console handle");
  }
  return *info[index].As<Napi::External<ConsolePtr>>().Data();
}

// (onEvent(type, payload)) -> console handle, not yet open
Napi::Value Create(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "consoleCreate: onEvent must be a function");
  auto session = std::make_shared<ConsoleSession>(JsChannel::Create(info.Env(), info[0].As<Napi::Function>(), "vmango-console"));
  return Napi::External<ConsolePtr>::New(info.Env(), new ConsolePtr(session), [](Napi::Env, ConsolePtr* p) { delete p; });
}

// (conn, jobId, console, domain, devName|null, flags) -> Promise<void>, resolved once the console is open
Napi::Value Open(const Napi::CallbackInfo& info) {
  ConsolePtr session = ConsoleArg(info, kFirstArg);
  HandlePtr domain = HandleFromJs(info[kFirstArg + 1], HandleKind::Domain, "domain");
  auto devName = ArgOptionalString(info, kFirstArg + 2, "devName");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  return EnqueueDedicated(info, [domain, devName, flags, session](virConnectPtr conn, std::shared_ptr<SidePool::Lease> lease) -> Value {
    // In-process drivers (test:///) have no side connections, and the loop must not hold the main one.
    if (!lease) ThrowOwnError(VIR_ERR_NO_SUPPORT, "consoles need a connection to a libvirt daemon (qemu:// or qemu+ssh://)");
    DomainRef target = DomainOn(conn, domain->domain());
    virStreamPtr stream = virStreamNew(conn, VIR_STREAM_NONBLOCK);
    if (stream == nullptr) ThrowLastError("virStreamNew");
    if (virDomainOpenConsole(target.get(), devName ? devName->c_str() : nullptr, stream, flags) < 0) {
      ErrorInfo error = CaptureLastError("virDomainOpenConsole");
      virStreamFree(stream);
      throw LibvirtFailure(error);
    }
    // The loop runs next on this same thread; the lease keeps the connection this console's.
    lease->Post([session, stream, lease] { ConsoleSession::Pump(session, stream); });
    return Value::Undefined();
  });
}

// (handle, bytes) -> bytes waiting to be sent
Napi::Value Write(const Napi::CallbackInfo& info) {
  ConsolePtr session = ConsoleArg(info, 0);
  return Napi::Number::New(info.Env(), static_cast<double>(session->Write(ArgBytes(info, 1, "data"))));
}

// (handle, bytes taken)
Napi::Value Consumed(const Napi::CallbackInfo& info) {
  ConsolePtr session = ConsoleArg(info, 0);
  session->Consumed(ArgUint(info, 1, "bytes"));
  return info.Env().Undefined();
}

// (handle, reason)
Napi::Value Close(const Napi::CallbackInfo& info) {
  ConsolePtr session = ConsoleArg(info, 0);
  auto reason = ArgOptionalString(info, 1, "reason");
  session->Close(reason.value_or("closed"));
  return info.Env().Undefined();
}

}  // namespace

void RegisterConsole(Napi::Env env, Napi::Object exports) {
  exports.Set("consoleCreate", Napi::Function::New(env, Create));
  exports.Set("consoleOpen", Napi::Function::New(env, Open));
  exports.Set("consoleWrite", Napi::Function::New(env, Write));
  exports.Set("consoleConsumed", Napi::Function::New(env, Consumed));
  exports.Set("consoleClose", Napi::Function::New(env, Close));
}

}  // namespace vmango
