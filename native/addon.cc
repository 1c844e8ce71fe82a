// Module entry: starts libvirt's event loop before anything can open a connection,
// then exports the NativeConnection class and the native function groups.
#include <napi.h>

#include "connection.h"
#include "domain_events.h"
#include "event_loop.h"
#include "register.h"

namespace vmango {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    EnsureEventLoop();
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("libvirt initialisation failed: ") + e.what());
  }
  RegisterConnection(env, exports);
  RegisterConnectionInfo(env, exports);
  RegisterDomainList(env, exports);
  RegisterDomainLifecycle(env, exports);
  RegisterDomainInfo(env, exports);
  RegisterDomainDevices(env, exports);
  RegisterDomainNet(env, exports);
  RegisterDomainAgent(env, exports);
  RegisterDomainStats(env, exports);
  RegisterDomainSnapshot(env, exports);
  RegisterDomainEvents(env, exports);
  RegisterStoragePool(env, exports);
  RegisterStorageVolume(env, exports);
  RegisterNetwork(env, exports);
  RegisterStream(env, exports);
  RegisterConsole(env, exports);
  RegisterMemory(env, exports);
  return exports;
}

}  // namespace vmango

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return vmango::Init(env, exports); }

NODE_API_MODULE(vmango_libvirt, InitModule)
