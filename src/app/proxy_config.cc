#include "app/proxy_config.h"

#include "kagami/base/ascii.h"
#include "kagami/base/ip_address.h"

#include "app/toml_file.h"

namespace kagami::app {
namespace {

Result<std::string> string_of(const toml::node& n, const std::string& key) {
  if (auto v = n.value<std::string>()) return *v;
  return make_error("config: {} must be a string", key);
}

Result<double> number_of(const toml::node& n, const std::string& key) {
  if (auto v = n.value<double>(); v && *v >= 0) return *v;
  return make_error("config: {} must be a number, not negative", key);
}

Status load_rule(const toml::table& t, std::size_t index, proxy::RuleConfig& r) {
  const std::string where = "policy.rules[" + std::to_string(index + 1) + "]";
  bool has_action = false;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    const std::string name = where + "." + key;
    if (key == "action") {
      auto s = string_of(v, name);
      if (!s) return s.error();
      auto a = proxy::parse_action(*s);
      if (!a) return make_error("config: {}: {}", name, a.error().message);
      r.action = *a;
      has_action = true;
    } else if (key == "reason") {
      auto s = string_of(v, name);
      if (!s) return s.error();
      r.reason = *s;
    } else if (key == "hosts" || key == "host_lists" || key == "clients" || key == "destinations") {
      auto list = strings_of(v, name);
      if (!list) return list.error();
      (key == "hosts"        ? r.hosts
       : key == "host_lists" ? r.host_lists
       : key == "clients"    ? r.clients
                             : r.destinations) = *list;
    } else if (key == "ports") {
      const toml::array* a = v.as_array();
      if (a == nullptr) return make_error("config: {} must be an array of ports", name);
      for (const toml::node& e : *a) {
        auto p = e.value<std::int64_t>();
        if (!p || *p <= 0 || *p > 65535) return make_error("config: {} holds a bad port", name);
        r.ports.push_back(static_cast<std::uint16_t>(*p));
      }
    } else {
      return make_error("config: unknown key {}", name);
    }
  }
  if (!has_action) return make_error("config: {} needs an action", where);
  return {};
}

}  // namespace

Status load_proxy_config(const std::string& path, ProxyFileConfig& c) {
  auto parsed = parse_toml_file(path);
  if (!parsed) return parsed.error();
  const toml::table& root = parsed.value();
  for (const auto& [section, node] : root) {
    const std::string sec(section.str());
    const toml::table* t = node.as_table();
    if (t == nullptr) return make_error("config: {} must be a table", sec);
    if (sec == "hosts") {
      // Names answered before DNS, as a hosts file would: "lab.example" = "10.0.0.5".
      for (const auto& [name, address] : *t) {
        auto a = string_of(address, "hosts." + std::string(name.str()));
        if (!a) return a.error();
        if (!IpAddress::parse(*a))
          return make_error("config: hosts.{}: \"{}\" is not an IP address", name.str(), *a);
        c.options.hosts[ascii_lowered(name.str())] = *a;
      }
      continue;
    }
    for (const auto& [k, value] : *t) {
      const std::string key = sec + "." + std::string(k.str());
      const toml::node& v = value;  // lambdas cannot capture a structured binding (clang 14)
      auto num = [&](auto& into, double scale) -> Status {
        auto n = number_of(v, key);
        if (!n) return n.error();
        into = static_cast<std::remove_reference_t<decltype(into)>>(*n * scale);
        return {};
      };
      auto str = [&](std::string& into) -> Status {
        auto s = string_of(v, key);
        if (!s) return s.error();
        into = *s;
        return {};
      };
      Status st;
      if (key == "proxy.listen")
        st = str(c.options.listen);
      else if (key == "proxy.threads")
        st = num(c.options.threads, 1);
      else if (key == "proxy.on_invalid_upstream")
        st = str(c.options.on_invalid_upstream);
      else if (key == "proxy.upstream_ca")
        st = str(c.options.upstream.ca_bundle);
      else if (key == "proxy.keylog")
        st = str(c.options.keylog_file);
      else if (key == "proxy.segment_bytes")
        st = num(c.options.segment_bytes, 1);
      else if (key == "proxy.max_head_kb")
        st = num(c.options.max_head_bytes, 1024);
      else if (key == "proxy.handshake_timeout_s")
        st = num(c.options.handshake_timeout_ms, 1000);
      else if (key == "proxy.idle_timeout_s")
        st = num(c.options.idle_timeout_ms, 1000);
      else if (key == "proxy.max_connections")
        st = num(c.options.max_connections, 1);
      else if (key == "proxy.auto_bypass_s")
        st = num(c.options.auto_bypass_ms, 1000);
      else if (key == "quic.alt_svc") {
        std::string mode;
        st = str(mode);
        if (st && mode != "strip" && mode != "keep")
          return make_error("config: {} must be \"strip\" or \"keep\"", key);
        c.options.strip_alt_svc = mode == "strip";
      } else if (key == "auth.users_file")
        st = str(c.users_file);
      else if (key == "policy.default") {
        std::string a;
        st = str(a);
        if (st) {
          auto action = proxy::parse_action(a);
          if (!action) return make_error("config: {}: {}", key, action.error().message);
          c.policy.default_action = *action;
        }
      } else if (key == "policy.allow_destinations") {
        auto list = strings_of(v, key);
        if (!list) return list.error();
        c.options.allow_destinations = *list;
      } else if (key == "policy.rules") {
        const toml::array* rules = v.as_array();
        if (rules == nullptr) return make_error("config: policy.rules must be [[policy.rules]]");
        c.policy.rules.clear();
        for (std::size_t i = 0; i < rules->size(); ++i) {
          const toml::table* rt = (*rules)[i].as_table();
          if (rt == nullptr) return make_error("config: policy.rules must be [[policy.rules]]");
          proxy::RuleConfig r;
          if (auto s = load_rule(*rt, i, r); !s) return s;
          c.policy.rules.push_back(std::move(r));
        }
      } else {
        return make_error("config: unknown key {}", key);
      }
      if (!st) return st;
    }
  }
  return {};
}

}  // namespace kagami::app
