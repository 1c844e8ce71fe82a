// Domain event registration (lifecycle, reboot, device-removed, metadata-change).
// libvirt invokes the callbacks on the event-loop thread; they post to JS through
// the connection's unref'd notify ThreadSafeFunction.
#pragma once

#include <napi.h>

#include "connection.h"

namespace vmango {

// Worker thread only.
void DeregisterDomainEvents(ConnState& state);

void RegisterDomainEvents(Napi::Env env, Napi::Object exports);

}  // namespace vmango
