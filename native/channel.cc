#include "channel.h"

namespace vmango {

JsChannelPtr JsChannel::Create(Napi::Env env, Napi::Function callback, const char* name) {
  JsChannelPtr channel(new JsChannel());
  auto* self = new std::weak_ptr<JsChannel>(channel);
  channel->tsfn_ = Napi::ThreadSafeFunction::New(env, callback, name, 0, 1, self, Finalized, self);
  channel->tsfn_.Unref(env);
  return channel;
}

void JsChannel::Finalized(Napi::Env, std::weak_ptr<JsChannel>* self, std::weak_ptr<JsChannel>*) {
  if (JsChannelPtr channel = self->lock()) {
    std::lock_guard<std::mutex> lock(channel->mutex_);
    channel->alive_ = false;
  }
  delete self;
}

JsChannel::~JsChannel() {
  // No lock needed: this is the last reference. The finalizer's weak_ptr cannot lock.
  if (alive_) tsfn_.Release();
}

void JsChannel::Ref(Napi::Env env) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (alive_) tsfn_.Ref(env);
}

void JsChannel::Unref(Napi::Env env) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (alive_) tsfn_.Unref(env);
}

}  // namespace vmango
