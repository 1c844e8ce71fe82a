#include "error_info.h"

#include <libvirt/virterror.h>

namespace vmango {

ErrorInfo CaptureLastError(const char* what) {
  ErrorInfo info;
  virErrorPtr err = virGetLastError();
  if (err != nullptr) {
    info.code = err->code;
    info.domain = err->domain;
    info.level = err->level;
    info.message = err->message != nullptr ? err->message : "";
    info.str1 = err->str1 != nullptr ? err->str1 : "";
  }
  if (info.message.empty()) info.message = std::string(what) + " failed without a libvirt error";
  virResetLastError();
  return info;
}

void ThrowLastError(const char* what) { throw LibvirtFailure(CaptureLastError(what)); }

void ThrowOwnError(int code, const std::string& message) {
  ErrorInfo info;
  info.code = code;
  info.message = message;
  throw LibvirtFailure(info);
}

Napi::Error ErrorToJs(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  Napi::Object obj = error.Value();
  obj.Set("code", Napi::Number::New(env, info.code));
  obj.Set("domain", Napi::Number::New(env, info.domain));
  obj.Set("level", Napi::Number::New(env, info.level));
  obj.Set("libvirtMessage", Napi::String::New(env, info.message));
  return error;
}

}  // namespace vmango
