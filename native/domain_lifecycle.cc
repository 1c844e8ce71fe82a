// Domain power and definition lifecycle: start, shutdown, destroy, reboot, reset,
// suspend, resume, undefine (each takes (domain handle, flags)), and the autostart flag.
// Start and destroy wait for a QEMU process to come up or go away (hundreds of ms, seconds
// when the host is busy), and shutdown/reboot/reset talk to QEMU's monitor: they run on a
// side connection so the connection's other calls (lists, lookups) are not held up.
#include <libvirt/libvirt.h>
#include <napi.h>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "register.h"

namespace vmango {
namespace {

using DomainAction = int (*)(virDomainPtr, unsigned int);

template <DomainAction action, Lane lane = Lane::Connection>
Napi::Value Run(const Napi::CallbackInfo& info, const char* name) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  return Enqueue(info, [domain, flags, name](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    if (action(target.get(), flags) < 0) ThrowLastError(name);
    return Value::Undefined();
  }, lane);
}

int ResumeIgnoringFlags(virDomainPtr domain, unsigned int) { return virDomainResume(domain); }
int SuspendIgnoringFlags(virDomainPtr domain, unsigned int) { return virDomainSuspend(domain); }

Napi::Value Start(const Napi::CallbackInfo& info) { return Run<virDomainCreateWithFlags, Lane::Side>(info, "virDomainCreateWithFlags"); }
Napi::Value Shutdown(const Napi::CallbackInfo& info) { return Run<virDomainShutdownFlags, Lane::Side>(info, "virDomainShutdownFlags"); }
Napi::Value Destroy(const Napi::CallbackInfo& info) { return Run<virDomainDestroyFlags, Lane::Side>(info, "virDomainDestroyFlags"); }
Napi::Value Reboot(const Napi::CallbackInfo& info) { return Run<virDomainReboot, Lane::Side>(info, "virDomainReboot"); }
Napi::Value Reset(const Napi::CallbackInfo& info) { return Run<virDomainReset, Lane::Side>(info, "virDomainReset"); }
Napi::Value Suspend(const Napi::CallbackInfo& info) { return Run<SuspendIgnoringFlags>(info, "virDomainSuspend"); }
Napi::Value Resume(const Napi::CallbackInfo& info) { return Run<ResumeIgnoringFlags>(info, "virDomainResume"); }
Napi::Value Undefine(const Napi::CallbackInfo& info) { return Run<virDomainUndefineFlags>(info, "virDomainUndefineFlags"); }

Napi::Value GetAutostart(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  return Enqueue(info, [domain](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    int autostart = 0;
    if (virDomainGetAutostart(target.get(), &autostart) < 0) ThrowLastError("virDomainGetAutostart");
    return Value::Bool(autostart != 0);
  });
}

Napi::Value SetAutostart(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  if (info.Length() <= kFirstArg + 1 || !info[kFirstArg + 1].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "autostart: expected a boolean");
  }
  bool autostart = info[kFirstArg + 1].As<Napi::Boolean>().Value();
  return Enqueue(info, [domain, autostart](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    if (virDomainSetAutostart(target.get(), autostart ? 1 : 0) < 0) ThrowLastError("virDomainSetAutostart");
    return Value::Undefined();
  });
}

}  // namespace

void RegisterDomainLifecycle(Napi::Env env, Napi::Object exports) {
  exports.Set("domainStart", Napi::Function::New(env, Start));
  exports.Set("domainShutdown", Napi::Function::New(env, Shutdown));
  exports.Set("domainDestroy", Napi::Function::New(env, Destroy));
  exports.Set("domainReboot", Napi::Function::New(env, Reboot));
  exports.Set("domainReset", Napi::Function::New(env, Reset));
  exports.Set("domainSuspend", Napi::Function::New(env, Suspend));
  exports.Set("domainResume", Napi::Function::New(env, Resume));
  exports.Set("domainUndefine", Napi::Function::New(env, Undefine));
  exports.Set("domainGetAutostart", Napi::Function::New(env, GetAutostart));
  exports.Set("domainSetAutostart", Napi::Function::New(env, SetAutostart));
}

}  // namespace vmango
