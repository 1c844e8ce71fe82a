// Domain descriptions: XML, info, state with reason, and <metadata> elements.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "register.h"

namespace vmango {
namespace {

HandlePtr DomainArg(const Napi::CallbackInfo& info) {
  return HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
}

Napi::Value GetXmlDesc(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [domain, flags](virConnectPtr) -> Value {
    char* xml = virDomainGetXMLDesc(domain->domain(), flags);
    if (xml == nullptr) ThrowLastError("virDomainGetXMLDesc");
    return Value::OwnedString(xml);
  });
}

Napi::Value GetInfo(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  return Enqueue(info, [domain](virConnectPtr) -> Value {
    virDomainInfo di;
    if (virDomainGetInfo(domain->domain(), &di) < 0) ThrowLastError("virDomainGetInfo");
    Value v = Value::Object();
    v.Set("state", Value::Number(di.state));
    v.Set("maxMemKiB", Value::Number(static_cast<double>(di.maxMem)));
    v.Set("memoryKiB", Value::Number(static_cast<double>(di.memory)));
    v.Set("nrVirtCpu", Value::Number(di.nrVirtCpu));
    v.Set("cpuTimeNs", Value::Number(static_cast<double>(di.cpuTime)));
    return v;
  });
}

Napi::Value GetState(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  return Enqueue(info, [domain](virConnectPtr) -> Value {
    int state = 0;
    int reason = 0;
    if (virDomainGetState(domain->domain(), &state, &reason, 0) < 0) ThrowLastError("virDomainGetState");
    Value v = Value::Object();
    v.Set("state", Value::Number(state));
    v.Set("reason", Value::Number(reason));
    return v;
  });
}

Napi::Value IsActive(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  return Enqueue(info, [domain](virConnectPtr) -> Value {
    int active = virDomainIsActive(domain->domain());
    if (active < 0) ThrowLastError("virDomainIsActive");
    return Value::Bool(active == 1);
  });
}

// (domain, type, metadata|null, key|null, uri|null, flags)
Napi::Value SetMetadata(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  int type = static_cast<int>(ArgInt(info, kFirstArg + 1, "type"));
  auto metadata = ArgOptionalString(info, kFirstArg + 2, "metadata");
  auto key = ArgOptionalString(info, kFirstArg + 3, "key");
  auto uri = ArgOptionalString(info, kFirstArg + 4, "uri");
  uint32_t flags = ArgUint(info, kFirstArg + 5, "flags");
  return Enqueue(info, [domain, type, metadata, key, uri, flags](virConnectPtr) -> Value {
    if (virDomainSetMetadata(domain->domain(), type, metadata ? metadata->c_str() : nullptr,
                             key ? key->c_str() : nullptr, uri ? uri->c_str() : nullptr, flags) < 0) {
      ThrowLastError("virDomainSetMetadata");
    }
    return Value::Undefined();
  });
}

// (domain, type, uri|null, flags)
Napi::Value GetMetadata(const Napi::CallbackInfo& info) {
  HandlePtr domain = DomainArg(info);
  int type = static_cast<int>(ArgInt(info, kFirstArg + 1, "type"));
  auto uri = ArgOptionalString(info, kFirstArg + 2, "uri");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  return Enqueue(info, [domain, type, uri, flags](virConnectPtr) -> Value {
    char* metadata = virDomainGetMetadata(domain->domain(), type, uri ? uri->c_str() : nullptr, flags);
    if (metadata == nullptr) ThrowLastError("virDomainGetMetadata");
    return Value::OwnedString(metadata);
  });
}

}  // namespace

void RegisterDomainInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("domainGetXmlDesc", Napi::Function::New(env, GetXmlDesc));
  exports.Set("domainGetInfo", Napi::Function::New(env, GetInfo));
  exports.Set("domainGetState", Napi::Function::New(env, GetState));
  exports.Set("domainIsActive", Napi::Function::New(env, IsActive));
  exports.Set("domainSetMetadata", Napi::Function::New(env, SetMetadata));
  exports.Set("domainGetMetadata", Napi::Function::New(env, GetMetadata));
}

}  // namespace vmango
