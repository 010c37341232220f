#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "kagami/query/search.h"
#include "kagami/store/packet_export.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/cli_audit.h"
#include "app/commands.h"
#include "app/display_zone.h"
#include "app/session_filters.h"
#include "app/store_access.h"

namespace kagami::app {
namespace {

struct ExportOptions {
  std::string store;
  std::uint64_t session = 0;
  SessionFilterOptions filters;
  std::vector<std::string> query;
  std::string out;
  bool raw = false;
};

int run_export(const ExportOptions& o) {
  store::StoreLayout layout{o.store};
  if (!check_store(layout)) return 1;
  SessionFilterOptions f = o.filters;
  if (o.session != 0) f.ids.push_back(o.session);
  std::string text;
  for (const auto& w : o.query) text += (text.empty() ? "" : " ") + w;
  if (!has_filters(f) && text.empty()) {
    std::cerr << "error: give --session ID, a query or filters (--ip, --port, --since, ...); "
                 "exporting the whole archive is a copy of STORE/packets\n";
    return 2;
  }
  auto q = to_query(f);
  if (!q) {
    std::cerr << "error: " << q.error().message << "\n";
    return 2;
  }
  auto index = read_index(layout);
  if (!index) return 1;
  std::vector<std::uint64_t> ids;
  if (!text.empty()) {
    // A query names sessions like a console search does; one file holds at most a page's worth.
    query::SearchRequest req;
    req.zone = display_zone();
    req.query = text;
    req.kind = query::Kind::kSessions;
    req.limit = query::kMaxPageSize;
    req.count_cap = query::kMaxPageSize + 1;
    req.oldest_first = true;
    auto page = query::search(*index, req);
    if (!page) {
      std::cerr << "error: " << page.error().message << "\n";
      return 2;
    }
    if (page->total > query::kMaxPageSize) {
      std::cerr << "error: more than " << query::kMaxPageSize
                << " sessions match; narrow the query (a time range, a host) to export them\n";
      return 2;
    }
    ids = page->ids;
  }
  if (has_filters(f)) {
    // Filters and a query together: the sessions both name.
    std::vector<std::uint64_t> filtered;
    auto s = index->query_sessions(q.value(), [&](const records::SessionRecord& r) {
      filtered.push_back(r.id);
      return true;
    });
    if (!s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 1;
    }
    if (text.empty()) {
      ids = std::move(filtered);
    } else {
      std::erase_if(ids, [&](std::uint64_t id) {
        return std::find(filtered.begin(), filtered.end(), id) == filtered.end();
      });
    }
  }
  if (ids.empty()) {
    std::cerr << "error: no session matches\n";
    return 1;
  }
  std::string object = text;
  if (object.empty()) {
    for (const std::uint64_t id : ids)
      object += (object.empty() ? "session:" : ",") + std::to_string(id);
  }
  const std::string detail = "{\"sessions\":" + std::to_string(ids.size()) +
                             ",\"raw\":" + (o.raw ? "true" : "false") + "}";
  if (auto a = cli_audit(layout, "export", object.substr(0, 2000), detail); !a) {
    std::cerr << "error: " << a.error().message << "\n";
    return 1;
  }
  // What an investigator took out is evidence: retention keeps its packets longer.
  if (auto w = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
      !w || !w.value()->hold_sessions(ids, wall_clock_ns(), "export"))
    std::cerr << "warning: the exported sessions could not be held as evidence\n";
  std::vector<PacketLocation> locations;
  for (std::uint64_t id : ids) {
    auto l = index->session_locations(id);
    if (!l) {
      std::cerr << "error: " << l.error().message << "\n";
      return 1;
    }
    locations.insert(locations.end(), l->begin(), l->end());
  }
  store::ExportOptions options;
  options.raw = o.raw;
  auto r = store::export_packets(layout, *index, std::move(locations), o.out, options);
  if (!r) {
    std::cerr << "error: " << r.error().message << "\n";
    return 1;
  }
  for (const auto& p : r->problems) std::cerr << "warning: " << p << "\n";
  std::cerr << "kagami: wrote " << r->packets << " packets of " << ids.size() << " session(s) to "
            << o.out;
  if (o.raw)
    std::cerr << ", as captured (credentials included)";
  else
    std::cerr << ", " << r->masked_bytes << " credential byte(s) masked in " << r->masked_packets
              << " packet(s)";
  std::cerr << "\n";
  return r->unreadable == 0 ? 0 : 1;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand("export", "write the packets of sessions to a pcap file");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_option("--session", o->session, "session id");
  add_session_filters(*cmd, o->filters);
  cmd->add_option("query", o->query, "sessions a search query names (kagami search --fields)");
  cmd->add_option("-o,--output", o->out, "output pcap file")->required();
  cmd->add_flag("--raw", o->raw,
                "the packets as captured, credentials included (masked otherwise; audited)");
  cmd->callback([o, &exit_code] { exit_code = run_export(*o); });
}

}  // namespace kagami::app
