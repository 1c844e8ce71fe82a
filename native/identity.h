// JS-facing identity objects for libvirt handles: the handle plus the names that
// libvirt keeps client-side (no RPC needed to read them).
#pragma once

#include <libvirt/libvirt.h>

#include "value.h"

namespace vmango {

// Each takes ownership of the libvirt reference it is given.
Value DomainValue(virDomainPtr domain);
Value PoolValue(virStoragePoolPtr pool);
Value VolumeValue(virStorageVolPtr volume);
Value NetworkValue(virNetworkPtr network);
Value SnapshotValue(virDomainSnapshotPtr snapshot);

std::string DomainUuid(virDomainPtr domain);

}  // namespace vmango
