// A libvirt error captured on the thread that made the failing call.
#pragma once

#include <libvirt/virterror.h>
#include <napi.h>

#include <stdexcept>
#include <string>

namespace vmango {

// Codes outside libvirt's range for failures this addon detects itself.
constexpr int kCodeConnectionLost = -1001;
constexpr int kCodeConnectionClosed = -1002;

struct ErrorInfo {
  int code = 0;
  int domain = 0;
  int level = 0;
  std::string message;
  std::string str1;
};

// Thrown inside jobs; the worker turns it into a rejected promise.
class LibvirtFailure : public std::runtime_error {
 public:
  explicit LibvirtFailure(ErrorInfo info) : std::runtime_error(info.message), info_(std::move(info)) {}
  const ErrorInfo& info() const { return info_; }

 private:
  ErrorInfo info_;
};

// Reads virGetLastError of the calling thread; `what` names the call for the message
// when libvirt left no error behind.
ErrorInfo CaptureLastError(const char* what);
[[noreturn]] void ThrowLastError(const char* what);
[[noreturn]] void ThrowOwnError(int code, const std::string& message);

Napi::Error ErrorToJs(Napi::Env env, const ErrorInfo& info);

}  // namespace vmango
