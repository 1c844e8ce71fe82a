// The QEMU guest agent: calls that libvirt answers by asking the agent inside the guest, which
// answers when it likes (or never). Every one runs on Lane::Agent, the hypervisor's guest agent
// connections (ConnState::agent), each used by one thread only (CVE-2024-4418, see side_pool.h):
// a guest that does not answer holds up one of those, never the main connection or `side`.
//
// Each call takes the guest's answer deadline in seconds (`timeoutSec`, > 0) and hands it to
// libvirt, so the native thread is freed when it passes: the per-call timeout of
// virDomainQemuAgentCommand, and for the typed calls virDomainAgentSetResponseTimeout on the
// domain just before (libvirt keeps that per domain; our value is the one that matters).
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <napi.h>

#include <string>
#include <vector>

#include "agent_timeout.h"
#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "register.h"
#include "typed_params.h"

namespace vmango {
namespace {

constexpr int64_t kMaxTimeoutSec = 3600;

int ArgTimeout(const Napi::CallbackInfo& info, size_t index) {
  int64_t seconds = ArgInt(info, index, "timeoutSec");
  if (seconds < 1 || seconds > kMaxTimeoutSec) {
    throw Napi::RangeError::New(info.Env(), "timeoutSec: expected whole seconds from 1 to " + std::to_string(kMaxTimeoutSec));
  }
  return static_cast<int>(seconds);
}

std::vector<std::string> ArgStringList(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsArray()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected an array of strings");
  }
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<std::string> list;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + ": expected an array of strings");
    list.push_back(item.As<Napi::String>().Utf8Value());
  }
  return list;
}

std::vector<const char*> CStrings(const std::vector<std::string>& list) {
  std::vector<const char*> pointers;
  pointers.reserve(list.size());
  for (const std::string& s : list) pointers.push_back(s.c_str());
  return pointers;
}

void SetAgentTimeout(virDomainPtr domain, int seconds) { SetAgentResponseTimeout(domain, seconds); }

// (domain, command JSON, timeoutSec, flags) -> the agent's answer (JSON text)
Napi::Value AgentCommand(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string command = ArgString(info, kFirstArg + 1, "command");
  int timeout = ArgTimeout(info, kFirstArg + 2);
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  return Enqueue(info, [domain, command, timeout, flags](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    char* answer = virDomainQemuAgentCommand(target.get(), command.c_str(), timeout, flags);
    if (answer == nullptr) ThrowLastError("virDomainQemuAgentCommand");
    return Value::OwnedString(answer);
  }, Lane::Agent);
}

// (domain, types, flags, timeoutSec) -> flat typed parameters ("os.id", "fs.0.mountpoint", ...)
Napi::Value GetGuestInfo(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t types = ArgUint(info, kFirstArg + 1, "types");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 3);
  return Enqueue(info, [domain, types, flags, timeout](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    virTypedParameterPtr params = nullptr;
    int count = 0;
    if (virDomainGetGuestInfo(target.get(), types, &params, &count, flags) < 0) ThrowLastError("virDomainGetGuestInfo");
    Value object = TypedParamsToValue(params, count);
    virTypedParamsFree(params, count);
    return object;
  }, Lane::Agent);
}

// (domain, user, password, flags, timeoutSec)
Napi::Value SetUserPassword(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string user = ArgString(info, kFirstArg + 1, "user");
  std::string password = ArgString(info, kFirstArg + 2, "password");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 4);
  return Enqueue(info, [domain, user, password, flags, timeout](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    if (virDomainSetUserPassword(target.get(), user.c_str(), password.c_str(), flags) < 0) ThrowLastError("virDomainSetUserPassword");
    return Value::Undefined();
  }, Lane::Agent);
}

// (domain, user, flags, timeoutSec) -> the user's authorized keys
Napi::Value AuthorizedSshKeysGet(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string user = ArgString(info, kFirstArg + 1, "user");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 3);
  return Enqueue(info, [domain, user, flags, timeout](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    char** keys = nullptr;
    int count = virDomainAuthorizedSSHKeysGet(target.get(), user.c_str(), &keys, flags);
    if (count < 0) ThrowLastError("virDomainAuthorizedSSHKeysGet");
    Value list = Value::Array();
    for (int i = 0; i < count; ++i) list.Push(Value::OwnedString(keys[i]));
    free(keys);
    return list;
  }, Lane::Agent);
}

// (domain, user, keys, flags, timeoutSec); flags APPEND adds, REMOVE takes away, none replaces
Napi::Value AuthorizedSshKeysSet(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::string user = ArgString(info, kFirstArg + 1, "user");
  std::vector<std::string> keys = ArgStringList(info, kFirstArg + 2, "keys");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 4);
  return Enqueue(info, [domain, user, keys, flags, timeout](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    std::vector<const char*> pointers = CStrings(keys);
    if (virDomainAuthorizedSSHKeysSet(target.get(), user.c_str(), pointers.data(), static_cast<unsigned int>(pointers.size()), flags) < 0) {
      ThrowLastError("virDomainAuthorizedSSHKeysSet");
    }
    return Value::Undefined();
  }, Lane::Agent);
}

using FsAction = int (*)(virDomainPtr, const char**, unsigned int, unsigned int);

// (domain, mountpoints (empty: all), flags, timeoutSec) -> filesystems frozen or thawed
template <FsAction action>
Napi::Value FsFreezeOrThaw(const Napi::CallbackInfo& info, const char* name) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  std::vector<std::string> mountpoints = ArgStringList(info, kFirstArg + 1, "mountpoints");
  uint32_t flags = ArgUint(info, kFirstArg + 2, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 3);
  return Enqueue(info, [domain, mountpoints, flags, timeout, name](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    std::vector<const char*> pointers = CStrings(mountpoints);
    int count = action(target.get(), pointers.empty() ? nullptr : pointers.data(), static_cast<unsigned int>(pointers.size()), flags);
    if (count < 0) ThrowLastError(name);
    return Value::Number(count);
  }, Lane::Agent);
}

Napi::Value FsFreeze(const Napi::CallbackInfo& info) { return FsFreezeOrThaw<virDomainFSFreeze>(info, "virDomainFSFreeze"); }
Napi::Value FsThaw(const Napi::CallbackInfo& info) { return FsFreezeOrThaw<virDomainFSThaw>(info, "virDomainFSThaw"); }

// (domain, mountPoint|null (all), minimumBytes, flags, timeoutSec)
Napi::Value FsTrim(const Napi::CallbackInfo& info) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  auto mountPoint = ArgOptionalString(info, kFirstArg + 1, "mountPoint");
  uint64_t minimum = ArgUint64(info, kFirstArg + 2, "minimum");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 4);
  return Enqueue(info, [domain, mountPoint, minimum, flags, timeout](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    if (virDomainFSTrim(target.get(), mountPoint ? mountPoint->c_str() : nullptr, minimum, flags) < 0) ThrowLastError("virDomainFSTrim");
    return Value::Undefined();
  }, Lane::Agent);
}

using PowerAction = int (*)(virDomainPtr, unsigned int);

// (domain, flags, timeoutSec): shutdown or reboot asked of the agent (flags carry GUEST_AGENT)
template <PowerAction action>
Napi::Value AgentPower(const Napi::CallbackInfo& info, const char* name) {
  HandlePtr domain = HandleFromJs(info[kFirstArg], HandleKind::Domain, "domain");
  uint32_t flags = ArgUint(info, kFirstArg + 1, "flags");
  int timeout = ArgTimeout(info, kFirstArg + 2);
  return Enqueue(info, [domain, flags, timeout, name](virConnectPtr conn) -> Value {
    DomainRef target = DomainOn(conn, domain->domain());
    SetAgentTimeout(target.get(), timeout);
    if (action(target.get(), flags) < 0) ThrowLastError(name);
    return Value::Undefined();
  }, Lane::Agent);
}

Napi::Value ShutdownByAgent(const Napi::CallbackInfo& info) { return AgentPower<virDomainShutdownFlags>(info, "virDomainShutdownFlags"); }
Napi::Value RebootByAgent(const Napi::CallbackInfo& info) { return AgentPower<virDomainReboot>(info, "virDomainReboot"); }

}  // namespace

void SetAgentResponseTimeout(virDomainPtr domain, int seconds) {
  if (virDomainAgentSetResponseTimeout(domain, seconds, 0) < 0) {
    ErrorInfo error = CaptureLastError("virDomainAgentSetResponseTimeout");
    if (error.code != VIR_ERR_NO_SUPPORT) throw LibvirtFailure(error);
    virResetLastError();
  }
}

void RegisterDomainAgent(Napi::Env env, Napi::Object exports) {
  exports.Set("domainAgentCommand", Napi::Function::New(env, AgentCommand));
  exports.Set("domainGetGuestInfo", Napi::Function::New(env, GetGuestInfo));
  exports.Set("domainSetUserPassword", Napi::Function::New(env, SetUserPassword));
  exports.Set("domainAuthorizedSshKeysGet", Napi::Function::New(env, AuthorizedSshKeysGet));
  exports.Set("domainAuthorizedSshKeysSet", Napi::Function::New(env, AuthorizedSshKeysSet));
  exports.Set("domainFsFreeze", Napi::Function::New(env, FsFreeze));
  exports.Set("domainFsThaw", Napi::Function::New(env, FsThaw));
  exports.Set("domainFsTrim", Napi::Function::New(env, FsTrim));
  exports.Set("domainAgentShutdown", Napi::Function::New(env, ShutdownByAgent));
  exports.Set("domainAgentReboot", Napi::Function::New(env, RebootByAgent));
}

}  // namespace vmango
