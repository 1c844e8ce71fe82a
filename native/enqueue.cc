#include "enqueue.h"

#include "error_info.h"

#include <optional>

namespace vmango {
namespace {

struct Job {
  ConnStatePtr state;
  uint32_t id = 0;
  JobFn fn;
  // Lane::Side jobs that create objects: run on the connection's thread after `fn`.
  JobFn then;
  bool ignoreLost = false;
  // Only the connection's own thread may read ConnState::conn (it also writes it).
  bool onConnectionThread = true;
  // Side lanes: the side connection, and why there is none when it could not be opened.
  virConnectPtr side = nullptr;
  bool sideFailed = false;
  ErrorInfo sideFailure;
  bool ok = false;
  Value result = Value::Undefined();
  ErrorInfo error;
};

void Complete(Napi::Env env, Napi::Function, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // Node is tearing the channel down
  ConnState& state = *job->state;
  std::optional<Napi::Promise::Deferred> found;
  auto it = state.pending.find(job->id);
  if (it != state.pending.end()) {
    found = it->second;
    state.pending.erase(it);
    if (state.pending.empty()) state.done->Unref(env);
  } else {
    auto late = state.late.find(job->id);
    if (late == state.late.end()) return;  // abandoned after its deadline: discard
    found = late->second;
    state.late.erase(late);
  }
  Napi::Promise::Deferred deferred = *found;
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

void Hand(Job* job) {
  // Keep the state alive past the call: the callback may drop the last reference.
  ConnStatePtr keep = job->state;
  if (!keep->done->Call(job, Complete)) delete job;
}

void Call(Job* job, const JobFn& fn, virConnectPtr conn) {
  ConnState& state = *job->state;
  job->ok = false;
  if (!job->ignoreLost && state.lost.load()) {
    std::lock_guard<std::mutex> lock(state.lostMutex);
    job->error.code = kCodeConnectionLost;
    job->error.message = "connection lost: " + state.lostReason;
    return;
  }
  try {
    job->result = fn(conn);
    job->ok = true;
  } catch (const LibvirtFailure& failure) {
    job->error = failure.info();
  } catch (const std::exception& e) {
    job->error.code = -1;
    job->error.message = e.what();
  }
}

void Execute(Job* job) {
  if (job->sideFailed) {
    job->error = job->sideFailure;
    Hand(job);
    return;
  }
  Call(job, job->fn, job->onConnectionThread ? job->state->conn : job->side);
  if (job->ok && job->then) {
    job->state->worker.Post([job] {
      Call(job, job->then, job->state->conn);
      Hand(job);
    });
    return;
  }
  Hand(job);
}

void RunOnSide(Job* job, const SidePoolPtr& pool) {
  if (!pool->Enabled()) {
    job->state->worker.Post([job] { Execute(job); });
    return;
  }
  job->onConnectionThread = false;
  pool->Run([job](virConnectPtr conn, const ErrorInfo* failure) {
    job->side = conn;
    if (failure != nullptr) {
      job->sideFailed = true;
      job->sideFailure = *failure;
    }
    Execute(job);
  });
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
    if (lane == Lane::Side) {
      RunOnSide(job, job->state->side);
    } else if (lane == Lane::Agent) {
      RunOnSide(job, job->state->agent);
    } else {
      job->state->worker.Post([job] { Execute(job); });
    }
  }
  return deferred.Promise();
}

Napi::Value EnqueueSideThenMain(const Napi::CallbackInfo& info, JobFn side, JobFn main) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, std::move(side), deferred, false);
  if (job != nullptr) {
    job->then = std::move(main);
    RunOnSide(job, job->state->side);
  }
  return deferred.Promise();
}

Napi::Value EnqueueLeased(const Napi::CallbackInfo& info, LeasedJobFn fn) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, nullptr, deferred, false);
  if (job != nullptr && !job->state->side->Enabled()) {
    job->fn = [fn](virConnectPtr c) { return fn(c, nullptr); };
    job->state->worker.Post([job] { Execute(job); });
  } else if (job != nullptr) {
    job->onConnectionThread = false;
    job->state->side->RunLeased([job, fn](virConnectPtr conn, const ErrorInfo* failure,
                                          std::shared_ptr<SidePool::Lease> lease) {
      job->side = conn;
      if (failure != nullptr) {
        job->sideFailed = true;
        job->sideFailure = *failure;
      }
      job->fn = [fn, lease](virConnectPtr c) { return fn(c, lease); };
      Execute(job);
    });
  }
  return deferred.Promise();
}

Napi::Value EnqueueDedicated(const Napi::CallbackInfo& info, LeasedJobFn fn) {
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  Job* job = Prepare(info, nullptr, deferred, false);
  if (job != nullptr && !job->state->side->Enabled()) {
    job->fn = [fn](virConnectPtr c) { return fn(c, nullptr); };
    job->state->worker.Post([job] { Execute(job); });
  } else if (job != nullptr) {
    job->onConnectionThread = false;
    job->state->side->RunDedicated([job, fn](virConnectPtr conn, const ErrorInfo* failure, std::shared_ptr<SidePool::Lease> lease) {
      job->side = conn;
      if (failure != nullptr) {
        job->sideFailed = true;
        job->sideFailure = *failure;
      }
      job->fn = [fn, lease](virConnectPtr c) { return fn(c, lease); };
      Execute(job);
    });
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
