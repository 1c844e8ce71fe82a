// Device hot-plug and resource changes: attach/detach/update device, vCPUs, memory, disk size.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "register.h"

namespace vmango {
namespace {

using DeviceAction = int (*)(virDomainPtr, const char*, unsigned int);

template <DeviceAction action>
Napi::Value RunDevice(const Napi::CallbackInfo& info, const char* name) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string xml = ArgString(info, kFirstArg + 1, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  return Enqueue(info, [domain, xml, flags, name](virConnectPtr) -> Value {
    if (action(domain->domain(), xml.c_str(), flags) < 0) ThrowLastError(name);
    return Value::Undefined();
  });
}

Napi::Value Attach(const Napi::CallbackInfo& info) { return RunDevice<virDomainAttachDeviceFlags>(info, "virDomainAttachDeviceFlags"); }
Napi::Value Detach(const Napi::CallbackInfo& info) { return RunDevice<virDomainDetachDeviceFlags>(info, "virDomainDetachDeviceFlags"); }
Napi::Value Update(const Napi::CallbackInfo& info) { return RunDevice<virDomainUpdateDeviceFlags>(info, "virDomainUpdateDeviceFlags"); }

Napi::Value SetVcpus(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t count = ArgUint(info, kFirstArg + 1, "count");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  return Enqueue(info, [domain, count, flags](virConnectPtr) -> Value {
    if (virDomainSetVcpusFlags(domain->domain(), count, flags) < 0) ThrowLastError("virDomainSetVcpusFlags");
    return Value::Undefined();
  });
}

Napi::Value SetMemory(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint64_t kib = ArgUint64(info, kFirstArg + 1, "memoryKiB");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  return Enqueue(info, [domain, kib, flags](virConnectPtr) -> Value {
    if (virDomainSetMemoryFlags(domain->domain(), kib, flags) < 0) ThrowLastError("virDomainSetMemoryFlags");
    return Value::Undefined();
  });
}

// Grows a running domain's disk (QEMU resizes the image under it); `bytes` is the new size.
Napi::Value BlockResize(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string disk = ArgString(info, kFirstArg + 1, "disk");
  uint64_t bytes = ArgUint64(info, kFirstArg + 2, "bytes");
  return Enqueue(info, [domain, disk, bytes](virConnectPtr) -> Value {
    if (virDomainBlockResize(domain->domain(), disk.c_str(), bytes, VIR_DOMAIN_BLOCK_RESIZE_BYTES) < 0) {
      ThrowLastError("virDomainBlockResize");
    }
    return Value::Undefined();
  });
}

}  // namespace

void RegisterDomainDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("domainAttachDevice", Napi::Function::New(env, Attach));
  exports.Set("domainDetachDevice", Napi::Function::New(env, Detach));
  exports.Set("domainUpdateDevice", Napi::Function::New(env, Update));
  exports.Set("domainSetVcpus", Napi::Function::New(env, SetVcpus));
  exports.Set("domainSetMemory", Napi::Function::New(env, SetMemory));
  exports.Set("domainBlockResize", Napi::Function::New(env, BlockResize));
}

}  // namespace vmango
