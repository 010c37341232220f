// `kagami audit verify|list`: the store's audit log.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/display_zone.h"
#include "app/record_rows.h"

namespace kagami::app {
namespace {

struct AuditOptions {
  std::string store;
  std::uint64_t limit = 100;
  bool json = false;
};

Result<std::unique_ptr<store::SqliteIndex>> open_index(const AuditOptions& o) {
  store::StoreLayout layout{o.store};
  if (auto s = layout.check_exists(); !s) return s.error();
  return store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadOnly);
}

int run_verify(const AuditOptions& o) {
  auto index = open_index(o);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  auto r = store::verify_audit(*index.value());
  if (!r) {
    std::cerr << "error: " << r.error().message << "\n";
    return 1;
  }
  for (const auto& p : r->problems) std::printf("BROKEN %s\n", p.c_str());
  std::printf("%s: %llu audit entries, %s\n", r->ok() ? "ok" : "FAILED",
              static_cast<unsigned long long>(r->entries),
              r->ok() ? "the hash chain holds" : "the chain is broken");
  return r->ok() ? 0 : 1;
}

int run_list(const AuditOptions& o) {
  auto index = open_index(o);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  auto entries = store::audit_entries(*index.value(), o.limit);
  if (!entries) {
    std::cerr << "error: " << entries.error().message << "\n";
    return 1;
  }
  if (!o.json)
    std::printf("%-6s %-27s %-20s %-15s %-10s %s\n", "ID", zone_label("TIME (UTC)").c_str(),
                "ACTOR", "SOURCE", "ACTION", "OBJECT");
  for (const auto& e : *entries) {
    if (o.json) {
      nlohmann::json j = {{"id", e.id},
                          {"ts", format_time_iso(e.ts, 6)},
                          {"actor", e.actor},
                          {"source", e.source},
                          {"action", e.action},
                          {"object", e.object},
                          {"detail", nlohmann::json::parse(e.detail, nullptr, false)},
                          {"hash", e.hash}};
      std::cout << records::dump_json(j) << '\n';
    } else {
      std::printf("%-6llu %-27s %-20s %-15s %-10s %s\n", static_cast<unsigned long long>(e.id),
                  shown_time(e.ts).c_str(), cell(e.actor, 20).c_str(), cell(e.source, 15).c_str(),
                  cell(e.action, 10).c_str(), cell(e.object, 120).c_str());
    }
  }
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("audit", "the audit log: who searched, viewed, exported");
  cmd->require_subcommand(1);
  {
    auto o = std::make_shared<AuditOptions>();
    CLI::App* v = cmd->add_subcommand("verify", "re-hash the audit log and check its chain");
    v->add_option("--store,-s", o->store, "store directory")->required();
    v->callback([o, &exit_code] { exit_code = run_verify(*o); });
  }
  {
    auto o = std::make_shared<AuditOptions>();
    CLI::App* l = cmd->add_subcommand("list", "the newest audit entries");
    l->add_option("--store,-s", o->store, "store directory")->required();
    l->add_option("--limit,-n", o->limit, "at most N (default 100)");
    l->add_flag("--json", o->json, "one JSON object per line");
    l->callback([o, &exit_code] { exit_code = run_list(*o); });
  }
}

}  // namespace kagami::app
