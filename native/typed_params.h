// Converts libvirt typed parameters to a flat { field: value } object.
#pragma once

#include <libvirt/libvirt.h>

#include "value.h"

namespace vmango {

Value TypedParamsToValue(const virTypedParameter* params, int count);

}  // namespace vmango
