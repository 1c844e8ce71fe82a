// A reference-counted libvirt object (domain, pool, volume, network, snapshot,
// stream) handed to JS as a type-tagged External. Jobs hold their own reference,
// so a job finishing after JS dropped the handle never touches freed memory.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>

#include "worker.h"

namespace vmango {

enum class HandleKind { Domain, StoragePool, StorageVolume, Network, Snapshot, Stream };

const char* HandleKindName(HandleKind kind);

class Handle {
 public:
  Handle(HandleKind kind, void* ptr);
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  HandleKind kind() const { return kind_; }
  virDomainPtr domain() const { return static_cast<virDomainPtr>(ptr_); }
  virStoragePoolPtr pool() const { return static_cast<virStoragePoolPtr>(ptr_); }
  virStorageVolPtr volume() const { return static_cast<virStorageVolPtr>(ptr_); }
  virNetworkPtr network() const { return static_cast<virNetworkPtr>(ptr_); }
  virDomainSnapshotPtr snapshot() const { return static_cast<virDomainSnapshotPtr>(ptr_); }
  virStreamPtr stream() const { return static_cast<virStreamPtr>(ptr_); }

  // Streams only: receiving blocks (a console waits for output), so it has its own
  // thread and never delays sends, finish or abort.
  Worker& receiver() { return *receiver_; }
  Worker& sender() { return *sender_; }
  // Kept until the handle is gone, after the object is freed, or until replaced (a stream's
  // side connection, given back once the stream is finished or aborted). Its jobs' thread only.
  void KeepWhileOpen(std::shared_ptr<void> owner) { owner_ = std::move(owner); }

 private:
  HandleKind kind_;
  void* ptr_;
  std::unique_ptr<Worker> receiver_;
  std::unique_ptr<Worker> sender_;
  std::shared_ptr<void> owner_;
};

using HandlePtr = std::shared_ptr<Handle>;

Napi::Value HandleToJs(Napi::Env env, const HandlePtr& handle);
// Throws a TypeError naming `what` and the expected kind when `value` is not one.
HandlePtr HandleFromJs(const Napi::Value& value, HandleKind expected, const char* what);

}  // namespace vmango
