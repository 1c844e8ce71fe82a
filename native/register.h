// Each source file registers its group of native functions on the exports object.
#pragma once

#include <napi.h>

namespace vmango {

void RegisterConnectionInfo(Napi::Env env, Napi::Object exports);
void RegisterDomainList(Napi::Env env, Napi::Object exports);
void RegisterDomainLifecycle(Napi::Env env, Napi::Object exports);
void RegisterDomainInfo(Napi::Env env, Napi::Object exports);
void RegisterDomainDevices(Napi::Env env, Napi::Object exports);
void RegisterDomainNet(Napi::Env env, Napi::Object exports);
void RegisterDomainAgent(Napi::Env env, Napi::Object exports);
void RegisterDomainStats(Napi::Env env, Napi::Object exports);
void RegisterDomainSnapshot(Napi::Env env, Napi::Object exports);
void RegisterStoragePool(Napi::Env env, Napi::Object exports);
void RegisterStorageVolume(Napi::Env env, Napi::Object exports);
void RegisterNetwork(Napi::Env env, Napi::Object exports);
void RegisterStream(Napi::Env env, Napi::Object exports);
void RegisterConsole(Napi::Env env, Napi::Object exports);
void RegisterMemory(Napi::Env env, Napi::Object exports);

}  // namespace vmango
