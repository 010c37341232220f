// `kagami <record kind>|files|findings|alerts`: the analyzers' and inspectors' records, with the
// filters of `sessions`. Each declared record type (records/record_types.h) is a command, with
// the options its fields answer.
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/inspect/alert_policy.h"
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

struct RecordOptions {
  std::string store;
  std::string since, until;
  std::vector<std::string> ips;
  std::vector<std::uint16_t> ports;
  std::string host;
  std::vector<std::uint64_t> sessions;
  std::string sha256, name, detector, severity;
  std::uint64_t limit = 0;
  bool newest_first = false;
  bool json = false;
};

Result<store::RecordQuery> to_record_query(const RecordOptions& o) {
  SessionFilterOptions f;
  f.since = o.since;
  f.until = o.until;
  f.ips = o.ips;
  auto sq = to_query(f);
  if (!sq) return sq.error();
  store::RecordQuery q;
  q.since = sq->since;
  q.until = sq->until;
  q.ips = sq->ips;
  q.ports = o.ports;
  if (!o.host.empty()) q.host = o.host;
  q.session_ids = o.sessions;
  if (!o.sha256.empty()) q.sha256 = o.sha256;
  if (!o.name.empty()) q.name = o.name;
  if (!o.detector.empty()) q.detector = o.detector;
  if (!o.severity.empty()) {
    inspect::Severity s;
    if (!inspect::severity_from_name(o.severity, s))
      return make_error("--severity must be info, low, medium, high or critical");
    q.min_severity = static_cast<int>(s);
  }
  q.limit = o.limit;
  q.newest_first = o.newest_first;
  return q;
}

// Runs one listing: opens the index, prints a header, then a row (or a JSON line) per record.
template <typename Query, typename Row>
int run_listing(const RecordOptions& o, const char* header, const char* noun, Query query,
                Row row) {
  store::StoreLayout layout{o.store};
  if (!check_store(layout)) return 1;
  auto q = to_record_query(o);
  if (!q) {
    std::cerr << "error: " << q.error().message << "\n";
    return 2;
  }
  auto index = read_index(layout);
  if (!index) return 1;
  if (!o.json) std::printf("%s\n", header);
  std::uint64_t n = 0;
  const Status s = query(*index, q.value(), [&](const auto&... r) {
    ++n;
    if (o.json) {
      std::cout << records::dump_json(records::to_json(r...)) << '\n';
    } else {
      std::cout << row(r...) << '\n';
    }
    return true;
  });
  std::cout.flush();
  if (!s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  if (!o.json) std::fprintf(stderr, "%llu %s\n", static_cast<unsigned long long>(n), noun);
  return 0;
}

// A record type's listing, its header and rows from its declaration.
template <class R>
int run_records(const RecordOptions& o) {
  const std::string header = header_of<R>();
  const std::string noun(R::kType.noun);
  return run_listing(
      o, header.c_str(), noun.c_str(),
      [](store::SqliteIndex& ix, const store::RecordQuery& q, auto fn) {
        return ix.query<R>(q, fn);
      },
      [](const R& r) { return row_of(r); });
}

// The options a record type's fields answer (the index filters by the same fields): --host
// for its host column, --sha256, --detector and --severity for fields of those names, each
// explained in the words of the field's declaration.
struct FieldOptions : records::FieldVisitor {
  CLI::App* cmd;
  RecordOptions* o;
  std::string_view host_column;
  template <class T>
  void operator()(const T&, const records::Field& f) {
    const std::string meaning(f.meaning);
    if (!host_column.empty() && f.column_name() == host_column)
      cmd->add_option("--host", o->host, meaning + " ('*' wildcards)");
    else if (f.name == "sha256")
      cmd->add_option("--sha256", o->sha256, meaning + " (hex)");
    else if (f.name == "detector")
      cmd->add_option("--detector", o->detector, meaning + ", '*' wildcards");
    else if (f.name == "severity")
      cmd->add_option("--severity", o->severity, "at least this severity: " + meaning);
  }
};

int run_files(const RecordOptions& o) {
  const std::string header = files_header();
  return run_listing(
      o, header.c_str(), "file sighting(s)",
      [](store::SqliteIndex& ix, const store::RecordQuery& q, auto fn) {
        return ix.query_files(q, fn);
      },
      [](const records::FileRecord& f, const records::FileEvent& e) { return files_row(f, e); });
}

CLI::App* add_listing(CLI::App& app, const char* name, const char* help,
                      std::shared_ptr<RecordOptions> o) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_option("--since", o->since,
                  "records at or after T (epoch seconds or ISO 8601, UTC unless a zone is given)");
  cmd->add_option("--until", o->until, "records at or before T");
  cmd->add_option("--ip", o->ips, "client or server address or CIDR prefix (repeatable)");
  cmd->add_option("--port", o->ports, "client or server port (repeatable)");
  cmd->add_option("--session", o->sessions, "session id (repeatable)");
  cmd->add_option("--limit", o->limit, "at most N records");
  cmd->add_flag("--newest-first", o->newest_first, "most recent first");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  return cmd;
}

}  // namespace

void add_record_listing_commands(CLI::App& app, int& exit_code) {
  records::for_each_declared_record_type([&]<class R>() {
    auto o = std::make_shared<RecordOptions>();
    const std::string name(R::kType.kind), help(R::kType.help);
    CLI::App* c = add_listing(app, name.c_str(), help.c_str(), o);
    FieldOptions options;
    options.cmd = c;
    options.o = o.get();
    options.host_column = R::kType.host_column;
    R r;
    R::describe(r, options);
    c->callback([o, &exit_code] { exit_code = run_records<R>(*o); });
  });
  {
    auto o = std::make_shared<RecordOptions>();
    CLI::App* c = add_listing(app, "files", "list extracted files and where they were seen", o);
    c->add_option("--sha256", o->sha256, "the file's SHA-256 (hex)");
    c->add_option("--name", o->name, "the name it was given ('*' wildcards)");
    c->callback([o, &exit_code] { exit_code = run_files(*o); });
  }
}

}  // namespace kagami::app
