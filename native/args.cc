#include "args.h"

#include <cmath>

namespace vmango {
namespace {

Napi::TypeError Bad(const Napi::CallbackInfo& info, const char* name, const char* allowed) {
  return Napi::TypeError::New(info.Env(), std::string(name) + " must be " + allowed);
}

double ArgNumber(const Napi::CallbackInfo& info, size_t index, const char* name, const char* allowed) {
  if (index >= info.Length() || !info[index].IsNumber()) throw Bad(info, name, allowed);
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::floor(value) != value) throw Bad(info, name, allowed);
  return value;
}

}  // namespace

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsString()) throw Bad(info, name, "a string");
  return info[index].As<Napi::String>().Utf8Value();
}

std::optional<std::string> ArgOptionalString(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || info[index].IsNull() || info[index].IsUndefined()) return std::nullopt;
  return ArgString(info, index, name);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name) {
  return static_cast<int64_t>(ArgNumber(info, index, name, "an integer"));
}

uint32_t ArgUint(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double value = ArgNumber(info, index, name, "an integer from 0 to 4294967295");
  if (value < 0 || value > 4294967295.0) throw Bad(info, name, "an integer from 0 to 4294967295");
  return static_cast<uint32_t>(value);
}

uint64_t ArgUint64(const Napi::CallbackInfo& info, size_t index, const char* name) {
  double value = ArgNumber(info, index, name, "a non-negative safe integer");
  if (value < 0 || value > 9007199254740991.0) throw Bad(info, name, "a non-negative safe integer");
  return static_cast<uint64_t>(value);
}

std::vector<uint8_t> ArgBytes(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (index >= info.Length() || !info[index].IsBuffer()) throw Bad(info, name, "a Buffer");
  auto buffer = info[index].As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(buffer.Data(), buffer.Data() + buffer.Length());
}

}  // namespace vmango
