// Domain enumeration, lookup and definition. listAllDomains returns every domain
// with its XML in one native call: one list RPC, one bulk state RPC, one XML RPC each, one
// after another (calls from several threads over one connection are unsafe, see side_pool.h).
#include <libvirt/libvirt.h>
#include <napi.h>

#include <cstring>
#include <map>
#include <vector>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "identity.h"
#include "register.h"

namespace vmango {
namespace {

struct StateAndReason {
  int state = 0;
  int reason = 0;
};

std::map<std::string, StateAndReason> BulkStates(virDomainPtr* domains) {
  std::map<std::string, StateAndReason> states;
  virDomainStatsRecordPtr* records = nullptr;
  if (virDomainListGetStats(domains, VIR_DOMAIN_STATS_STATE, &records, 0) < 0) {
    virResetLastError();  // the per-domain fallback below covers drivers without bulk stats
    return states;
  }
  for (virDomainStatsRecordPtr* record = records; *record != nullptr; ++record) {
    StateAndReason entry;
    for (int i = 0; i < (*record)->nparams; ++i) {
      const virTypedParameter& param = (*record)->params[i];
      if (std::strcmp(param.field, "state.state") == 0) entry.state = param.value.i;
      if (std::strcmp(param.field, "state.reason") == 0) entry.reason = param.value.i;
    }
    states[DomainUuid((*record)->dom)] = entry;
  }
  virDomainStatsRecordListFree(records);
  return states;
}

Napi::Value ListAllDomains(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgUint(info, kFirstArg, "flags");
  bool withXml = info[kFirstArg + 1].ToBoolean();
  uint32_t xmlFlags = ArgUint(info, kFirstArg + 2, "xmlFlags");
  return Enqueue(info, [flags, withXml, xmlFlags](virConnectPtr conn) -> Value {
    virDomainPtr* domains = nullptr;
    int count = virConnectListAllDomains(RequireOpen(conn), &domains, flags);
    if (count < 0) ThrowLastError("virConnectListAllDomains");
    std::map<std::string, StateAndReason> states;
    if (count > 0) states = BulkStates(domains);
    // One state and XML call per domain (state only where the bulk stats lacked it).
    std::vector<StateAndReason> found(count);
    std::vector<char> present(count, 1);
    std::vector<char*> xmls(count, nullptr);
    for (int i = 0; i < count; ++i) {
      auto known = states.find(DomainUuid(domains[i]));
      if (known != states.end()) found[i] = known->second;
      else present[i] = 0;
    }
    for (int i = 0; i < count; ++i) {
      if (!present[i]) {
        // Undefined between listing and asking: report it as gone rather than fail the list.
        present[i] = virDomainGetState(domains[i], &found[i].state, &found[i].reason, 0) == 0 ? 1 : 2;
        if (present[i] == 2) {
          virResetLastError();
          continue;
        }
      }
      if (withXml) {
        xmls[i] = virDomainGetXMLDesc(domains[i], xmlFlags);
        if (xmls[i] == nullptr) virResetLastError();
      }
    }
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) {
      Value entry = DomainValue(domains[i]);  // takes the list's reference
      if (present[i] == 2 || (withXml && xmls[i] == nullptr)) continue;
      entry.Set("state", Value::Number(found[i].state));
      entry.Set("reason", Value::Number(found[i].reason));
      if (withXml) entry.Set("xml", Value::OwnedString(xmls[i]));
      list.Push(std::move(entry));
    }
    free(domains);
    return list;
  });
}

Napi::Value LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, kFirstArg, "name");
  return Enqueue(info, [name](virConnectPtr conn) -> Value {
    virDomainPtr domain = virDomainLookupByName(RequireOpen(conn), name.c_str());
    if (domain == nullptr) ThrowLastError("virDomainLookupByName");
    return DomainValue(domain);
  });
}

Napi::Value LookupByUuid(const Napi::CallbackInfo& info) {
  std::string uuid = ArgString(info, kFirstArg, "uuid");
  return Enqueue(info, [uuid](virConnectPtr conn) -> Value {
    virDomainPtr domain = virDomainLookupByUUIDString(RequireOpen(conn), uuid.c_str());
    if (domain == nullptr) ThrowLastError("virDomainLookupByUUIDString");
    return DomainValue(domain);
  });
}

Napi::Value DefineXml(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, kFirstArg, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [xml, flags](virConnectPtr conn) -> Value {
    virDomainPtr domain = virDomainDefineXMLFlags(RequireOpen(conn), xml.c_str(), flags);
    if (domain == nullptr) ThrowLastError("virDomainDefineXMLFlags");
    return DomainValue(domain);
  });
}

Napi::Value CreateXml(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, kFirstArg, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [xml, flags](virConnectPtr conn) -> Value {
    virDomainPtr domain = virDomainCreateXML(RequireOpen(conn), xml.c_str(), flags);
    if (domain == nullptr) ThrowLastError("virDomainCreateXML");
    return DomainValue(domain);
  });
}

}  // namespace

void RegisterDomainList(Napi::Env env, Napi::Object exports) {
  exports.Set("listAllDomains", Napi::Function::New(env, ListAllDomains));
  exports.Set("domainLookupByName", Napi::Function::New(env, LookupByName));
  exports.Set("domainLookupByUuid", Napi::Function::New(env, LookupByUuid));
  exports.Set("domainDefineXml", Napi::Function::New(env, DefineXml));
  exports.Set("domainCreateXml", Napi::Function::New(env, CreateXml));
}

}  // namespace vmango
