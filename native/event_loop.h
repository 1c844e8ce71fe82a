// libvirt's default event loop, registered once per process before any connection
// is opened and run forever on its own thread (keepalive, close callbacks, events).
#pragma once

namespace vmango {

void EnsureEventLoop();

}  // namespace vmango
