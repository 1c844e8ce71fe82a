#include "value.h"

#include <cstdlib>

namespace vmango {

Value Value::Bool(bool b) {
  Value v(Kind::Bool);
  v.bool_ = b;
  return v;
}

Value Value::Number(double n) {
  Value v(Kind::Number);
  v.number_ = n;
  return v;
}

Value Value::String(std::string s) {
  Value v(Kind::String);
  v.string_ = std::move(s);
  return v;
}

Value Value::OwnedString(char* s) {
  if (s == nullptr) return Null();
  Value v = String(s);
  free(s);
  return v;
}

Value Value::Array() { return Value(Kind::Array); }
Value Value::Object() { return Value(Kind::Object); }

Value Value::Buffer(std::vector<uint8_t> bytes) {
  Value v(Kind::Buffer);
  v.bytes_ = std::move(bytes);
  return v;
}

Value Value::FromHandle(HandlePtr handle) {
  Value v(Kind::Handle);
  v.handle_ = std::move(handle);
  return v;
}

Value& Value::Set(std::string key, Value value) {
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Value& Value::Push(Value value) {
  items_.push_back(std::move(value));
  return *this;
}

Napi::Value Value::ToJs(Napi::Env env) const {
  switch (kind_) {
    case Kind::Undefined: return env.Undefined();
    case Kind::Null: return env.Null();
    case Kind::Bool: return Napi::Boolean::New(env, bool_);
    case Kind::Number: return Napi::Number::New(env, number_);
    case Kind::String: return Napi::String::New(env, string_);
    case Kind::Array: {
      Napi::Array array = Napi::Array::New(env, items_.size());
      for (size_t i = 0; i < items_.size(); ++i) array.Set(static_cast<uint32_t>(i), items_[i].ToJs(env));
      return array;
    }
    case Kind::Object: {
      Napi::Object object = Napi::Object::New(env);
      for (const auto& field : fields_) object.Set(field.first, field.second.ToJs(env));
      return object;
    }
    case Kind::Buffer: return Napi::Buffer<uint8_t>::Copy(env, bytes_.data(), bytes_.size());
    case Kind::Handle: return HandleToJs(env, handle_);
  }
  return env.Undefined();
}

}  // namespace vmango
