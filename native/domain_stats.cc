// Bulk domain statistics (virConnectGetAllDomainStats) as flat typed-parameter maps;
// the TypeScript layer groups them into plain objects.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "identity.h"
#include "register.h"
#include "typed_params.h"

namespace vmango {
namespace {

Value RecordsToValue(virDomainStatsRecordPtr* records) {
  Value list = Value::Array();
  for (virDomainStatsRecordPtr* record = records; *record != nullptr; ++record) {
    Value entry = Value::Object();
    const char* name = virDomainGetName((*record)->dom);
    entry.Set("name", Value::String(name != nullptr ? name : ""));
    entry.Set("uuid", Value::String(DomainUuid((*record)->dom)));
    entry.Set("params", TypedParamsToValue((*record)->params, (*record)->nparams));
    list.Push(std::move(entry));
  }
  virDomainStatsRecordListFree(records);
  return list;
}

Napi::Value GetAllDomainStats(const Napi::CallbackInfo& info) {
  uint32_t stats = ArgUint(info, kFirstArg, "stats");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [stats, flags](virConnectPtr conn) -> Value {
    virDomainStatsRecordPtr* records = nullptr;
    if (virConnectGetAllDomainStats(RequireOpen(conn), stats, &records, flags) < 0) {
      ThrowLastError("virConnectGetAllDomainStats");
    }
    return RecordsToValue(records);
  }, Lane::Side);
}

Napi::Value DomainGetStats(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t stats = ArgUint(info, kFirstArg + 1, "stats");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  return Enqueue(info, [domain, stats, flags](virConnectPtr) -> Value {
    virDomainPtr domains[2] = {domain->domain(), nullptr};
    virDomainStatsRecordPtr* records = nullptr;
    if (virDomainListGetStats(domains, stats, &records, flags) < 0) ThrowLastError("virDomainListGetStats");
    return RecordsToValue(records);
  });
}

}  // namespace

void RegisterDomainStats(Napi::Env env, Napi::Object exports) {
  exports.Set("getAllDomainStats", Napi::Function::New(env, GetAllDomainStats));
  exports.Set("domainGetStats", Napi::Function::New(env, DomainGetStats));
}

}  // namespace vmango
