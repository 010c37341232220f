#include "app/session_filters.h"

#include <CLI/CLI.hpp>

#include "kagami/records/session_record.h"

#include "app/display_zone.h"

namespace kagami::app {

void add_session_filters(CLI::App& cmd, SessionFilterOptions& o) {
  cmd.add_option("--since", o.since,
                 "sessions active at or after T (epoch seconds or ISO 8601, UTC unless a zone is "
                 "given)");
  cmd.add_option("--until", o.until, "sessions that began at or before T");
  cmd.add_option("--ip", o.ips, "client or server address or CIDR prefix (repeatable)");
  cmd.add_option("--port", o.ports, "client or server port (repeatable)");
  cmd.add_option("--proto", o.proto, "transport (tcp, udp, icmp, ...) or application protocol");
  cmd.add_option("--id", o.ids, "session id (repeatable)");
  cmd.add_option("--limit", o.limit, "at most N sessions");
}

bool has_filters(const SessionFilterOptions& o) {
  return !o.since.empty() || !o.until.empty() || !o.ips.empty() || !o.ports.empty() ||
         !o.proto.empty() || !o.ids.empty();
}

Result<store::SessionQuery> to_query(const SessionFilterOptions& o) {
  store::SessionQuery q;
  if (!o.since.empty()) {
    auto t = display_zone().parse(o.since);
    if (!t) return make_error("--since: {}", t.error().message);
    q.since = t.value();
  }
  if (!o.until.empty()) {
    auto t = display_zone().parse(o.until);
    if (!t) return make_error("--until: {}", t.error().message);
    q.until = t.value();
  }
  for (const auto& ip : o.ips) {
    auto p = IpPrefix::parse(ip);
    if (!p) return make_error("--ip: {}", p.error().message);
    q.ips.push_back(p.value());
  }
  q.ports = o.ports;
  if (!o.proto.empty()) {
    const int t = records::transport_from_name(o.proto);
    if (t >= 0) {
      q.transport = t;
    } else {
      q.app = o.proto;
    }
  }
  q.ids = o.ids;
  q.limit = o.limit;
  return q;
}

}  // namespace kagami::app
