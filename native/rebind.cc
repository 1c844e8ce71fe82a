#include "rebind.h"

#include "enqueue.h"
#include "error_info.h"

namespace vmango {

DomainRef DomainOn(virConnectPtr conn, virDomainPtr domain) {
  if (virDomainGetConnect(domain) == conn && virDomainRef(domain) == 0) return DomainRef(domain);
  unsigned char uuid[VIR_UUID_BUFLEN];
  if (virDomainGetUUID(domain, uuid) < 0) ThrowLastError("virDomainGetUUID");
  virDomainPtr found = virDomainLookupByUUID(RequireOpen(conn), uuid);
  if (found == nullptr) ThrowLastError("virDomainLookupByUUID");
  return DomainRef(found);
}

NetworkRef NetworkOn(virConnectPtr conn, virNetworkPtr network) {
  if (virNetworkGetConnect(network) == conn && virNetworkRef(network) == 0) return NetworkRef(network);
  unsigned char uuid[VIR_UUID_BUFLEN];
  if (virNetworkGetUUID(network, uuid) < 0) ThrowLastError("virNetworkGetUUID");
  virNetworkPtr found = virNetworkLookupByUUID(RequireOpen(conn), uuid);
  if (found == nullptr) ThrowLastError("virNetworkLookupByUUID");
  return NetworkRef(found);
}

PoolRef PoolOn(virConnectPtr conn, virStoragePoolPtr pool) {
  if (virStoragePoolGetConnect(pool) == conn && virStoragePoolRef(pool) == 0) return PoolRef(pool);
  unsigned char uuid[VIR_UUID_BUFLEN];
  if (virStoragePoolGetUUID(pool, uuid) < 0) ThrowLastError("virStoragePoolGetUUID");
  virStoragePoolPtr found = virStoragePoolLookupByUUID(RequireOpen(conn), uuid);
  if (found == nullptr) ThrowLastError("virStoragePoolLookupByUUID");
  return PoolRef(found);
}

VolumeRef VolumeOn(virConnectPtr conn, virStorageVolPtr volume) {
  if (virStorageVolGetConnect(volume) == conn && virStorageVolRef(volume) == 0) return VolumeRef(volume);
  const char* key = virStorageVolGetKey(volume);
  if (key == nullptr) ThrowLastError("virStorageVolGetKey");
  virStorageVolPtr found = virStorageVolLookupByKey(RequireOpen(conn), key);
  if (found == nullptr) ThrowLastError("virStorageVolLookupByKey");
  return VolumeRef(found);
}

SnapshotRef SnapshotOn(virConnectPtr conn, virDomainSnapshotPtr snapshot) {
  if (virDomainSnapshotGetConnect(snapshot) == conn && virDomainSnapshotRef(snapshot) == 0) return SnapshotRef(snapshot);
  DomainRef domain = DomainOn(conn, virDomainSnapshotGetDomain(snapshot));
  const char* name = virDomainSnapshotGetName(snapshot);
  if (name == nullptr) ThrowLastError("virDomainSnapshotGetName");
  virDomainSnapshotPtr found = virDomainSnapshotLookupByName(domain.get(), name, 0);
  if (found == nullptr) ThrowLastError("virDomainSnapshotLookupByName");
  return SnapshotRef(found);
}

}  // namespace vmango
