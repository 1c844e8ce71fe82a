// Queues a libvirt job and returns a Promise for its result. Native functions take
// (connection, jobId, ...args); jobId lets JS abandon the job when its deadline passes.
#pragma once

#include <napi.h>

#include <functional>

#include "connection.h"
#include "value.h"

namespace vmango {

// `conn` is the connection the job runs on: the main one, or a side connection (Lane::Side),
// where the job looks up the objects it was given first (rebind.h). Jobs that run elsewhere
// (stream transfers) get nullptr and work through the handles they captured.
using JobFn = std::function<Value(virConnectPtr conn)>;
using LeasedJobFn = std::function<Value(virConnectPtr conn, std::shared_ptr<SidePool::Lease> lease)>;

enum class Lane {
  Connection,  // the connection's own worker thread, in order
  // A side connection (side_pool.h): long or waiting calls (start, clone, bulk statistics) must
  // not hold up the rest. Never returns handles: JS may only hold handles of the main connection.
  Side,
  // A guest agent connection (ConnState::agent): calls that wait until the guest answers.
  Agent,
};

constexpr size_t kFirstArg = 2;

Napi::Value Enqueue(const Napi::CallbackInfo& info, JobFn fn, Lane lane = Lane::Connection);
// `side` on a side connection, then `main` on the connection's thread, whose result is the
// job's (for long calls that create objects: `main` looks the new object up by identity).
Napi::Value EnqueueSideThenMain(const Napi::CallbackInfo& info, JobFn side, JobFn main);
// On a side connection kept out of the pool until `lease` is dropped (a stream keeps it).
Napi::Value EnqueueLeased(const Napi::CallbackInfo& info, LeasedJobFn fn);
// On a new side connection of its own, closed when `lease` is dropped (a console's).
Napi::Value EnqueueDedicated(const Napi::CallbackInfo& info, LeasedJobFn fn);
// For stream transfers, which run on the stream's own threads.
Napi::Value EnqueueOn(const Napi::CallbackInfo& info, Worker& worker, JobFn fn);
// A job run on `state`'s worker even after close() was requested (close itself).
Napi::Value EnqueueClosing(const Napi::CallbackInfo& info, JobFn fn);

// Fails with a clear error unless the connection is open (called inside jobs).
virConnectPtr RequireOpen(virConnectPtr conn);

}  // namespace vmango
