// Storage pools: bulk listing with XML, lookup, XML, info, refresh.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "identity.h"
#include "list_all.h"
#include "register.h"

namespace vmango {
namespace {

HandlePtr PoolArg(const Napi::CallbackInfo& info) {
  return HandleFromJs(info[kFirstArg], HandleKind::StoragePool, "pool");
}

Napi::Value ListAll(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgUint(info, kFirstArg, "flags");
  return Enqueue(info, [flags](virConnectPtr conn) -> Value {
    return ListWithStateAndXml<virStoragePoolPtr>(RequireOpen(conn), flags, "virConnectListAllStoragePools",
                                                  virConnectListAllStoragePools, virStoragePoolIsActive,
                                                  virStoragePoolGetXMLDesc, PoolValue);
  });
}

Napi::Value LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, kFirstArg, "name");
  return Enqueue(info, [name](virConnectPtr conn) -> Value {
    virStoragePoolPtr pool = virStoragePoolLookupByName(RequireOpen(conn), name.c_str());
    if (pool == nullptr) ThrowLastError("virStoragePoolLookupByName");
    return PoolValue(pool);
  });
}

Napi::Value GetXmlDesc(const Napi::CallbackInfo& info) {
  HandlePtr pool = PoolArg(info);
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [pool, flags](virConnectPtr) -> Value {
    char* xml = virStoragePoolGetXMLDesc(pool->pool(), flags);
    if (xml == nullptr) ThrowLastError("virStoragePoolGetXMLDesc");
    return Value::OwnedString(xml);
  });
}

Napi::Value GetInfo(const Napi::CallbackInfo& info) {
  HandlePtr pool = PoolArg(info);
  return Enqueue(info, [pool](virConnectPtr) -> Value {
    virStoragePoolInfo pi;
    if (virStoragePoolGetInfo(pool->pool(), &pi) < 0) ThrowLastError("virStoragePoolGetInfo");
    Value v = Value::Object();
    v.Set("state", Value::Number(pi.state));
    v.Set("capacity", Value::Number(static_cast<double>(pi.capacity)));
    v.Set("allocation", Value::Number(static_cast<double>(pi.allocation)));
    v.Set("available", Value::Number(static_cast<double>(pi.available)));
    return v;
  });
}

Napi::Value IsActive(const Napi::CallbackInfo& info) {
  HandlePtr pool = PoolArg(info);
  return Enqueue(info, [pool](virConnectPtr) -> Value {
    int active = virStoragePoolIsActive(pool->pool());
    if (active < 0) ThrowLastError("virStoragePoolIsActive");
    return Value::Bool(active == 1);
  });
}

Napi::Value Refresh(const Napi::CallbackInfo& info) {
  HandlePtr pool = PoolArg(info);
  return Enqueue(info, [pool](virConnectPtr) -> Value {
    if (virStoragePoolRefresh(pool->pool(), 0) < 0) ThrowLastError("virStoragePoolRefresh");
    return Value::Undefined();
  });
}

}  // namespace

void RegisterStoragePool(Napi::Env env, Napi::Object exports) {
  exports.Set("listAllStoragePools", Napi::Function::New(env, ListAll));
  exports.Set("poolLookupByName", Napi::Function::New(env, LookupByName));
  exports.Set("poolGetXmlDesc", Napi::Function::New(env, GetXmlDesc));
  exports.Set("poolGetInfo", Napi::Function::New(env, GetInfo));
  exports.Set("poolIsActive", Napi::Function::New(env, IsActive));
  exports.Set("poolRefresh", Napi::Function::New(env, Refresh));
}

}  // namespace vmango
