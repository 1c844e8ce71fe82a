#include "domain_events.h"

#include <libvirt/libvirt.h>

#include "enqueue.h"
#include "error_info.h"
#include "error_info.h"
#include "identity.h"

namespace vmango {
namespace {

using WeakState = std::weak_ptr<ConnState>;

Value EventBase(const char* kind, virDomainPtr domain) {
  Value v = Value::Object();
  v.Set("kind", Value::String(kind));
  const char* name = virDomainGetName(domain);
  v.Set("domainName", Value::String(name != nullptr ? name : ""));
  v.Set("domainUuid", Value::String(DomainUuid(domain)));
  return v;
}

void Deliver(void* opaque, Value event) {
  ConnStatePtr state = static_cast<WeakState*>(opaque)->lock();
  if (state) Notify(state, "domainEvent", std::move(event));
}

void OnLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail, void* opaque) {
  Value v = EventBase("lifecycle", domain);
  v.Set("event", Value::Number(event));
  v.Set("detail", Value::Number(detail));
  Deliver(opaque, std::move(v));
}

void OnReboot(virConnectPtr, virDomainPtr domain, void* opaque) { Deliver(opaque, EventBase("reboot", domain)); }

void OnDeviceRemoved(virConnectPtr, virDomainPtr domain, const char* alias, void* opaque) {
  Value v = EventBase("device-removed", domain);
  v.Set("devAlias", Value::String(alias != nullptr ? alias : ""));
  Deliver(opaque, std::move(v));
}

void OnMetadataChange(virConnectPtr, virDomainPtr domain, int type, const char* nsUri, void* opaque) {
  Value v = EventBase("metadata-change", domain);
  v.Set("metadataType", Value::Number(type));
  v.Set("nsUri", nsUri != nullptr ? Value::String(nsUri) : Value::Null());
  Deliver(opaque, std::move(v));
}

void FreeWeakState(void* opaque) { delete static_cast<WeakState*>(opaque); }

struct Registration {
  int eventId;
  virConnectDomainEventGenericCallback callback;
};

Napi::Value Subscribe(const Napi::CallbackInfo& info) {
  WeakState weak = ConnectionFromJs(info[0]);
  return Enqueue(info, [weak](virConnectPtr conn) -> Value {
    ConnStatePtr state = weak.lock();
    RequireOpen(conn);
    if (!state || !state->domainEventIds.empty()) return Value::Undefined();
    const Registration registrations[] = {
        {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle)},
        {VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(OnReboot)},
        {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(OnDeviceRemoved)},
        {VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, VIR_DOMAIN_EVENT_CALLBACK(OnMetadataChange)},
    };
    for (const Registration& r : registrations) {
      auto* opaque = new WeakState(state);
      int id = virConnectDomainEventRegisterAny(conn, nullptr, r.eventId, r.callback, opaque, FreeWeakState);
      if (id < 0) {
        delete opaque;
        ErrorInfo error = CaptureLastError("virConnectDomainEventRegisterAny");
        DeregisterDomainEvents(*state);
        throw LibvirtFailure(error);
      }
      state->domainEventIds.push_back(id);
    }
    return Value::Undefined();
  });
}

}  // namespace

void DeregisterDomainEvents(ConnState& state) {
  for (int id : state.domainEventIds) virConnectDomainEventDeregisterAny(state.conn, id);
  state.domainEventIds.clear();
  virResetLastError();
}

void RegisterDomainEvents(Napi::Env env, Napi::Object exports) {
  exports.Set("domainEventsSubscribe", Napi::Function::New(env, Subscribe));
}

}  // namespace vmango
