// Guest interface addresses from DHCP leases, the guest agent or the ARP table.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "agent_timeout.h"
#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "register.h"

namespace vmango {
namespace {

Napi::Value InterfaceAddresses(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t source = ArgUint(info, kFirstArg + 1, "source");
  // From the agent: the guest's answer deadline in seconds (0: the domain's current one).
  uint32_t timeoutSec = info.Length() > kFirstArg + 2 && !info[kFirstArg + 2].IsUndefined() ? ArgUint(info, kFirstArg + 2, "timeoutSec") : 0;
  if (timeoutSec > 3600) throw Napi::RangeError::New(info.Env(), "timeoutSec: expected whole seconds from 0 to 3600");
  // The guest agent answers when it likes (or never): such a call waits on a guest agent
  // connection (domain_agent.cc), so the hypervisor's other calls and its liveness probe, and the
  // side connections' starts and listings, are not queued behind it.
  Lane lane = source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT ? Lane::Agent : Lane::Connection;
  return Enqueue(info, [domain, source, timeoutSec](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    if (source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT && timeoutSec > 0) SetAgentResponseTimeout(target.get(), static_cast<int>(timeoutSec));
    virDomainInterfacePtr* ifaces = nullptr;
    int count = virDomainInterfaceAddresses(target.get(), &ifaces, source, 0);
    if (count < 0) ThrowLastError("virDomainInterfaceAddresses");
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) {
      virDomainInterfacePtr iface = ifaces[i];
      Value entry = Value::Object();
      entry.Set("name", Value::String(iface->name != nullptr ? iface->name : ""));
      entry.Set("hwaddr", iface->hwaddr != nullptr ? Value::String(iface->hwaddr) : Value::Null());
      Value addrs = Value::Array();
      for (unsigned int j = 0; j < iface->naddrs; ++j) {
        Value addr = Value::Object();
        addr.Set("type", Value::String(iface->addrs[j].type == VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4"));
        addr.Set("addr", Value::String(iface->addrs[j].addr != nullptr ? iface->addrs[j].addr : ""));
        addr.Set("prefix", Value::Number(iface->addrs[j].prefix));
        addrs.Push(std::move(addr));
      }
      entry.Set("addrs", std::move(addrs));
      list.Push(std::move(entry));
      virDomainInterfaceFree(iface);
    }
    free(ifaces);
    return list;
  }, lane);
}

}  // namespace

void RegisterDomainNet(Napi::Env env, Napi::Object exports) {
  exports.Set("domainInterfaceAddresses", Napi::Function::New(env, InterfaceAddresses));
}

}  // namespace vmango
