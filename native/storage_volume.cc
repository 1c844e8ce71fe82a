// Storage volumes: bulk listing, lookups, create, clone, delete, XML, info, resize.
#include <libvirt/libvirt.h>
#include <napi.h>

#include <vector>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "identity.h"
#include "register.h"

namespace vmango {
namespace {

HandlePtr VolumeArg(const Napi::CallbackInfo& info) {
  return HandleFromJs(info[kFirstArg], HandleKind::StorageVolume, "volume");
}

void SetInfo(Value& v, const virStorageVolInfo& vi) {
  v.Set("type", Value::Number(vi.type));
  v.Set("capacity", Value::Number(static_cast<double>(vi.capacity)));
  v.Set("allocation", Value::Number(static_cast<double>(vi.allocation)));
}

// Without details: names and keys only (one RPC in all), no path, info or XML (three RPCs each).
Napi::Value ListAllVolumes(const Napi::CallbackInfo& info, bool details) {
  HandlePtr pool = HandleFromJs(info[kFirstArg], HandleKind::StoragePool, "pool");
  return Enqueue(info, [pool, details](virConnectPtr) -> Value {
    virStorageVolPtr* volumes = nullptr;
    int count = virStoragePoolListAllVolumes(pool->pool(), &volumes, 0);
    if (count < 0) ThrowLastError("virStoragePoolListAllVolumes");
    if (!details) {
      Value names = Value::Array();
      for (int i = 0; i < count; ++i) names.Push(VolumeValue(volumes[i]));
      free(volumes);
      return names;
    }
    // Info, path and XML of each volume, one after another: calls from several threads at once
    // over one connection are unsafe in libvirt before 10.3 (side_pool.h).
    std::vector<virStorageVolInfo> infos(count);
    std::vector<char*> paths(count, nullptr);
    std::vector<char*> xmls(count, nullptr);
    for (int i = 0; i < count; ++i) {
      bool ok = virStorageVolGetInfo(volumes[i], &infos[i]) == 0;
      paths[i] = ok ? virStorageVolGetPath(volumes[i]) : nullptr;
      xmls[i] = paths[i] != nullptr ? virStorageVolGetXMLDesc(volumes[i], 0) : nullptr;
      if (xmls[i] == nullptr) virResetLastError();
    }
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) {
      Value entry = VolumeValue(volumes[i]);
      if (xmls[i] == nullptr) {
        free(paths[i]);  // deleted while listing
        continue;
      }
      entry.Set("path", Value::OwnedString(paths[i]));
      SetInfo(entry, infos[i]);
      entry.Set("xml", Value::OwnedString(xmls[i]));
      list.Push(std::move(entry));
    }
    free(volumes);
    return list;
  });
}

Napi::Value ListAll(const Napi::CallbackInfo& info) { return ListAllVolumes(info, true); }

Napi::Value ListNames(const Napi::CallbackInfo& info) { return ListAllVolumes(info, false); }

Napi::Value LookupByName(const Napi::CallbackInfo& info) {
  HandlePtr pool = HandleFromJs(info[kFirstArg], HandleKind::StoragePool, "pool");
  std::string name = ArgString(info, kFirstArg + 1, "name");
  return Enqueue(info, [pool, name](virConnectPtr) -> Value {
    virStorageVolPtr volume = virStorageVolLookupByName(pool->pool(), name.c_str());
    if (volume == nullptr) ThrowLastError("virStorageVolLookupByName");
    return VolumeValue(volume);
  });
}

Napi::Value LookupByPath(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, kFirstArg, "path");
  return Enqueue(info, [path](virConnectPtr conn) -> Value {
    virStorageVolPtr volume = virStorageVolLookupByPath(RequireOpen(conn), path.c_str());
    if (volume == nullptr) ThrowLastError("virStorageVolLookupByPath");
    return VolumeValue(volume);
  });
}

Napi::Value LookupByKey(const Napi::CallbackInfo& info) {
  std::string key = ArgString(info, kFirstArg, "key");
  return Enqueue(info, [key](virConnectPtr conn) -> Value {
    virStorageVolPtr volume = virStorageVolLookupByKey(RequireOpen(conn), key.c_str());
    if (volume == nullptr) ThrowLastError("virStorageVolLookupByKey");
    return VolumeValue(volume);
  });
}

// Creating a volume (a clone can take minutes) runs on a side connection; the new volume is
// then looked up on the main connection, whose handles alone JS may hold.
JobFn LookUpCreated(std::shared_ptr<std::string> key) {
  return [key](virConnectPtr conn) -> Value {
    virStorageVolPtr volume = virStorageVolLookupByKey(RequireOpen(conn), key->c_str());
    if (volume == nullptr) ThrowLastError("virStorageVolLookupByKey");
    return VolumeValue(volume);
  };
}

Napi::Value CreateXml(const Napi::CallbackInfo& info) {
  HandlePtr pool = HandleFromJs(info[kFirstArg], HandleKind::StoragePool, "pool");
  std::string xml = ArgString(info, kFirstArg + 1, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  auto created = std::make_shared<std::string>();
  return EnqueueSideThenMain(info, [pool, xml, flags, created](virConnectPtr conn) -> Value {
    PoolRef target = PoolOn(conn, pool->pool());
    VolumeRef volume(virStorageVolCreateXML(target.get(), xml.c_str(), flags));
    if (!volume) ThrowLastError("virStorageVolCreateXML");
    *created = virStorageVolGetKey(volume.get());
    return Value::Undefined();
  }, LookUpCreated(created));
}

Napi::Value CreateXmlFrom(const Napi::CallbackInfo& info) {
  HandlePtr pool = HandleFromJs(info[kFirstArg], HandleKind::StoragePool, "pool");
  std::string xml = ArgString(info, kFirstArg + 1, "xml");
  HandlePtr source = HandleFromJs(info[kFirstArg + 2], HandleKind::StorageVolume, "source volume");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  auto created = std::make_shared<std::string>();
  return EnqueueSideThenMain(info, [pool, xml, source, flags, created](virConnectPtr conn) -> Value {
    PoolRef target = PoolOn(conn, pool->pool());
    VolumeRef from = VolumeOn(conn, source->volume());
    VolumeRef volume(virStorageVolCreateXMLFrom(target.get(), xml.c_str(), from.get(), flags));
    if (!volume) ThrowLastError("virStorageVolCreateXMLFrom");
    *created = virStorageVolGetKey(volume.get());
    return Value::Undefined();
  }, LookUpCreated(created));
}

Napi::Value Delete(const Napi::CallbackInfo& info) {
  HandlePtr volume = VolumeArg(info);
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [volume, flags](virConnectPtr) -> Value {
    if (virStorageVolDelete(volume->volume(), flags) < 0) ThrowLastError("virStorageVolDelete");
    return Value::Undefined();
  });
}

Napi::Value GetXmlDesc(const Napi::CallbackInfo& info) {
  HandlePtr volume = VolumeArg(info);
  return Enqueue(info, [volume](virConnectPtr) -> Value {
    char* xml = virStorageVolGetXMLDesc(volume->volume(), 0);
    if (xml == nullptr) ThrowLastError("virStorageVolGetXMLDesc");
    return Value::OwnedString(xml);
  });
}

Napi::Value GetInfo(const Napi::CallbackInfo& info) {
  HandlePtr volume = VolumeArg(info);
  return Enqueue(info, [volume](virConnectPtr) -> Value {
    virStorageVolInfo vi;
    if (virStorageVolGetInfo(volume->volume(), &vi) < 0) ThrowLastError("virStorageVolGetInfo");
    Value v = Value::Object();
    SetInfo(v, vi);
    return v;
  });
}

Napi::Value GetPath(const Napi::CallbackInfo& info) {
  HandlePtr volume = VolumeArg(info);
  return Enqueue(info, [volume](virConnectPtr) -> Value {
    char* path = virStorageVolGetPath(volume->volume());
    if (path == nullptr) ThrowLastError("virStorageVolGetPath");
    return Value::OwnedString(path);
  });
}

Napi::Value Resize(const Napi::CallbackInfo& info) {
  HandlePtr volume = VolumeArg(info);
  uint64_t capacity = ArgUint64(info, kFirstArg + 1, "capacity");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  return Enqueue(info, [volume, capacity, flags](virConnectPtr conn) -> Value {
    VolumeRef target = VolumeOn(conn, volume->volume());
    if (virStorageVolResize(target.get(), capacity, flags) < 0) ThrowLastError("virStorageVolResize");
    return Value::Undefined();
  }, Lane::Side);
}

}  // namespace

void RegisterStorageVolume(Napi::Env env, Napi::Object exports) {
  exports.Set("listAllVolumes", Napi::Function::New(env, ListAll));
  exports.Set("listVolumeNames", Napi::Function::New(env, ListNames));
  exports.Set("volLookupByName", Napi::Function::New(env, LookupByName));
  exports.Set("volLookupByPath", Napi::Function::New(env, LookupByPath));
  exports.Set("volLookupByKey", Napi::Function::New(env, LookupByKey));
  exports.Set("volCreateXml", Napi::Function::New(env, CreateXml));
  exports.Set("volCreateXmlFrom", Napi::Function::New(env, CreateXmlFrom));
  exports.Set("volDelete", Napi::Function::New(env, Delete));
  exports.Set("volGetXmlDesc", Napi::Function::New(env, GetXmlDesc));
  exports.Set("volGetInfo", Napi::Function::New(env, GetInfo));
  exports.Set("volGetPath", Napi::Function::New(env, GetPath));
  exports.Set("volResize", Napi::Function::New(env, Resize));
}

}  // namespace vmango
