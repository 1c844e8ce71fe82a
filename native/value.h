// A plain result tree built on a worker thread and converted to JS values on the
// JS thread, so a native job never touches napi_env.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "handle.h"

namespace vmango {

class Value {
 public:
  enum class Kind { Undefined, Null, Bool, Number, String, Array, Object, Buffer, Handle };

  static Value Undefined() { return Value(Kind::Undefined); }
  static Value Null() { return Value(Kind::Null); }
  static Value Bool(bool b);
  static Value Number(double n);
  static Value String(std::string s);
  // Takes ownership of a libvirt-allocated string and frees it.
  static Value OwnedString(char* s);
  static Value Array();
  static Value Object();
  static Value Buffer(std::vector<uint8_t> bytes);
  static Value FromHandle(HandlePtr handle);

  Value& Set(std::string key, Value value);
  Value& Push(Value value);

  Napi::Value ToJs(Napi::Env env) const;

 private:
  explicit Value(Kind kind) : kind_(kind) {}

  Kind kind_;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> fields_;
  std::vector<uint8_t> bytes_;
  HandlePtr handle_;
};

}  // namespace vmango
