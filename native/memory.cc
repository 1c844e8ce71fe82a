// Process memory housekeeping. glibc keeps memory freed by threads in per-thread arenas resident:
// a bulk listing (helper threads decoding replies), V8's compiler and GC threads and finished
// worker threads (the config parser) leave tens of MB there that the process no longer uses.
// trimMemory() hands the free pages of every arena back to the system (malloc_trim).
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "register.h"

namespace vmango {
namespace {

// trimMemory(): whether any memory was returned (false where malloc_trim does not exist).
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory, "trimMemory"));
}

}  // namespace vmango
