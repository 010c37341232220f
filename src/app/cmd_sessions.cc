#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/records/record_json.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/session_filters.h"

namespace kagami::app {
namespace {

struct SessionsOptions {
  std::string store;
  SessionFilterOptions filters;
  bool json = false;
  bool newest_first = false;
};

std::string endpoint(const IpAddress& ip, std::uint16_t port, std::uint8_t transport) {
  const std::string a = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
  if (transport != 6 && transport != 17) return a;
  return a + ":" + std::to_string(port);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "-" : s;
}

int run_sessions(const SessionsOptions& o) {
  store::StoreLayout layout{o.store};
  if (auto s = layout.check_exists(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  auto q = to_query(o.filters);
  if (!q) {
    std::cerr << "error: " << q.error().message << "\n";
    return 2;
  }
  q->newest_first = o.newest_first;
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  std::uint64_t n = 0;
  if (!o.json)
    std::printf("%-8s %-27s %10s %-6s %-41s %-41s %15s %21s %s\n", "ID", "START (UTC)", "SECONDS",
                "PROTO", "CLIENT", "SERVER", "PKTS C>S/S>C", "BYTES C>S/S>C", "FLAGS");
  auto s = index.value()->query_sessions(q.value(), [&](const records::SessionRecord& r) {
    ++n;
    if (o.json) {
      std::cout << records::to_json(r).dump() << '\n';
      return true;
    }
    const std::string pkts = std::to_string(r.pkts_c2s) + "/" + std::to_string(r.pkts_s2c);
    const std::string bytes = std::to_string(r.bytes_c2s) + "/" + std::to_string(r.bytes_s2c);
    std::printf("%-8llu %-27s %10.3f %-6s %-41s %-41s %15s %21s %s\n",
                static_cast<unsigned long long>(r.id), format_time_iso(r.ts_first, 6).c_str(),
                static_cast<double>(r.ts_last - r.ts_first) / 1e9,
                records::transport_name(r.transport).c_str(),
                endpoint(r.client_ip, r.client_port, r.transport).c_str(),
                endpoint(r.server_ip, r.server_port, r.transport).c_str(), pkts.c_str(),
                bytes.c_str(), join(records::session_flag_names(r.flags)).c_str());
    return true;
  });
  std::cout.flush();
  std::fflush(stdout);
  if (!s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  if (!o.json) std::fprintf(stderr, "%llu session(s)\n", static_cast<unsigned long long>(n));
  return 0;
}

}  // namespace

void add_sessions_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SessionsOptions>();
  CLI::App* cmd = app.add_subcommand("sessions", "list recorded sessions");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  add_session_filters(*cmd, o->filters);
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_flag("--newest-first", o->newest_first, "most recent sessions first");
  cmd->callback([o, &exit_code] { exit_code = run_sessions(*o); });
}

}  // namespace kagami::app
