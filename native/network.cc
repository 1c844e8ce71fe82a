// Virtual networks: bulk listing, lookup, XML, active state, live/config updates
// (DHCP host entries), DHCP leases.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "identity.h"
#include "list_all.h"
#include "register.h"

namespace vmango {
namespace {

HandlePtr NetworkArg(const Napi::CallbackInfo& info) {
  return HandleFromJs(info[kFirstArg], HandleKind::Network, "network");
}

Napi::Value ListAll(const Napi::CallbackInfo& info) {
  uint32_t flags = ArgUint(info, kFirstArg, "flags");
  return Enqueue(info, [flags](virConnectPtr conn) -> Value {
    return ListWithStateAndXml<virNetworkPtr>(RequireOpen(conn), flags, "virConnectListAllNetworks", virConnectListAllNetworks,
                                              virNetworkIsActive, virNetworkGetXMLDesc, NetworkValue);
  });
}

Napi::Value LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, kFirstArg, "name");
  return Enqueue(info, [name](virConnectPtr conn) -> Value {
    virNetworkPtr network = virNetworkLookupByName(RequireOpen(conn), name.c_str());
    if (network == nullptr) ThrowLastError("virNetworkLookupByName");
    return NetworkValue(network);
  });
}

Napi::Value GetXmlDesc(const Napi::CallbackInfo& info) {
  HandlePtr network = NetworkArg(info);
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [network, flags](virConnectPtr) -> Value {
    char* xml = virNetworkGetXMLDesc(network->network(), flags);
    if (xml == nullptr) ThrowLastError("virNetworkGetXMLDesc");
    return Value::OwnedString(xml);
  });
}

Napi::Value IsActive(const Napi::CallbackInfo& info) {
  HandlePtr network = NetworkArg(info);
  return Enqueue(info, [network](virConnectPtr) -> Value {
    int active = virNetworkIsActive(network->network());
    if (active < 0) ThrowLastError("virNetworkIsActive");
    return Value::Bool(active == 1);
  });
}

// (network, command, section, parentIndex, xml, flags)
Napi::Value Update(const Napi::CallbackInfo& info) {
  HandlePtr network = NetworkArg(info);
  uint32_t command = ArgUint(info, kFirstArg + 1, "command");
  uint32_t section = ArgUint(info, kFirstArg + 2, "section");
  int parentIndex = static_cast<int>(ArgInt(info, kFirstArg + 3, "parentIndex"));
  std::string xml = ArgString(info, kFirstArg + 4, "xml");
  uint32_t flags = ArgUint(info, kFirstArg + 5, "flags");
  // A live update rewrites dnsmasq's files and reloads the network's firewall rules
  // (a quarter of a second): a side connection, like other long calls.
  return Enqueue(info, [network, command, section, parentIndex, xml, flags](virConnectPtr conn) -> Value {
    NetworkRef target = NetworkOn(conn, network->network());
    if (virNetworkUpdate(target.get(), command, section, parentIndex, xml.c_str(), flags) < 0) {
      ThrowLastError("virNetworkUpdate");
    }
    return Value::Undefined();
  }, Lane::Side);
}

Napi::Value GetDhcpLeases(const Napi::CallbackInfo& info) {
  HandlePtr network = NetworkArg(info);
  auto mac = ArgOptionalString(info, kFirstArg + 1, "mac");
  return Enqueue(info, [network, mac](virConnectPtr) -> Value {
    virNetworkDHCPLeasePtr* leases = nullptr;
    int count = virNetworkGetDHCPLeases(network->network(), mac ? mac->c_str() : nullptr, &leases, 0);
    if (count < 0) ThrowLastError("virNetworkGetDHCPLeases");
    auto text = [](const char* s) { return s != nullptr ? Value::String(s) : Value::Null(); };
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) {
      virNetworkDHCPLeasePtr lease = leases[i];
      Value entry = Value::Object();
      entry.Set("iface", text(lease->iface));
      entry.Set("expiryTime", Value::Number(static_cast<double>(lease->expirytime)));
      entry.Set("type", Value::String(lease->type == VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4"));
      entry.Set("mac", text(lease->mac));
      entry.Set("iaid", text(lease->iaid));
      entry.Set("ipaddr", text(lease->ipaddr));
      entry.Set("prefix", Value::Number(lease->prefix));
      entry.Set("hostname", text(lease->hostname));
      entry.Set("clientId", text(lease->clientid));
      list.Push(std::move(entry));
      virNetworkDHCPLeaseFree(lease);
    }
    free(leases);
    return list;
  });
}

}  // namespace

void RegisterNetwork(Napi::Env env, Napi::Object exports) {
  exports.Set("listAllNetworks", Napi::Function::New(env, ListAll));
  exports.Set("networkLookupByName", Napi::Function::New(env, LookupByName));
  exports.Set("networkGetXmlDesc", Napi::Function::New(env, GetXmlDesc));
  exports.Set("networkIsActive", Napi::Function::New(env, IsActive));
  exports.Set("networkUpdate", Napi::Function::New(env, Update));
  exports.Set("networkGetDhcpLeases", Napi::Function::New(env, GetDhcpLeases));
}

}  // namespace vmango
