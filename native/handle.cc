#include "handle.h"

#include <string>

#include "reaper.h"

namespace vmango {
namespace {

const napi_type_tag kHandleTag = {0x766d616e676f6c76ULL, 0x68616e646c653031ULL};

void ReleaseObject(HandleKind kind, void* ptr) {
  switch (kind) {
    case HandleKind::Domain: virDomainFree(static_cast<virDomainPtr>(ptr)); break;
    case HandleKind::StoragePool: virStoragePoolFree(static_cast<virStoragePoolPtr>(ptr)); break;
    case HandleKind::StorageVolume: virStorageVolFree(static_cast<virStorageVolPtr>(ptr)); break;
    case HandleKind::Network: virNetworkFree(static_cast<virNetworkPtr>(ptr)); break;
    case HandleKind::Snapshot: virDomainSnapshotFree(static_cast<virDomainSnapshotPtr>(ptr)); break;
    case HandleKind::Stream: {
      auto* stream = static_cast<virStreamPtr>(ptr);
      // An unfinished transfer is aborted so the server side releases it too;
      // on an already finished stream this fails harmlessly.
      virStreamAbort(stream);
      virStreamFree(stream);
      break;
    }
  }
}

}  // namespace

const char* HandleKindName(HandleKind kind) {
  switch (kind) {
    case HandleKind::Domain: return "domain";
    case HandleKind::StoragePool: return "storage pool";
    case HandleKind::StorageVolume: return "storage volume";
    case HandleKind::Network: return "network";
    case HandleKind::Snapshot: return "domain snapshot";
    case HandleKind::Stream: return "stream";
  }
  return "unknown";
}

Handle::Handle(HandleKind kind, void* ptr) : kind_(kind), ptr_(ptr) {
  if (kind == HandleKind::Stream) {
    receiver_ = std::make_unique<Worker>();
    sender_ = std::make_unique<Worker>();
  }
}

Handle::~Handle() {
  HandleKind kind = kind_;
  void* ptr = ptr_;
  // The owner (a stream's side connection) goes back to its pool only after the object is freed.
  ReaperPost([kind, ptr, owner = std::move(owner_)] { ReleaseObject(kind, ptr); });
}

Napi::Value HandleToJs(Napi::Env env, const HandlePtr& handle) {
  auto external = Napi::External<HandlePtr>::New(env, new HandlePtr(handle),
                                                 [](Napi::Env, HandlePtr* held) { delete held; });
  napi_status status = napi_type_tag_object(env, external, &kHandleTag);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return external;
}

HandlePtr HandleFromJs(const Napi::Value& value, HandleKind expected, const char* what) {
  Napi::Env env = value.Env();
  std::string problem = std::string(what) + " must be a " + HandleKindName(expected) + " handle";
  if (!value.IsExternal()) throw Napi::TypeError::New(env, problem);
  bool tagged = false;
  napi_status status = napi_check_object_type_tag(env, value, &kHandleTag, &tagged);
  if (status != napi_ok || !tagged) throw Napi::TypeError::New(env, problem);
  HandlePtr handle = *value.As<Napi::External<HandlePtr>>().Data();
  if (handle->kind() != expected) {
    throw Napi::TypeError::New(env, problem + ", got a " + HandleKindName(handle->kind()) + " handle");
  }
  return handle;
}

}  // namespace vmango
