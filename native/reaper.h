// Frees libvirt objects on a dedicated thread. Dropping the last reference of a
// virDomainPtr can drop the last reference of its virConnectPtr, which closes the
// remote connection (an RPC): that must never happen on the JS thread.
#pragma once

#include <functional>

namespace vmango {

void ReaperPost(std::function<void()> release);

}  // namespace vmango
