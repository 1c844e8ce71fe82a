// Queues a libvirt job and returns a Promise for its result. Native functions take
// (connection, jobId, ...args); jobId lets JS abandon the job when its deadline passes.
#pragma once

#include <napi.h>

#include <functional>

#include "connection.h"
#include "value.h"

namespace vmango {

// `conn` is the open connection for jobs on the connection's thread, and nullptr on
// other lanes: those jobs work through the handles they captured.
using JobFn = std::function<Value(virConnectPtr conn)>;

enum class Lane {
  Connection,  // the connection's own worker thread, in order
  OwnThread,   // a thread of its own: long calls (clone, resize) must not hold up the rest
  // Takes a reference to the connection on its thread, then runs on a thread of its own:
  // connection-wide calls that wait for busy domains (bulk lists) must not hold up the rest.
  OwnThreadWithConnection,
};

constexpr size_t kFirstArg = 2;

Napi::Value Enqueue(const Napi::CallbackInfo& info, JobFn fn, Lane lane = Lane::Connection);
// For stream transfers, which run on the stream's own threads.
Napi::Value EnqueueOn(const Napi::CallbackInfo& info, Worker& worker, JobFn fn);
// A job run on `state`'s worker even after close() was requested (close itself).
Napi::Value EnqueueClosing(const Napi::CallbackInfo& info, JobFn fn);

// Fails with a clear error unless the connection is open (called inside jobs).
virConnectPtr RequireOpen(virConnectPtr conn);

}  // namespace vmango
