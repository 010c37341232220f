// `kagami search`: the query language on the command line.
#include <cstdio>
#include <iostream>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/query/search.h"
#include "kagami/records/json_text.h"
#include "kagami/records/record_json.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/cli_audit.h"
#include "app/commands.h"
#include "app/display_zone.h"
#include "app/record_rows.h"
#include "app/store_access.h"

namespace kagami::app {
namespace {

struct SearchOptions {
  std::string store;
  std::vector<std::string> words;
  std::string kind;
  std::uint64_t limit = 50;
  std::uint64_t offset = 0;
  bool oldest_first = false;
  std::string sort;
  bool json = false;
  bool count_only = false;
  bool list_fields = false;
};

int print_fields() {
  for (const auto& f : query::field_help()) {
    std::string names = f["name"].get<std::string>();
    for (const auto& a : f["aliases"]) names += ", " + a.get<std::string>();
    std::printf("%-40s %s\n", names.c_str(), f["help"].get<std::string>().c_str());
  }
  return 0;
}

// The page as table rows of its kind.
Status print_rows(store::SqliteIndex& index, query::Kind kind,
                  const std::vector<std::uint64_t>& ids) {
  // Nothing matched. (A query by no ids is a query for every record: 20 million rows read
  // to print none.)
  if (ids.empty()) return {};
  store::RecordQuery q;
  q.ids = ids;
  q.newest_first = true;
  auto line = [](const std::string& s) {
    std::printf("%s\n", s.c_str());
    return true;
  };
  // Rows come back in the index's order; the page's order is re-imposed by id position.
  std::vector<std::string> rows(ids.size());
  std::unordered_map<std::uint64_t, std::size_t> at;
  for (std::size_t i = 0; i < ids.size(); ++i) at.emplace(ids[i], i);
  auto put = [&](std::uint64_t id, std::string row) {
    if (auto it = at.find(id); it != at.end()) rows[it->second] = std::move(row);
    return true;
  };
  Status s;
  std::string header;
  switch (kind) {
    case query::Kind::kSessions: {
      header = sessions_header();
      store::SessionQuery sq;
      sq.ids = ids;
      s = index.query_sessions(sq, [&](const auto& r) { return put(r.id, session_row(r)); });
      break;
    }
    default: {
      // A declared record type, rendered from its declaration.
      records::for_each_declared_record_type([&]<class R>() {
        if (query::kind_of<R>() != kind) return;
        header = header_of<R>();
        s = index.query<R>(q, [&](const R& r) { return put(records::id_of(r), row_of(r)); });
      });
      break;
    }
    case query::Kind::kFiles:
      header = files_header();
      s = index.query_files(
          q, [&](const auto& f, const auto& e) { return put(e.id, files_row(f, e)); });
      break;
  }
  if (!s) return s;
  line(header);
  for (const auto& r : rows)
    if (!r.empty()) line(r);
  return {};
}

int run_search(const SearchOptions& o) {
  if (o.list_fields) return print_fields();
  if (o.store.empty()) {
    std::cerr << "error: --store is required\n";
    return 2;
  }
  store::StoreLayout layout{o.store};
  if (!check_store(layout)) return 1;
  query::SearchRequest req;
  req.zone = display_zone();
  for (const auto& w : o.words) req.query += (req.query.empty() ? "" : " ") + w;
  if (!o.kind.empty()) {
    query::Kind k;
    if (!query::kind_from_name(o.kind, k)) {
      std::cerr << "error: --kind is one of " << query::kind_names() << "\n";
      return 2;
    }
    req.kind = k;
  }
  req.limit = o.count_only ? 0 : o.limit;
  req.offset = o.offset;
  req.oldest_first = o.oldest_first;
  req.sort = o.sort;
  auto index = read_index(layout);
  if (!index) return 1;
  auto page = query::search(*index, req);
  if (!page) {
    std::cerr << "error: " << page.error().message << "\n";
    return 2;
  }
  const nlohmann::json detail = {{"kind", query::kind_name(page->kind)},
                                 {"total", page->total},
                                 {"offset", req.offset},
                                 {"shown", page->ids.size()}};
  if (auto a = cli_audit(layout, "search", req.query, records::dump_json(detail)); !a) {
    std::cerr << "error: " << a.error().message << "\n";
    return 1;
  }
  if (!o.count_only) {
    if (o.json) {
      auto recs = query::page_records(*index, page->kind, page->ids);
      if (!recs) {
        std::cerr << "error: " << recs.error().message << "\n";
        return 1;
      }
      for (const auto& r : *recs) std::cout << records::dump_json(r) << '\n';
      std::cout.flush();
    } else if (auto s = print_rows(*index, page->kind, page->ids); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 1;
    }
  }
  std::fflush(stdout);
  for (const query::QueryHint& h : page->hints)
    std::fprintf(stderr, "hint: %s\n", h.message.c_str());
  std::fprintf(stderr, "%zu of %s%llu %s (%.1f ms)\n", page->ids.size(),
               page->total_capped ? "at least " : "", static_cast<unsigned long long>(page->total),
               query::kind_name(page->kind), page->elapsed_ms);
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SearchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "search", "search the store: host:*.example.com AND method:POST, user:tanaka finding:*");
  cmd->add_option("--store,-s", o->store, "store directory");
  cmd->add_option("query", o->words, "the query (see --fields); quote it for the shell");
  cmd->add_option(
      "--kind,-k", o->kind,
      "what to list: " + query::kind_names() + " (default: what the query's fields suggest)");
  cmd->add_option("--limit,-n", o->limit, "records per page (default 50)");
  cmd->add_option("--offset", o->offset, "skip this many first");
  cmd->add_flag("--oldest-first", o->oldest_first, "oldest first (default: newest first)");
  cmd->add_option("--sort", o->sort,
                  "a column of the list to sort by, '-' first for descending (-size, host); "
                  "ties by time");
  cmd->add_flag("--count", o->count_only, "only count");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_flag("--fields", o->list_fields, "list the fields the language knows");
  cmd->callback([o, &exit_code] { exit_code = run_search(*o); });
}

}  // namespace kagami::app
