#include <iostream>

#include <CLI/CLI.hpp>

#include "kagami/store/packet_export.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/session_filters.h"

namespace kagami::app {
namespace {

struct ExportOptions {
  std::string store;
  std::uint64_t session = 0;
  SessionFilterOptions filters;
  std::string out;
};

int run_export(const ExportOptions& o) {
  store::StoreLayout layout{o.store};
  if (auto s = layout.check_exists(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  SessionFilterOptions f = o.filters;
  if (o.session != 0) f.ids.push_back(o.session);
  if (!has_filters(f)) {
    std::cerr << "error: give --session ID or filters (--ip, --port, --since, ...); exporting the "
                 "whole archive is a copy of STORE/packets\n";
    return 2;
  }
  auto q = to_query(f);
  if (!q) {
    std::cerr << "error: " << q.error().message << "\n";
    return 2;
  }
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  std::vector<std::uint64_t> ids;
  auto s = index.value()->query_sessions(q.value(), [&](const records::SessionRecord& r) {
    ids.push_back(r.id);
    return true;
  });
  if (!s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  if (ids.empty()) {
    std::cerr << "error: no session matches\n";
    return 1;
  }
  std::vector<PacketLocation> locations;
  for (std::uint64_t id : ids) {
    auto l = index.value()->session_locations(id);
    if (!l) {
      std::cerr << "error: " << l.error().message << "\n";
      return 1;
    }
    locations.insert(locations.end(), l->begin(), l->end());
  }
  auto r = store::export_packets(layout, *index.value(), std::move(locations), o.out);
  if (!r) {
    std::cerr << "error: " << r.error().message << "\n";
    return 1;
  }
  for (const auto& p : r->problems) std::cerr << "warning: " << p << "\n";
  std::cerr << "kagami: wrote " << r->packets << " packets of " << ids.size() << " session(s) to "
            << o.out << "\n";
  return r->unreadable == 0 ? 0 : 1;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand("export", "write the packets of sessions to a pcap file");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_option("--session", o->session, "session id");
  add_session_filters(*cmd, o->filters);
  cmd->add_option("-o,--output", o->out, "output pcap file")->required();
  cmd->callback([o, &exit_code] { exit_code = run_export(*o); });
}

}  // namespace kagami::app
