// Argument checks on the JS thread: every bad argument throws a TypeError naming
// the argument and what is allowed.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmango {

std::string ArgString(const Napi::CallbackInfo& info, size_t index, const char* name);
std::optional<std::string> ArgOptionalString(const Napi::CallbackInfo& info, size_t index, const char* name);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t index, const char* name);
uint32_t ArgUint(const Napi::CallbackInfo& info, size_t index, const char* name);
uint64_t ArgUint64(const Napi::CallbackInfo& info, size_t index, const char* name);
std::vector<uint8_t> ArgBytes(const Napi::CallbackInfo& info, size_t index, const char* name);

}  // namespace vmango
