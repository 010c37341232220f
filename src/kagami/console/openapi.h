#pragma once

#include <string>

namespace kagami::console {

// The OpenAPI 3 description of /api/, served at /api/openapi.json.
const std::string& openapi_json();

}  // namespace kagami::console
