#include "kagami/query/search.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "kagami/query/search_compiler.h"
#include "kagami/query/session_rollups.h"
#include "kagami/query/text_match.h"
#include "kagami/records/record_json.h"

namespace kagami::query {

namespace {

bool match_all(std::string_view q) {
  while (!q.empty() && (q.front() == ' ' || q.front() == '\t')) q.remove_prefix(1);
  while (!q.empty() && (q.back() == ' ' || q.back() == '\t')) q.remove_suffix(1);
  return q.empty() || q == "*";
}

// Rows of one full-text kind holding a piece of text, estimated from how far back its newest
// kSample matches reach (ids grow with time, so the span they cover gives the density); fewer
// than kSample are counted exactly. A few dozen index entries per piece, however common.
class TextRowEstimator {
 public:
  explicit TextRowEstimator(store::SqliteIndex& index) : index_(index) {}

  std::uint64_t operator()(records::TextKind kind, std::string_view piece) {
    const auto key = std::make_pair(kind, std::string(piece));
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    const std::int64_t lo = store::text_rowid(kind), hi = store::last_text_rowid(kind);
    std::uint64_t estimate = 0;
    std::int64_t newest = newest_[kind];
    if (newest == 0) {
      (void)index_.select(
          "SELECT rowid FROM text_fts WHERE rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT 1",
          {lo, hi},
          [&](const store::SqlRow& r) {
            newest = r.i64(0);
            return false;
          },
          kProbeMs);
      newest_[kind] = newest = std::max(newest, lo);
    }
    (void)index_.select(
        "SELECT count(*), min(rowid) FROM (SELECT rowid FROM text_fts WHERE text_fts MATCH ? "
        "AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?)",
        {fts_phrase(piece), lo, hi, std::int64_t{kSample}},
        [&](const store::SqlRow& r) {
          const auto n = static_cast<std::uint64_t>(r.i64(0));
          estimate = n;
          if (n == kSample) {
            const auto span =
                static_cast<std::uint64_t>(std::max<std::int64_t>(1, newest - r.i64(1) + 1));
            estimate = kSample * static_cast<std::uint64_t>(newest - lo) / span;
          }
          return false;
        },
        kProbeMs);
    cache_.emplace(key, estimate);
    return estimate;
  }

 private:
  static constexpr std::uint64_t kSample = 256;
  static constexpr std::uint32_t kProbeMs = 50;
  store::SqliteIndex& index_;
  std::map<std::pair<records::TextKind, std::string>, std::uint64_t> cache_;
  std::map<records::TextKind, std::int64_t> newest_;
};

}  // namespace

namespace {

// "and", "or", "not" written in lower case are searched as words (the operators are upper
// case): valid, and almost never what was meant.
void add_hints(const Node& n, std::vector<QueryHint>& hints) {
  if (n.type == Node::Type::kText && !n.quoted &&
      (n.value == "and" || n.value == "or" || n.value == "not")) {
    std::string upper;
    for (const char c : n.value) upper += static_cast<char>(c - 'a' + 'A');
    for (const QueryHint& h : hints)
      if (h.word == n.value) return;
    hints.push_back({"lowercase_operator", n.value,
                     "'" + n.value + "' is searched as a word; the operator is written " + upper});
  }
  for (const Node& c : n.children) add_hints(c, hints);
}

}  // namespace

Result<CompiledQuery> compile_request(store::SqliteIndex& index, const SearchRequest& request,
                                      QueryError* where) {
  CompiledQuery cq;
  if (match_all(request.query)) {
    cq.kind = request.kind.value_or(Kind::kSessions);
    cq.table = table_of(cq.kind);
    cq.id_column = id_column_of(cq.kind);
    cq.ts_column = cq.kind == Kind::kSessions ? "ts_first" : "ts";
    cq.ts_index = time_index_of(cq.kind);
    cq.where = cq.where_rows = "1";
    cq.sessions_in_window = cq.kind == Kind::kSessions;
    return cq;
  }
  Node root;
  QueryError err;
  CompileOptions options;
  options.kind = request.kind;
  options.now = request.now != 0 ? request.now : wall_clock_ns();
  options.zone = request.zone;
  options.document_text = request.document_text;
  if (auto m = index.max_session_ns(); m) options.max_session_ns = *m;
  auto rows = std::make_shared<TextRowEstimator>(index);
  options.text_match = [rows](records::TextKind kind, std::string_view text) {
    return plan_text_match(text, [&](std::string_view piece) { return (*rows)(kind, piece); });
  };
  if (!parse_query(request.query, root, err) || !compile_query(root, options, cq, err)) {
    if (where != nullptr) *where = err;
    return Error{err.render(request.query)};
  }
  add_hints(root, cq.hints);
  return cq;
}

namespace {

// Free text every match holds (CompiledQuery::driver_kind): the full-text index lists
// candidates in its own order, each tested against the rest of the query as a row, up to
// `cap`; then the records the text reaches only another way (an attached document, a
// session's messages). Fewer than `cap` in all: `ids` is every match, once. A common phrase
// reaches the cap without the index listing all its matches, which an `IN` list would.
Status drive_text(store::SqliteIndex& index, const CompiledQuery& cq, const SearchRequest& request,
                  std::vector<std::uint64_t>& ids) {
  const auto cap = static_cast<std::int64_t>(request.count_cap);
  const std::int64_t lo = store::text_rowid(cq.driver_kind);
  std::vector<store::SqlValue> binds = {lo, cq.driver_match, lo,
                                        store::last_text_rowid(cq.driver_kind)};
  std::string texts =
      "(SELECT rowid - ? AS text_id FROM text_fts WHERE text_fts MATCH ? AND rowid BETWEEN ? "
      "AND ?";
  if (!cq.driver_verify.empty()) {
    texts += " AND kagami_has_text(body, ?)";
    binds.emplace_back(cq.driver_verify);
  }
  texts += ") AS t";
  // Sessions through their records (requests), each session once (the subquery keeps the
  // records' columns out of the predicate's sight).
  const bool sessions = cq.kind == Kind::kSessions;
  const std::string& d = cq.driver_table;
  const std::string candidates =
      sessions ? "(SELECT DISTINCT " + d + ".session_id AS text_id FROM " + texts + " CROSS JOIN " +
                     d + " ON " + d + ".id = t.text_id) AS u"
               : texts;
  binds.insert(binds.end(), cq.driver_rest_binds.begin(), cq.driver_rest_binds.end());
  binds.emplace_back(cap);
  auto collect = [&](const store::SqlRow& r) {
    ids.push_back(static_cast<std::uint64_t>(r.i64(0)));
    return true;
  };
  // Joined even when nothing else is asked: a record listed must exist (a session's
  // requests can be stored before the session ends).
  Status s = index.select("SELECT " + cq.table + ".id FROM " + candidates + " CROSS JOIN " +
                              cq.table + " ON " + cq.table + ".id = " + (sessions ? "u" : "t") +
                              ".text_id WHERE " + cq.driver_rest + " LIMIT ?",
                          binds, collect, request.budget_ms);
  if (!s || static_cast<std::int64_t>(ids.size()) >= cap) return s;
  binds = cq.driver_beyond_binds;
  binds.insert(binds.end(), cq.driver_rest_binds.begin(), cq.driver_rest_binds.end());
  binds.emplace_back(cap - static_cast<std::int64_t>(ids.size()));
  return index.select("SELECT id FROM " + cq.table + " WHERE " + cq.driver_beyond + " AND (" +
                          cq.driver_rest + ") LIMIT ?",
                      binds, collect, request.budget_ms);
}

std::string ids_json(const std::vector<std::uint64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

// The ORDER BY of a sort asked for by name: a column of the kind's table (checked against
// the table itself, since the name reaches the SQL text), then time and id.
Result<std::string> order_by(store::SqliteIndex& index, const CompiledQuery& cq,
                             const SearchRequest& request, bool by_time) {
  const char* dir = request.oldest_first ? "" : " DESC";
  std::string tail = cq.ts_column + dir + ", " + cq.id_column + dir + " LIMIT ? OFFSET ?";
  if (request.sort.empty()) return " ORDER BY " + tail;
  std::string_view name = request.sort;
  const bool descending = name.front() == '-';
  if (descending) name.remove_prefix(1);
  std::string expr;
  if (name == "bytes" && cq.kind == Kind::kSessions) expr = "bytes_c2s + bytes_s2c";
  (void)index.select("SELECT name FROM pragma_table_info(?) WHERE name = ?",
                     {cq.table, std::string(name)}, [&](const store::SqlRow& r) {
                       expr = r.text(0);
                       return false;
                     });
  if (expr.empty()) return make_error("{} cannot be sorted by '{}'", kind_name(cq.kind), name);
  // Severities by rank, not by their names' letters.
  if (expr == "severity")
    expr =
        "CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
        "WHEN 'low' THEN 1 ELSE 0 END";
  if (by_time) return " ORDER BY " + tail;  // checked, not used
  return " ORDER BY " + expr + (descending ? " DESC, " : ", ") + tail;
}

}  // namespace

Result<SearchPage> search(store::SqliteIndex& index, const SearchRequest& request,
                          QueryError* where) {
  const auto started = std::chrono::steady_clock::now();
  if (request.limit > kMaxPageSize)
    return make_error("a page holds at most {} records", kMaxPageSize);
  if (request.offset > kMaxOffset)
    return make_error("pages start at most {} records in; narrow the query instead", kMaxOffset);
  auto compiled = compile_request(index, request, where);
  if (!compiled) return compiled.error();
  const CompiledQuery& cq = *compiled;
  SearchPage page;
  page.kind = cq.kind;
  page.hints = cq.hints;
  const std::string from = " FROM " + cq.table + " WHERE " + cq.where;
  Status s;
  const auto cap = static_cast<std::int64_t>(request.count_cap);
  // Every match, when free text drove the count and found fewer than the cap.
  std::optional<std::vector<std::uint64_t>> all;
  if (cap > 0 && cq.driver_kind != records::TextKind::kNone) {
    std::vector<std::uint64_t> ids;
    s = drive_text(index, cq, request, ids);
    if (!s) return s.error();
    page.total = ids.size();
    if (static_cast<std::int64_t>(ids.size()) < cap) all = std::move(ids);
  } else if (cap > 0) {
    // A capped count: "at least 10,000" answers as well as the exact figure and does not
    // read millions of rows to say it. It also tells how dense the matches are.
    std::vector<store::SqlValue> binds = cq.binds;
    binds.emplace_back(cap);
    s = index.select(
        "SELECT count(*) FROM (SELECT 1" + from + " LIMIT ?)", binds,
        [&](const store::SqlRow& r) {
          page.total = static_cast<std::uint64_t>(r.i64(0));
          return false;
        },
        request.budget_ms);
    if (!s) return s.error();
  }
  page.total_capped = cap > 0 && page.total >= request.count_cap;
  if (request.limit == 0 || (all && all->empty())) {
    page.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return page;
  }
  // Sorting by a column means reading every match: beyond the count's cap that is millions of
  // rows for one page, so the page stays in time order and a hint says why.
  const bool sort_by_time = request.sort.empty() || page.total_capped;
  if (!request.sort.empty() && page.total_capped) {
    const std::string column = request.sort.front() == '-' ? request.sort.substr(1) : request.sort;
    page.hints.push_back({"sort_too_many", column,
                          "sorting by " + column + " is for at most " +
                              std::to_string(request.count_cap) +
                              " matches; these are in time order (narrow the query to sort)"});
  }
  auto ordered = order_by(index, cq, request, sort_by_time);
  if (!ordered) return ordered.error();
  const std::string& order = *ordered;
  std::vector<store::SqlValue> binds = cq.binds;
  binds.emplace_back(static_cast<std::int64_t>(request.limit));
  binds.emplace_back(static_cast<std::int64_t>(request.offset));
  auto collect = [&](const store::SqlRow& r) {
    page.ids.push_back(static_cast<std::uint64_t>(r.i64(0)));
    return true;
  };
  bool done = false;
  if (all) {
    // The matches are known: their page is a sort of at most the cap's worth of records.
    std::vector<store::SqlValue> page_binds = {ids_json(*all)};
    page_binds.insert(page_binds.end(), binds.end() - 2, binds.end());
    s = index.select("SELECT " + cq.id_column + " FROM " + cq.table +
                         " WHERE id IN (SELECT value FROM json_each(?))" + order,
                     page_binds, collect, request.budget_ms);
    if (!s) return s.error();
    done = true;
  } else if (page.total_capped && !cq.ts_index.empty() && sort_by_time) {
    // Many matches: walking the time index newest first meets a page of them soon, where
    // the planner would gather every match of a selective-looking index and sort them.
    // Matches bunched far from the end defeat this: a short budget, then the planner's way.
    // Rows are tested one by one here, so free text is read from each row.
    const std::uint32_t budget = std::min<std::uint32_t>(request.budget_ms, kOrderedScanMs);
    std::vector<store::SqlValue> row_binds = cq.binds_rows;
    row_binds.insert(row_binds.end(), binds.end() - 2, binds.end());
    s = index.select("SELECT " + cq.id_column + " FROM " + cq.table + " INDEXED BY " + cq.ts_index +
                         " WHERE " + cq.where_rows + order,
                     row_binds, collect, budget);
    done = s.ok();
    if (!done) page.ids.clear();
  }
  if (!done) {
    s = index.select("SELECT " + cq.id_column + from + order, binds, collect, request.budget_ms);
    if (!s) return s.error();
  }
  page.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return page;
}

namespace {
template <class R>
Status each_json(store::SqliteIndex& index, const store::RecordQuery& q, const RecordJsonFn& fn) {
  return index.query<R>(q, [&](const R& r) { return fn(records::id_of(r), records::to_json(r)); });
}
}  // namespace

Status for_each_record_json(store::SqliteIndex& index, Kind kind, const store::RecordQuery& q,
                            const RecordJsonFn& fn) {
  switch (kind) {
    case Kind::kSessions: {
      store::SessionQuery sq;
      sq.ids = q.ids;
      sq.limit = q.limit;
      sq.newest_first = q.newest_first;
      return index.query_sessions(sq, [&](const auto& r) { return fn(r.id, records::to_json(r)); });
    }
    default: {
      Status out;
      records::for_each_declared_record_type([&]<class R>() {
        if (kind_of<R>() == kind) out = each_json<R>(index, q, fn);
      });
      return out;
    }
    case Kind::kFiles:
      return index.query_files(
          q, [&](const auto& f, const auto& e) { return fn(e.id, records::to_json(f, e)); });
  }
  return {};
}

Result<nlohmann::json> page_records(store::SqliteIndex& index, Kind kind,
                                    const std::vector<std::uint64_t>& ids) {
  nlohmann::json out = nlohmann::json::array();
  if (ids.empty()) return out;
  std::unordered_map<std::uint64_t, nlohmann::json> by_id;
  store::RecordQuery q;
  q.ids = ids;
  const Status s = for_each_record_json(index, kind, q, [&](std::uint64_t id, nlohmann::json j) {
    by_id.emplace(id, std::move(j));
    return true;
  });
  if (!s) return s.error();
  for (const std::uint64_t id : ids) {
    auto it = by_id.find(id);
    if (it != by_id.end()) out.push_back(std::move(it->second));
  }
  return out;
}

Result<Timeline> timeline(store::SqliteIndex& index, const SearchRequest& request,
                          std::size_t buckets, QueryError* where, bool bytes) {
  if (buckets == 0 || buckets > 1000) return make_error("a timeline has 1 to 1000 buckets");
  auto compiled = compile_request(index, request, where);
  if (!compiled) return compiled.error();
  const CompiledQuery& cq = *compiled;
  if (auto rolled = rollup_timeline(index, cq, buckets, request.budget_ms)) {
    if (*rolled && !bytes) std::fill((*rolled)->bytes.begin(), (*rolled)->bytes.end(), 0);
    return std::move(*rolled);
  }
  const std::string from = " FROM " + cq.table + " WHERE " + cq.where;
  Timeline t;
  TimeNs first = 0, last = 0;
  bool any = false;
  Status s = index.select(
      "SELECT min(" + cq.ts_column + "), max(" + cq.ts_column + ")" + from, cq.binds,
      [&](const store::SqlRow& r) {
        any = !r.null(0);
        first = r.i64(0);
        last = r.i64(1);
        return false;
      },
      request.budget_ms);
  if (!s) return s.error();
  t.counts.assign(buckets, 0);
  t.bytes.assign(buckets, 0);
  if (!any) return t;
  const TimelineGrid grid = timeline_grid(first, last, buckets);
  t.start = grid.start;
  t.width = grid.width;
  const bool sessions = cq.kind == Kind::kSessions && bytes;
  std::vector<store::SqlValue> binds;
  binds.emplace_back(t.start);
  binds.emplace_back(t.width);
  binds.insert(binds.end(), cq.binds.begin(), cq.binds.end());
  s = index.select(
      "SELECT (" + cq.ts_column + " - ?) / ? AS b, count(*), " +
          (sessions ? "sum(bytes_c2s + bytes_s2c)" : "0") + from + " GROUP BY b",
      binds,
      [&](const store::SqlRow& r) {
        const auto b = static_cast<std::size_t>(std::max<std::int64_t>(0, r.i64(0)));
        if (b < buckets) {
          t.counts[b] = static_cast<std::uint64_t>(r.i64(1));
          t.bytes[b] = static_cast<std::uint64_t>(r.i64(2));
        }
        return true;
      },
      request.budget_ms);
  if (!s) return s.error();
  return t;
}

namespace {
// The rows an aggregate reads, with their binds: every match, or the newest `sample` of them
// (an index on the query's own terms, a user's or a host's, gives those without reading the
// rest). A query naming several hosts ("*.example.com") takes each one's newest from its own
// range of the host index and keeps the newest of those: one range over all of them is in host
// order, and a popular domain's every session would be read and sorted to find its newest.
struct Rows {
  std::string sql;
  std::vector<store::SqlValue> binds;
};
Result<Rows> aggregate_rows(store::SqliteIndex& index, const CompiledQuery& cq,
                            std::uint64_t sample, const std::string& columns,
                            std::uint32_t budget_ms) {
  const std::string limit = " LIMIT " + std::to_string(sample);
  if (sample > 0 && cq.value_field == "host") {
    constexpr std::size_t kMaxHosts = 64;
    auto hosts = rolled_values(index, cq, kMaxHosts, budget_ms);
    if (!hosts) return hosts.error();
    if (*hosts && (*hosts)->size() > 1) {
      std::set<std::string> keys;
      for (const RolledValue& h : **hosts) keys.insert(h.key);
      Rows rows;
      std::string newest;
      for (const std::string& k : keys) {
        newest += std::string(newest.empty() ? "" : " UNION ALL ") +
                  "SELECT id, ts_first FROM (SELECT id, ts_first FROM sessions WHERE host_rev = ? "
                  "ORDER BY ts_first DESC" +
                  limit + ")";
        rows.binds.emplace_back(k);
      }
      rows.sql = "(SELECT " + columns + " FROM sessions WHERE id IN (SELECT id FROM (" + newest +
                 ") ORDER BY ts_first DESC" + limit + "))";
      return rows;
    }
  }
  Rows rows{"(SELECT " + columns + " FROM " + cq.table + " WHERE " + cq.where, cq.binds};
  if (sample > 0) rows.sql += " ORDER BY " + cq.ts_column + " DESC" + limit;
  rows.sql += ")";
  return rows;
}
}  // namespace

Result<std::vector<TopValue>> top_values(store::SqliteIndex& index, const SearchRequest& request,
                                         const std::string& field, std::size_t n, QueryError* where,
                                         std::uint64_t sample) {
  if (n == 0 || n > 1000) return make_error("top lists have 1 to 1000 values");
  auto compiled = compile_request(index, request, where);
  if (!compiled) return compiled.error();
  const CompiledQuery& cq = *compiled;
  const Field* f = find_field(field);
  const FieldColumn* col = nullptr;
  if (f != nullptr)
    for (const FieldColumn& c : f->columns)
      if (c.table == cq.kind && countable(*f, c)) col = &c;
  if (col == nullptr)
    return make_error("cannot count values of '{}' among {}", field, kind_name(cq.kind));
  if (sample == 0)
    if (auto rolled = rollup_top(index, cq, col->columns, n, request.budget_ms))
      return std::move(*rolled);
  const bool ip = f->type == ValueType::kIp;
  auto rows = aggregate_rows(index, cq, sample, col->columns, request.budget_ms);
  if (!rows) return rows.error();
  std::vector<TopValue> out;
  const Status s = index.select(
      // Empty values (no host, no user) are not a value anyone asks for the top of.
      std::string("SELECT ") + col->columns + ", count(*) AS c FROM " + rows->sql + " WHERE " +
          col->columns + " != '' GROUP BY 1 ORDER BY c DESC, 1 LIMIT " + std::to_string(n),
      rows->binds,
      [&](const store::SqlRow& r) {
        out.push_back({ip ? r.ip(0).to_string() : r.text(0), static_cast<std::uint64_t>(r.i64(1))});
        return true;
      },
      request.budget_ms);
  if (!s) return s.error();
  return out;
}

Result<std::vector<Talk>> talkers(store::SqliteIndex& index, const SearchRequest& request,
                                  std::size_t n, QueryError* where, std::uint64_t sample) {
  if (n == 0 || n > 1000) return make_error("talker lists have 1 to 1000 pairs");
  auto compiled = compile_request(index, request, where);
  if (!compiled) return compiled.error();
  const CompiledQuery& cq = *compiled;
  std::vector<Talk> out;
  auto rows = aggregate_rows(index, cq, sample, "client_ip, server_ip", request.budget_ms);
  if (!rows) return rows.error();
  const Status s = index.select(
      "SELECT client_ip, server_ip, count(*) AS c FROM " + rows->sql +
          " GROUP BY 1, 2 ORDER BY c DESC, 1, 2 LIMIT " + std::to_string(n),
      rows->binds,
      [&](const store::SqlRow& r) {
        out.push_back(
            {r.ip(0).to_string(), r.ip(1).to_string(), static_cast<std::uint64_t>(r.i64(2))});
        return true;
      },
      request.budget_ms);
  if (!s) return s.error();
  return out;
}

bool countable(const Field& f, const FieldColumn& c) {
  switch (f.type) {
    case ValueType::kTextList:
    case ValueType::kFileType:
    case ValueType::kTime:
    case ValueType::kSize:
      return false;
    default:
      break;
  }
  return c.via == nullptr && std::string_view(c.columns).find(',') == std::string_view::npos &&
         std::string_view(f.name) != "session" && std::string_view(f.name) != "text";
}

nlohmann::json field_help() {
  nlohmann::json out = nlohmann::json::array();
  for (const Field& f : fields()) {
    nlohmann::json tables = nlohmann::json::array(), counted = nlohmann::json::array();
    for (const FieldColumn& c : f.columns) {
      tables.push_back(kind_name(c.table));
      if (countable(f, c)) counted.push_back(kind_name(c.table));
    }
    out.push_back({{"name", f.name},
                   {"aliases", f.aliases},
                   {"help", f.help},
                   {"help_ja", f.help_ja},
                   {"kinds", tables},
                   {"counted", counted}});
  }
  return out;
}

}  // namespace kagami::query
