// Domain power and definition lifecycle: start, shutdown, destroy, reboot, reset,
// suspend, resume, undefine. Each takes (domain handle, flags).
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
}

}  // namespace vmango
