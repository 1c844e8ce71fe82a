#include "enqueue.h"

#include <thread>

#include "error_info.h"

namespace vmango {
namespace {

struct Job {
  ConnStatePtr state;
  uint32_t id = 0;
  JobFn fn;
  bool ignoreLost = false;
  // Only the connection's own thread may read ConnState::conn (it also writes it).
  bool onConnectionThread = true;
  // Lane::OwnThreadWithConnection: the reference taken on the connection's thread.
  virConnectPtr borrowed = nullptr;
  bool ok = false;
  Value result = Value::Undefined();
  ErrorInfo error;
};

void Complete(Napi::Env env, Napi::Function, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // Node is tearing the channel down
  ConnState& state = *job->state;
  auto it = state.pending.find(job->id);
  if (it == state.pending.end()) return;  // abandoned after its deadline: discard
  Napi::Promise::Deferred deferred = it->second;
  state.pending.erase(it);
  if (state.pending.empty()) state.done->Unref(env);
  try {
    if (job->ok) {
      deferred.Resolve(job->result.ToJs(env));
    } else {
      deferred.Reject(ErrorToJs(env, job->error).Value());
    }
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
}

void Execute(Job* job) {
  ConnState& state = *job->state;
  if (!job->ignoreLost && state.lost.load()) {
    std::lock_guard<std::mutex> lock(state.lostMutex);
    job->error.code = kCodeConnectionLost;
    job->error.message = "connection lost: " + state.lostReason;
  } else {
    try {
      job->result = job->fn(job->onConnectionThread ? state.conn : job->borrowed);
      job->ok = true;
    } catch (const LibvirtFailure& failure) {
      job->error = failure.info();
    } catch (const std::exception& e) {
      job->error.code = -1;
      job->error.message = e.what();
    }
  }
  // Keep the state alive past the call: the callback may drop the last reference.
  ConnStatePtr keep = job->state;
  if (!keep->done->Call(job, Complete)) delete job;
}

Job* Prepare(const Napi::CallbackInfo& info, JobFn fn, Napi::Promise::Deferred& deferred, bool closing) {
  Napi::Env env = info.Env();
  ConnStatePtr state = ConnectionFromJs(info[0]);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "job id must be a number");
  uint32_t id = info[1].As<Napi::Number>().Uint32Value();
  if (state->pending.count(id) != 0) throw Napi::Error::New(env, "job id " + std::to_string(id) + " is already pending");
  if (state->closeRequested && !closing) {
    ErrorInfo closed;
    closed.code = kCodeConnectionClosed;
    closed.message = "connection is closed";
    deferred.Reject(ErrorToJs(env, closed).Value());
    return nullptr;
  }
  if (state->pending.empty()) state->done->Ref(env);
  state->pending.emplace(id, deferred);
  auto* job = new Job();
  job->state = std::move(state);
  job->id = id;
  job->fn = std::move(fn);
  job->ignoreLost = closing;
  return job;
}

}  // namespace

Napi::Value Enqueue(const Napi::CallbackInfo& info, JobFn fn, Lane lane) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, std::move(fn), deferred, false);
  if (job != nullptr) {
    if (lane == Lane::OwnThread) {
      job->onConnectionThread = false;
      std::thread([job] { Execute(job); }).detach();
    } else if (lane == Lane::OwnThreadWithConnection) {
      job->onConnectionThread = false;
      job->state->worker.Post([job] {
        virConnectPtr conn = job->state->conn;
        if (conn != nullptr && virConnectRef(conn) == 0) job->borrowed = conn;
        std::thread([job] {
          virConnectPtr borrowed = job->borrowed;  // `job` is gone once Execute has handed it back
          Execute(job);
          if (borrowed != nullptr) virConnectClose(borrowed);  // drops our reference only
        }).detach();
      });
    } else {
      job->state->worker.Post([job] { Execute(job); });
    }
  }
  return deferred.Promise();
}

Napi::Value EnqueueOn(const Napi::CallbackInfo& info, Worker& worker, JobFn fn) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, std::move(fn), deferred, false);
  if (job != nullptr) {
    job->onConnectionThread = false;
    worker.Post([job] { Execute(job); });
  }
  return deferred.Promise();
}

Napi::Value EnqueueClosing(const Napi::CallbackInfo& info, JobFn fn) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, std::move(fn), deferred, true);
  job->state->worker.Post([job] { Execute(job); });
  return deferred.Promise();
}

virConnectPtr RequireOpen(virConnectPtr conn) {
  if (conn == nullptr) ThrowOwnError(kCodeConnectionClosed, "connection is not open");
  return conn;
}

}  // namespace vmango
