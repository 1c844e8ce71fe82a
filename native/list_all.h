// Bulk listing of the libvirt objects that have an active state and an XML description
// (networks, storage pools): one virConnectListAll* call, then each object's state and XML,
// skipping those removed while the list was read.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>

#include "error_info.h"
#include "value.h"

namespace vmango {

// list(conn, &objects, flags) -> count; active(object) -> 1/0/-1; xml(object, 0) -> char*;
// toValue(object) takes ownership of the object's reference.
template <typename Ptr, typename List, typename Active, typename Xml, typename ToValue>
Value ListWithStateAndXml(virConnectPtr conn, uint32_t flags, const char* call, List list, Active active, Xml xml,
                          ToValue toValue) {
  Ptr* objects = nullptr;
  int count = list(conn, &objects, flags);
  if (count < 0) ThrowLastError(call);
  Value result = Value::Array();
  for (int i = 0; i < count; ++i) {
    Ptr object = objects[i];
    int isActive = active(object);
    char* description = xml(object, 0);
    Value entry = toValue(object);
    if (isActive < 0 || description == nullptr) {
      virResetLastError();  // removed while listing
      free(description);
      continue;
    }
    entry.Set("active", Value::Bool(isActive == 1));
    entry.Set("xml", Value::OwnedString(description));
    result.Push(std::move(entry));
  }
  free(objects);
  return result;
}

}  // namespace vmango
