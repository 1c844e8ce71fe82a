// virStream transfers: volume upload and download. Each stream runs over a side connection of
// its own (side_pool.h), kept until the stream is finished or aborted, so a transfer never holds
// up the connection's other calls; a transfer makes one call at a time. Consoles are console.cc.
#include <libvirt/libvirt.h>
#include <napi.h>

#include <algorithm>

#include "args.h"
#include "enqueue.h"
#include "error_info.h"
#include "rebind.h"
#include "register.h"

namespace vmango {
namespace {

constexpr uint32_t kMaxChunk = 1024 * 1024;

virStreamPtr NewStream(virConnectPtr conn) {
  virStreamPtr stream = virStreamNew(conn, 0);
  if (stream == nullptr) ThrowLastError("virStreamNew");
  return stream;
}

using VolumeTransfer = int (*)(virStorageVolPtr, virStreamPtr, unsigned long long, unsigned long long, unsigned int);

template <VolumeTransfer transfer>
Napi::Value BeginVolumeTransfer(const Napi::CallbackInfo& info, const char* name) {
  HandlePtr volume = HandleFromJs(info[kFirstArg], HandleKind::StorageVolume, "volume");
  uint64_t offset = ArgUint64(info, kFirstArg + 1, "offset");
  uint64_t length = ArgUint64(info, kFirstArg + 2, "length");
  uint32_t flags = ArgUint(info, kFirstArg + 3, "flags");
  return EnqueueLeased(info, [volume, offset, length, flags, name](virConnectPtr conn, std::shared_ptr<SidePool::Lease> lease) -> Value {
    VolumeRef target = VolumeOn(conn, volume->volume());
    auto handle = std::make_shared<Handle>(HandleKind::Stream, NewStream(conn));
    handle->KeepWhileOpen(std::move(lease));
    if (transfer(target.get(), handle->stream(), offset, length, flags) < 0) ThrowLastError(name);
    return Value::FromHandle(handle);
  });
}

Napi::Value Upload(const Napi::CallbackInfo& info) {
  return BeginVolumeTransfer<virStorageVolUpload>(info, "virStorageVolUpload");
}

Napi::Value Download(const Napi::CallbackInfo& info) {
  return BeginVolumeTransfer<virStorageVolDownload>(info, "virStorageVolDownload");
}

HandlePtr StreamArg(const Napi::CallbackInfo& info) {
  return HandleFromJs(info[kFirstArg], HandleKind::Stream, "stream");
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  HandlePtr stream = StreamArg(info);
  auto bytes = std::make_shared<std::vector<uint8_t>>(ArgBytes(info, kFirstArg + 1, "data"));
  return EnqueueOn(info, stream->sender(), [stream, bytes](virConnectPtr) -> Value {
    size_t sent = 0;
    while (sent < bytes->size()) {
      int n = virStreamSend(stream->stream(), reinterpret_cast<const char*>(bytes->data() + sent), bytes->size() - sent);
      if (n < 0) ThrowLastError("virStreamSend");
      sent += static_cast<size_t>(n);
    }
    return Value::Undefined();
  });
}

// Resolves with a Buffer of up to maxBytes, or null at end of stream.
Napi::Value Recv(const Napi::CallbackInfo& info) {
  HandlePtr stream = StreamArg(info);
  uint32_t maxBytes = std::min(std::max(ArgUint(info, kFirstArg + 1, "maxBytes"), 1u), kMaxChunk);
  return EnqueueOn(info, stream->receiver(), [stream, maxBytes](virConnectPtr) -> Value {
    std::vector<uint8_t> buffer(maxBytes);
    int n = virStreamRecv(stream->stream(), reinterpret_cast<char*>(buffer.data()), buffer.size());
    if (n < 0) ThrowLastError("virStreamRecv");
    if (n == 0) return Value::Null();
    buffer.resize(static_cast<size_t>(n));
    return Value::Buffer(std::move(buffer));
  });
}

Napi::Value Finish(const Napi::CallbackInfo& info) {
  HandlePtr stream = StreamArg(info);
  return EnqueueOn(info, stream->sender(), [stream](virConnectPtr) -> Value {
    if (virStreamFinish(stream->stream()) < 0) ThrowLastError("virStreamFinish");
    stream->KeepWhileOpen(nullptr);  // done with its side connection (a failed finish is aborted next)
    return Value::Undefined();
  });
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  HandlePtr stream = StreamArg(info);
  return EnqueueOn(info, stream->sender(), [stream](virConnectPtr) -> Value {
    if (virStreamAbort(stream->stream()) < 0) virResetLastError();  // already finished or failed
    stream->KeepWhileOpen(nullptr);
    return Value::Undefined();
  });
}

}  // namespace

void RegisterStream(Napi::Env env, Napi::Object exports) {
  exports.Set("volUpload", Napi::Function::New(env, Upload));
  exports.Set("volDownload", Napi::Function::New(env, Download));
  exports.Set("streamSend", Napi::Function::New(env, Send));
  exports.Set("streamRecv", Napi::Function::New(env, Recv));
  exports.Set("streamFinish", Napi::Function::New(env, Finish));
  exports.Set("streamAbort", Napi::Function::New(env, Abort));
}

}  // namespace vmango
