#pragma once

#include <string>

#include "kagami/base/result.h"
#include "kagami/recorder/recorder_config.h"

namespace kagami::app {

// Reads a TOML configuration into the recorder's limits. Unknown keys are errors: a typo in a
// bound must not silently leave the default in place.
Status load_recorder_config(const std::string& path, recorder::RecorderConfig& config);

// A commented TOML file with every setting at its default (`kagami record --print-config`).
std::string default_config_toml();

}  // namespace kagami::app
