#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"
#include "kagami/records/record_json.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/record_rows.h"
#include "app/session_filters.h"
#include "app/store_access.h"

namespace kagami::app {
namespace {

struct SessionsOptions {
  std::string store;
  SessionFilterOptions filters;
  bool json = false;
  bool newest_first = false;
};

int run_sessions(const SessionsOptions& o) {
  store::StoreLayout layout{o.store};
  if (!check_store(layout)) return 1;
  auto q = to_query(o.filters);
  if (!q) {
    std::cerr << "error: " << q.error().message << "\n";
    return 2;
  }
  q->newest_first = o.newest_first;
  auto index = read_index(layout);
  if (!index) return 1;
  std::uint64_t n = 0;
  if (!o.json) std::printf("%s\n", sessions_header().c_str());
  auto s = index->query_sessions(q.value(), [&](const records::SessionRecord& r) {
    ++n;
    if (o.json) {
      std::cout << records::dump_json(records::to_json(r)) << '\n';
      return true;
    }
    std::printf("%s\n", session_row(r).c_str());
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
