#include "identity.h"

namespace vmango {

std::string DomainUuid(virDomainPtr domain) {
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  virDomainGetUUIDString(domain, uuid);
  return uuid;
}

Value DomainValue(virDomainPtr domain) {
  Value v = Value::Object();
  const char* name = virDomainGetName(domain);
  v.Set("name", Value::String(name != nullptr ? name : ""));
  v.Set("uuid", Value::String(DomainUuid(domain)));
  v.Set("id", Value::Number(static_cast<int>(virDomainGetID(domain))));
  v.Set("handle", Value::FromHandle(std::make_shared<Handle>(HandleKind::Domain, domain)));
  return v;
}

Value PoolValue(virStoragePoolPtr pool) {
  Value v = Value::Object();
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  virStoragePoolGetUUIDString(pool, uuid);
  const char* name = virStoragePoolGetName(pool);
  v.Set("name", Value::String(name != nullptr ? name : ""));
  v.Set("uuid", Value::String(uuid));
  v.Set("handle", Value::FromHandle(std::make_shared<Handle>(HandleKind::StoragePool, pool)));
  return v;
}

Value VolumeValue(virStorageVolPtr volume) {
  Value v = Value::Object();
  const char* name = virStorageVolGetName(volume);
  const char* key = virStorageVolGetKey(volume);
  v.Set("name", Value::String(name != nullptr ? name : ""));
  v.Set("key", Value::String(key != nullptr ? key : ""));
  v.Set("handle", Value::FromHandle(std::make_shared<Handle>(HandleKind::StorageVolume, volume)));
  return v;
}

Value NetworkValue(virNetworkPtr network) {
  Value v = Value::Object();
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  virNetworkGetUUIDString(network, uuid);
  const char* name = virNetworkGetName(network);
  v.Set("name", Value::String(name != nullptr ? name : ""));
  v.Set("uuid", Value::String(uuid));
  v.Set("handle", Value::FromHandle(std::make_shared<Handle>(HandleKind::Network, network)));
  return v;
}

Value SnapshotValue(virDomainSnapshotPtr snapshot) {
  Value v = Value::Object();
  const char* name = virDomainSnapshotGetName(snapshot);
  v.Set("name", Value::String(name != nullptr ? name : ""));
  v.Set("handle", Value::FromHandle(std::make_shared<Handle>(HandleKind::Snapshot, snapshot)));
  return v;
}

}  // namespace vmango
