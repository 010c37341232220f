#include "kagami/proxy/policy.h"

#include <algorithm>
#include <fstream>

#include "kagami/base/ascii.h"

namespace kagami::proxy {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  while (!out.empty() && out.back() == '.') out.pop_back();  // "example.com." is the same name
  return out;
}

}  // namespace

std::string action_name(Action a) {
  switch (a) {
    case Action::kDecrypt:
      return "decrypt";
    case Action::kBypass:
      return "bypass";
    case Action::kBlock:
      return "block";
  }
  return "decrypt";
}

Result<Action> parse_action(const std::string& text) {
  if (text == "decrypt") return Action::kDecrypt;
  if (text == "bypass") return Action::kBypass;
  if (text == "block") return Action::kBlock;
  return make_error("unknown action \"{}\" (decrypt, bypass or block)", text);
}

void Policy::HostSet::add(std::string name) {
  name = lower(trim_field(name));
  if (name.empty()) return;
  if (name.rfind("*.", 0) == 0) {
    below.insert(name.substr(2));
  } else if (name.front() == '.') {
    exact.insert(name.substr(1));
    below.insert(name.substr(1));
  } else {
    exact.insert(name);
  }
}

bool Policy::HostSet::contains(std::string_view raw) const {
  const std::string host = lower(raw);
  if (host.empty()) return false;
  if (exact.count(host)) return true;
  // Every parent domain, longest first: a.b.example.com -> b.example.com -> example.com -> com.
  for (std::size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1))
    if (below.count(host.substr(dot + 1))) return true;
  return false;
}

Result<std::shared_ptr<const Policy>> Policy::build(const PolicyConfig& config) {
  auto p = std::make_shared<Policy>();
  p->default_action_ = config.default_action;
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const RuleConfig& rc = config.rules[i];
    Rule r;
    r.action = rc.action;
    r.reason = rc.reason.empty() ? "rule " + std::to_string(i + 1) : rc.reason;
    for (const std::string& h : rc.hosts) r.hosts.add(h);
    for (const std::string& path : rc.host_lists) {
      std::ifstream in(path);
      if (!in) return make_error("rule {}: cannot read the host list {}", i + 1, path);
      std::string line;
      while (std::getline(in, line)) {
        const std::size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        r.hosts.add(line);
      }
    }
    r.has_hosts = !rc.hosts.empty() || !rc.host_lists.empty();
    for (const std::string& c : rc.clients) {
      auto prefix = IpPrefix::parse(c);
      if (!prefix)
        return make_error("rule {}: client \"{}\": {}", i + 1, c, prefix.error().message);
      r.clients.push_back(*prefix);
    }
    for (const std::string& d : rc.destinations) {
      auto prefix = IpPrefix::parse(d);
      if (!prefix)
        return make_error("rule {}: destination \"{}\": {}", i + 1, d, prefix.error().message);
      r.destinations.push_back(*prefix);
    }
    r.ports = rc.ports;
    p->rules_.push_back(std::move(r));
  }
  return std::shared_ptr<const Policy>(std::move(p));
}

Decision Policy::decide(const ConnectionFacts& f) const {
  for (const Rule& r : rules_) {
    if (r.has_hosts && !r.hosts.contains(f.host)) continue;
    if (!r.clients.empty() && std::none_of(r.clients.begin(), r.clients.end(),
                                           [&](const IpPrefix& p) { return p.contains(f.client); }))
      continue;
    if (!r.destinations.empty() &&
        (!f.server_known || std::none_of(r.destinations.begin(), r.destinations.end(),
                                         [&](const IpPrefix& p) { return p.contains(f.server); })))
      continue;
    if (!r.ports.empty() && std::find(r.ports.begin(), r.ports.end(), f.port) == r.ports.end())
      continue;
    return Decision{r.action, r.reason};
  }
  return Decision{default_action_, "default"};
}

}  // namespace kagami::proxy
