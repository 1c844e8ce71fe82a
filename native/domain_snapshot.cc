// Domain snapshots: create, list, lookup, revert, delete, XML.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "identity.h"
#include "rebind.h"
#include "register.h"

namespace vmango {
namespace {

Napi::Value Create(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string xml = ArgString(info, kFirstArg + 1, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  auto created = std::make_shared<std::string>();
  return EnqueueSideThenMain(info, [domain, xml, flags, created](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SnapshotRef snapshot(virDomainSnapshotCreateXML(target.get(), xml.c_str(), flags));
    if (!snapshot) ThrowLastError("virDomainSnapshotCreateXML");
    *created = virDomainSnapshotGetName(snapshot.get());
    return Value::Undefined();
  }, [domain, created](virConnectPtr) -> Value {
    virDomainSnapshotPtr snapshot = virDomainSnapshotLookupByName(domain->domain(), created->c_str(), 0);
    if (snapshot == nullptr) ThrowLastError("virDomainSnapshotLookupByName");
    return SnapshotValue(snapshot);
  });
}

Napi::Value List(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [domain, flags](virConnectPtr) -> Value {
    virDomainSnapshotPtr* snapshots = nullptr;
    int count = virDomainListAllSnapshots(domain->domain(), &snapshots, flags);
    if (count < 0) ThrowLastError("virDomainListAllSnapshots");
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) list.Push(SnapshotValue(snapshots[i]));
    free(snapshots);
    return list;
  });
}

Napi::Value Lookup(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string name = ArgString(info, kFirstArg + 1, "name");
  return Enqueue(info, [domain, name](virConnectPtr) -> Value {
    virDomainSnapshotPtr snapshot = virDomainSnapshotLookupByName(domain->domain(), name.c_str(), 0);
    if (snapshot == nullptr) ThrowLastError("virDomainSnapshotLookupByName");
    return SnapshotValue(snapshot);
  });
}

Napi::Value Revert(const Napi::CallbackInfo& info) {
  HandlePtr snapshot = HandleFromJs(info[kFirstArg], HandleKind::Snapshot, "snapshot");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [snapshot, flags](virConnectPtr conn) -> Value {
    SnapshotRef target = SnapshotOn(conn, snapshot->snapshot());
    if (virDomainRevertToSnapshot(target.get(), flags) < 0) ThrowLastError("virDomainRevertToSnapshot");
    return Value::Undefined();
  }, Lane::Side);
}

Napi::Value Delete(const Napi::CallbackInfo& info) {
  HandlePtr snapshot = HandleFromJs(info[kFirstArg], HandleKind::Snapshot, "snapshot");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [snapshot, flags](virConnectPtr) -> Value {
    if (virDomainSnapshotDelete(snapshot->snapshot(), flags) < 0) ThrowLastError("virDomainSnapshotDelete");
    return Value::Undefined();
  });
}

Napi::Value GetXmlDesc(const Napi::CallbackInfo& info) {
  HandlePtr snapshot = HandleFromJs(info[kFirstArg], HandleKind::Snapshot, "snapshot");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [snapshot, flags](virConnectPtr) -> Value {
    char* xml = virDomainSnapshotGetXMLDesc(snapshot->snapshot(), flags);
    if (xml == nullptr) ThrowLastError("virDomainSnapshotGetXMLDesc");
    return Value::OwnedString(xml);
  });
}

}  // namespace

void RegisterDomainSnapshot(Napi::Env env, Napi::Object exports) {
  exports.Set("snapshotCreate", Napi::Function::New(env, Create));
  exports.Set("snapshotList", Napi::Function::New(env, List));
  exports.Set("snapshotLookup", Napi::Function::New(env, Lookup));
  exports.Set("snapshotRevert", Napi::Function::New(env, Revert));
  exports.Set("snapshotDelete", Napi::Function::New(env, Delete));
  exports.Set("snapshotGetXmlDesc", Napi::Function::New(env, GetXmlDesc));
}

}  // namespace vmango
