// The same libvirt object, looked up on another connection to the same hypervisor (a side
// connection, see side_pool.h): by UUID for domains, networks and pools, by key for volumes.
// Reading the identity is client-side; the lookup is one RPC on `conn`.
#pragma once

#include <libvirt/libvirt.h>

#include <memory>

namespace vmango {

template <typename T, int (*Free)(T)>
struct LibvirtFree {
  void operator()(T ptr) const {
    if (ptr != nullptr) Free(ptr);
  }
};

using DomainRef = std::unique_ptr<virDomain, LibvirtFree<virDomainPtr, virDomainFree>>;
using NetworkRef = std::unique_ptr<virNetwork, LibvirtFree<virNetworkPtr, virNetworkFree>>;
using PoolRef = std::unique_ptr<virStoragePool, LibvirtFree<virStoragePoolPtr, virStoragePoolFree>>;
using VolumeRef = std::unique_ptr<virStorageVol, LibvirtFree<virStorageVolPtr, virStorageVolFree>>;
using SnapshotRef = std::unique_ptr<virDomainSnapshot, LibvirtFree<virDomainSnapshotPtr, virDomainSnapshotFree>>;

// Each returns a new reference (the object itself when it already belongs to `conn`) and
// throws LibvirtFailure when the object is not found on `conn`.
DomainRef DomainOn(virConnectPtr conn, virDomainPtr domain);
NetworkRef NetworkOn(virConnectPtr conn, virNetworkPtr network);
PoolRef PoolOn(virConnectPtr conn, virStoragePoolPtr pool);
VolumeRef VolumeOn(virConnectPtr conn, virStorageVolPtr volume);
SnapshotRef SnapshotOn(virConnectPtr conn, virDomainSnapshotPtr snapshot);

}  // namespace vmango
