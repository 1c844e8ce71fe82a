// Domain enumeration, lookup and definition. listAllDomains returns every domain
// with its XML in one native call: one list RPC, one bulk state RPC, one XML RPC each, one
// after another (calls from several threads over one connection are unsafe, see side_pool.h).
#include <libvirt/libvirt.h>
#include <napi.h>

#include <cstring>
#include <future>
#include <map>
#include <vector>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "identity.h"
#include "register.h"

namespace vmango {
namespace {

// Lists this long have half their XML asked over a side connection.
constexpr int kSplitListingAt = 64;

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

// XML of the domains named by `uuids`, asked over a side connection (its own handles come
// from one list call there). Entries it could not read stay nullptr.
std::vector<char*> XmlsOnSide(virConnectPtr conn, const std::vector<std::string>& uuids, uint32_t flags,
                              uint32_t xmlFlags) {
  std::vector<char*> xmls(uuids.size(), nullptr);
  virDomainPtr* domains = nullptr;
  int count = virConnectListAllDomains(conn, &domains, flags);
  if (count < 0) {
    virResetLastError();
    return xmls;
  }
  std::map<std::string, virDomainPtr> byUuid;
  for (int i = 0; i < count; ++i) byUuid[DomainUuid(domains[i])] = domains[i];
  for (size_t i = 0; i < uuids.size(); ++i) {
    auto found = byUuid.find(uuids[i]);
    if (found == byUuid.end()) continue;
    xmls[i] = virDomainGetXMLDesc(found->second, xmlFlags);
    if (xmls[i] == nullptr) virResetLastError();
  }
  for (int i = 0; i < count; ++i) virDomainFree(domains[i]);
  free(domains);
  return xmls;
}

Napi::Value ListAllDomains(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgUint(info, kFirstArg, "flags");
  bool withXml = info[kFirstArg + 1].ToBoolean();
  uint32_t xmlFlags = ArgUint(info, kFirstArg + 2, "xmlFlags");
  ConnStatePtr state = ConnectionFromJs(info[0]);
  std::weak_ptr<SidePool> side = state->side;
  return Enqueue(info, [flags, withXml, xmlFlags, side](virConnectPtr conn) -> Value {
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
    // The second half of a long list's XML is asked over a side connection meanwhile: each
    // connection answers one call at a time, two halve the wait.
    int split = count;
    std::future<std::vector<char*>> sideXmls;
    SidePoolPtr pool = side.lock();
    if (withXml && count >= kSplitListingAt && pool && pool->Enabled()) {
      split = count / 2;
      std::vector<std::string> uuids;
      for (int i = split; i < count; ++i) uuids.push_back(DomainUuid(domains[i]));
      auto promise = std::make_shared<std::promise<std::vector<char*>>>();
      sideXmls = promise->get_future();
      // Only a free side connection: never wait here behind a clone.
      bool started = pool->TryRun([promise, uuids, flags, xmlFlags](virConnectPtr sideConn, const ErrorInfo*) {
        promise->set_value(sideConn != nullptr ? XmlsOnSide(sideConn, uuids, flags, xmlFlags)
                                               : std::vector<char*>(uuids.size(), nullptr));
      });
      if (!started) split = count;
    }
    for (int i = 0; i < count; ++i) {
      if (i == split) {
        std::vector<char*> fromSide = sideXmls.get();
        for (int j = split; j < count; ++j) xmls[j] = fromSide[j - split];
      }
      if (i >= split && withXml && xmls[i] == nullptr) {
        // Not read over the side connection (gone there, or no side connection): ask here.
        xmls[i] = virDomainGetXMLDesc(domains[i], xmlFlags);
        if (xmls[i] == nullptr) virResetLastError();
      }
      if (!present[i]) {
        // Undefined between listing and asking: report it as gone rather than fail the list.
        present[i] = virDomainGetState(domains[i], &found[i].state, &found[i].reason, 0) == 0 ? 1 : 2;
        if (present[i] == 2) {
          virResetLastError();
          continue;
        }
      }
      if (withXml && i < split) {
        xmls[i] = virDomainGetXMLDesc(domains[i], xmlFlags);
        if (xmls[i] == nullptr) virResetLastError();
      }
    }
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) {
      Value entry = DomainValue(domains[i]);  // takes the list's reference
      if (present[i] == 2 || (withXml && xmls[i] == nullptr)) {
        free(xmls[i]);
        continue;
      }
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
