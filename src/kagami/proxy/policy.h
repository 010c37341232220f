#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"

namespace kagami::proxy {

enum class Action { kDecrypt, kBypass, kBlock };
std::string action_name(Action a);
Result<Action> parse_action(const std::string& text);

// One rule as written in the configuration. Every kind of condition given must match (a rule
// with hosts and ports needs both); within a kind, any entry will do. No condition: matches all.
struct RuleConfig {
  Action action = Action::kDecrypt;
  std::string reason;  // logged and recorded with each decision it makes
  // Host names: "example.com" exactly, "*.example.com" any name below it, ".example.com"
  // both. Compared with the TLS SNI, else the CONNECT or request host.
  std::vector<std::string> hosts;
  std::vector<std::string> host_lists;    // files of such names, one per line, # comments
  std::vector<std::string> clients;       // CIDR prefixes of client addresses
  std::vector<std::string> destinations;  // CIDR prefixes of server addresses
  std::vector<std::uint16_t> ports;       // server ports
};

struct PolicyConfig {
  Action default_action = Action::kDecrypt;
  std::vector<RuleConfig> rules;
};

// What is known of a connection when it is judged.
struct ConnectionFacts {
  std::string host;  // SNI, else the CONNECT or request host; may be empty
  IpAddress client;
  IpAddress server;
  bool server_known = false;
  std::uint16_t port = 0;
};

struct Decision {
  Action action = Action::kDecrypt;
  std::string reason;
};

// Decides decrypt, bypass or block for each connection: the first rule that matches, else the
// default. Immutable once built; a reload builds a new one and swaps it in.
class Policy {
 public:
  static Result<std::shared_ptr<const Policy>> build(const PolicyConfig& config);
  Decision decide(const ConnectionFacts& facts) const;
  std::size_t rules() const { return rules_.size(); }

 private:
  struct HostSet {
    std::unordered_set<std::string> exact;  // "example.com"
    std::unordered_set<std::string> below;  // "*.example.com" stored as "example.com"
    bool empty() const { return exact.empty() && below.empty(); }
    void add(std::string name);
    bool contains(std::string_view host) const;
  };
  struct Rule {
    Action action;
    std::string reason;
    HostSet hosts;
    bool has_hosts = false;
    std::vector<IpPrefix> clients, destinations;
    std::vector<std::uint16_t> ports;
  };
  Action default_action_ = Action::kDecrypt;
  std::vector<Rule> rules_;
};

}  // namespace kagami::proxy
