#pragma once

#include <string>

#include "kagami/base/result.h"
#include "kagami/proxy/policy.h"
#include "kagami/proxy/proxy_server.h"

namespace kagami::app {

// `kagami proxy --config FILE`: the [proxy] settings, [auth] and the [policy] with its
// [[policy.rules]]. Unknown keys are errors. Read again on SIGHUP, when only the policy takes
// effect without a restart.
struct ProxyFileConfig {
  proxy::ProxyOptions options;
  proxy::PolicyConfig policy;
  std::string users_file;  // lines "name:scrypt-hash" (kagami proxy-user set)
};

// Fills `into` from the file over what it already holds.
Status load_proxy_config(const std::string& path, ProxyFileConfig& into);

}  // namespace kagami::app
