#include "event_loop.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace vmango {
namespace {

// Without this libvirt prints every error to stderr; errors are reported to JS instead.
void SilentErrorHandler(void*, virErrorPtr) {}

}  // namespace

void EnsureEventLoop() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    if (virInitialize() < 0) {
      failure = "virInitialize failed";
      return;
    }
    virSetErrorFunc(nullptr, SilentErrorHandler);
    if (virEventRegisterDefaultImpl() < 0) {
      failure = "virEventRegisterDefaultImpl failed";
      return;
    }
    std::thread([] {
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace vmango
