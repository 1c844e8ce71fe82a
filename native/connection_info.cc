// Host-level queries: hostname, URI, versions, node info, memory stats, capabilities.
#include <napi.h>

#include <vector>

#include "enqueue.h"
#include "error_info.h"
#include "register.h"

namespace vmango {
namespace {

Napi::Value GetHostname(const Napi::CallbackInfo& info) {
  return Enqueue(info, [](virConnectPtr conn) -> Value {
    char* hostname = virConnectGetHostname(RequireOpen(conn));
    if (hostname == nullptr) ThrowLastError("virConnectGetHostname");
    return Value::OwnedString(hostname);
  });
}

Napi::Value GetVersions(const Napi::CallbackInfo& info) {
  return Enqueue(info, [](virConnectPtr conn) -> Value {
    unsigned long libVersion = 0;
    unsigned long hvVersion = 0;
    if (virConnectGetLibVersion(RequireOpen(conn), &libVersion) < 0) ThrowLastError("virConnectGetLibVersion");
    if (virConnectGetVersion(conn, &hvVersion) < 0) ThrowLastError("virConnectGetVersion");
    const char* type = virConnectGetType(conn);
    Value v = Value::Object();
    v.Set("libVersion", Value::Number(static_cast<double>(libVersion)));
    v.Set("hypervisorVersion", Value::Number(static_cast<double>(hvVersion)));
    v.Set("hypervisorType", type != nullptr ? Value::String(type) : Value::Null());
    return v;
  });
}

Napi::Value GetNodeInfo(const Napi::CallbackInfo& info) {
  return Enqueue(info, [](virConnectPtr conn) -> Value {
    virNodeInfo node;
    if (virNodeGetInfo(RequireOpen(conn), &node) < 0) ThrowLastError("virNodeGetInfo");
    Value v = Value::Object();
    v.Set("model", Value::String(node.model));
    v.Set("memoryKiB", Value::Number(static_cast<double>(node.memory)));
    v.Set("cpus", Value::Number(node.cpus));
    v.Set("mhz", Value::Number(node.mhz));
    v.Set("nodes", Value::Number(node.nodes));
    v.Set("sockets", Value::Number(node.sockets));
    v.Set("cores", Value::Number(node.cores));
    v.Set("threads", Value::Number(node.threads));
    return v;
  });
}

Napi::Value GetNodeMemoryStats(const Napi::CallbackInfo& info) {
  return Enqueue(info, [](virConnectPtr conn) -> Value {
    int count = 0;
    if (virNodeGetMemoryStats(RequireOpen(conn), VIR_NODE_MEMORY_STATS_ALL_CELLS, nullptr, &count, 0) < 0) {
      ThrowLastError("virNodeGetMemoryStats");
    }
    std::vector<virNodeMemoryStats> stats(static_cast<size_t>(count));
    if (count > 0 && virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats.data(), &count, 0) < 0) {
      ThrowLastError("virNodeGetMemoryStats");
    }
    Value v = Value::Object();
    for (int i = 0; i < count; ++i) v.Set(stats[i].field, Value::Number(static_cast<double>(stats[i].value)));
    return v;
  });
}

Napi::Value GetCapabilities(const Napi::CallbackInfo& info) {
  return Enqueue(info, [](virConnectPtr conn) -> Value {
    char* xml = virConnectGetCapabilities(RequireOpen(conn));
    if (xml == nullptr) ThrowLastError("virConnectGetCapabilities");
    return Value::OwnedString(xml);
  });
}

}  // namespace

void RegisterConnectionInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("getHostname", Napi::Function::New(env, GetHostname));
  exports.Set("getVersions", Napi::Function::New(env, GetVersions));
  exports.Set("getNodeInfo", Napi::Function::New(env, GetNodeInfo));
  exports.Set("getNodeMemoryStats", Napi::Function::New(env, GetNodeMemoryStats));
  exports.Set("getCapabilities", Napi::Function::New(env, GetCapabilities));
}

}  // namespace vmango
