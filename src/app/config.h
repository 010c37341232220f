#pragma once

#include <string>

#include "kagami/base/result.h"
#include "kagami/recorder/recorder_config.h"
#include "kagami/store/retention.h"

namespace CLI {
class App;
}

namespace kagami::app {

// Reads a TOML configuration into the recorder's limits. Unknown keys are errors: a typo in a
// bound must not silently leave the default in place.
Status load_recorder_config(const std::string& path, recorder::RecorderConfig& config);

// --retain-bytes, --retain-age, ... on `record`, `proxy --record` and `up`: given ones
// replace the config's [retention] settings.
struct RetentionFlags {
  std::string bytes, age, evidence_age, metadata_age, min_free;
};
void add_retention_options(CLI::App* cmd, RetentionFlags& flags);
Status apply_retention_flags(const RetentionFlags& flags, store::RetentionPolicy& policy);

// A commented TOML file with every setting at its default (`kagami record --print-config`).
std::string default_config_toml();

}  // namespace kagami::app
