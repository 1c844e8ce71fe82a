// Process memory housekeeping. glibc keeps memory freed by threads in per-thread arenas resident:
// a bulk listing (helper threads decoding replies), V8's compiler and GC threads and finished
// worker threads (the config parser) leave tens of MB there that the process no longer uses.
// trimMemory() hands the free pages of every arena back to the system (malloc_trim); tuneMalloc()
// keeps arenas from holding on to that much in the first place.
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

// tuneMalloc(maxArenas, thresholdBytes): threads created from now on share at most maxArenas
// malloc arenas (M_ARENA_MAX) instead of getting one each (up to 8 per core); and blocks of
// thresholdBytes or more are mmapped and a free top of an arena that large is given back at once
// (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD), where glibc would otherwise raise both thresholds (up to
// 32 and 64 MB) after the first large block is freed and keep that much per arena. Whether all
// three were applied.
Napi::Value TuneMalloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "tuneMalloc(maxArenas, thresholdBytes): both must be numbers");
  }
  int maxArenas = info[0].As<Napi::Number>().Int32Value();
  int threshold = info[1].As<Napi::Number>().Int32Value();
  if (maxArenas < 1 || threshold < 4096) {
    throw Napi::RangeError::New(env, "tuneMalloc(maxArenas, thresholdBytes): at least 1 arena and 4096 bytes");
  }
#if defined(__GLIBC__)
  bool applied = mallopt(M_ARENA_MAX, maxArenas) == 1;
  applied = mallopt(M_MMAP_THRESHOLD, threshold) == 1 && applied;
  applied = mallopt(M_TRIM_THRESHOLD, threshold) == 1 && applied;
  return Napi::Boolean::New(env, applied);
#else
  return Napi::Boolean::New(env, false);
#endif
}

}  // namespace

void RegisterMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory, "trimMemory"));
  exports.Set("tuneMalloc", Napi::Function::New(env, TuneMalloc, "tuneMalloc"));
}

}  // namespace vmango
