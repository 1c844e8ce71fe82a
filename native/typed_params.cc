#include "typed_params.h"

namespace vmango {

Value TypedParamsToValue(const virTypedParameter* params, int count) {
  Value object = Value::Object();
  for (int i = 0; i < count; ++i) {
    const virTypedParameter& p = params[i];
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: object.Set(p.field, Value::Number(p.value.i)); break;
      case VIR_TYPED_PARAM_UINT: object.Set(p.field, Value::Number(p.value.ui)); break;
      case VIR_TYPED_PARAM_LLONG: object.Set(p.field, Value::Number(static_cast<double>(p.value.l))); break;
      case VIR_TYPED_PARAM_ULLONG: object.Set(p.field, Value::Number(static_cast<double>(p.value.ul))); break;
      case VIR_TYPED_PARAM_DOUBLE: object.Set(p.field, Value::Number(p.value.d)); break;
      case VIR_TYPED_PARAM_BOOLEAN: object.Set(p.field, Value::Bool(p.value.b != 0)); break;
      case VIR_TYPED_PARAM_STRING: object.Set(p.field, Value::String(p.value.s != nullptr ? p.value.s : "")); break;
      default: break;
    }
  }
  return object;
}

}  // namespace vmango
