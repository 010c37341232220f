// The index's part of `kagami reanalyze`: the new analysis's sessions are written beside the
// old ones, then settled in their place in one transaction, so a search sees either the old
// analysis or the new one, never both, and an interrupted run is undone, not half applied.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "kagami/records/session_record.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

namespace {

constexpr const char* kPendingKey = "reanalysis";
constexpr const char* kRunsKey = "analysis_runs";
constexpr std::size_t kBatch = 10'000;  // session ids per statement

// Two sessions of the same connection: the same transport, addresses, ports and VLAN.
#define KAGAMI_SAME_CONNECTION(a, b)                                                         \
  a ".transport = " b ".transport AND " a ".client_ip = " b ".client_ip AND " a              \
    ".client_port = " b ".client_port AND " a ".server_ip = " b ".server_ip AND " a          \
    ".server_port = " b ".server_port AND " a ".vlan = " b ".vlan AND " a ".vlan_inner = " b \
    ".vlan_inner"
// ...whose times overlap (an old one's start bounded from both sides, so its index is used).
#define KAGAMI_OVERLAPS(o, n)                                                                      \
  o ".ts_first <= " n ".ts_last AND " o ".ts_first >= " n ".ts_first - ?3 AND " o ".ts_last >= " n \
    ".ts_first"

}  // namespace

Result<SqliteIndex::Reanalysis> SqliteIndex::begin_reanalysis(std::uint64_t first_new,
                                                              std::int64_t since,
                                                              std::int64_t until,
                                                              std::int64_t read_from,
                                                              std::int64_t read_until) {
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s.error();
  auto fail = [&](Error e) -> Result<Reanalysis> {
    (void)exec("ROLLBACK");
    return e;
  };
  auto runs = meta(kRunsKey);
  if (!runs) return fail(runs.error());
  Reanalysis r;
  r.first_new = first_new;
  r.since = since;
  r.until = until;
  r.read_from = std::min(since, read_from);
  r.read_until = std::max(until, read_until);
  r.run = static_cast<std::uint32_t>(std::strtoul(runs->c_str(), nullptr, 10)) + 1;
  const nlohmann::json j = {
      {"first_new", first_new},     {"since", since}, {"until", until}, {"read_from", r.read_from},
      {"read_until", r.read_until}, {"run", r.run}};
  if (auto s = set_meta(kPendingKey, j.dump()); !s) return fail(s.error());
  if (auto s = set_meta(kRunsKey, std::to_string(r.run)); !s) return fail(s.error());
  if (auto s = exec("COMMIT"); !s) return fail(s.error());
  return r;
}

Result<std::optional<SqliteIndex::Reanalysis>> SqliteIndex::pending_reanalysis() {
  auto v = meta(kPendingKey);
  if (!v) return v.error();
  if (v->empty()) return std::optional<Reanalysis>();
  const nlohmann::json j = nlohmann::json::parse(*v, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return make_error("index: the mark of a reanalysis is unreadable: {}", *v);
  Reanalysis r;
  r.first_new = j.value("first_new", std::uint64_t{0});
  r.since = j.value("since", std::int64_t{0});
  r.until = j.value("until", std::int64_t{0});
  r.read_from = j.value("read_from", r.since);
  r.read_until = j.value("read_until", r.until);
  r.run = j.value("run", std::uint32_t{0});
  if (r.first_new == 0) return make_error("index: the mark of a reanalysis is unreadable: {}", *v);
  return std::optional<Reanalysis>(r);
}

Result<std::uint64_t> SqliteIndex::abandon_reanalysis() {
  auto pending = pending_reanalysis();
  if (!pending) return pending.error();
  if (!*pending) return std::uint64_t{0};
  std::vector<std::uint64_t> ids;
  {
    auto st = prepare(db_, "SELECT id FROM sessions WHERE id >= ?");
    if (!st) return st.error();
    bind_u64(st->get(), 1, (*pending)->first_new);
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) ids.push_back(column_u64(st->get(), 0));
    if (rc != SQLITE_DONE) return error(db_, "sessions of an unsettled reanalysis");
  }
  std::uint64_t removed = 0;
  for (std::size_t at = 0; at < ids.size(); at += kBatch) {
    const std::vector<std::uint64_t> part(
        ids.begin() + static_cast<std::ptrdiff_t>(at),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kBatch)));
    auto d = delete_sessions(part);
    if (!d) return d.error();
    removed += d->sessions;
  }
  // The objects the run stored stay: they are content-addressed and an object no sighting
  // names is what retention's unreferenced-object pass removes.
  if (auto s = set_meta(kPendingKey, ""); !s) return s.error();
  return removed;
}

Result<SqliteIndex::Settled> SqliteIndex::settle_reanalysis() {
  auto pending = pending_reanalysis();
  if (!pending) return pending.error();
  if (!*pending) return make_error("index: no reanalysis to settle");
  const Reanalysis re = **pending;
  auto longest = max_session_ns();
  if (!longest) return longest.error();
  Settled out;
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s.error();
  auto fail = [&](Error e) -> Result<Settled> {
    (void)exec("ROLLBACK");
    (void)exec("DROP TABLE IF EXISTS temp.re_pair");
    return e;
  };
  const std::string expired = std::to_string(records::kSessionPacketsExpired);
  // An old session is replaced when it began in the window and all its packets were there to
  // read again.
  const std::string replaceable =
      "o.id < ?1 AND o.ts_first BETWEEN ?4 AND ?5 AND (o.flags & " + expired + ") = 0";
  auto bind_common = [&](sqlite3_stmt* st) {
    bind_u64(st, 1, re.first_new);
    bind_i64(st, 3, longest.value());
    bind_i64(st, 4, re.since);
    bind_i64(st, 5, re.until);
    bind_i64(st, 6, re.read_until);
    bind_i64(st, 7, re.read_from);
  };
  auto ids_of = [&](const std::string& q, std::vector<std::uint64_t>& ids) -> Status {
    auto st = prepare(db_, q);
    if (!st) return st.error();
    bind_common(st->get());
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) ids.push_back(column_u64(st->get(), 0));
    if (rc != SQLITE_DONE) return error(db_, "settle a reanalysis");
    return {};
  };

  // 1. New sessions that are not the new analysis's to give: begun after the window (a later
  //    window's), or overlapping an old session that stays (its packets expired, it began
  //    before the window: the new one is it again, or its tail). One begun before the window
  //    in the packet files read that overlaps none is missing from the index (a recorder
  //    killed while it was open never wrote it): it is added.
  std::vector<std::uint64_t> outside;
  const std::string stays =
      "o.id < ?1 AND NOT (o.ts_first BETWEEN ?4 AND ?5 AND (o.flags & " + expired + ") = 0)";
  if (auto s = ids_of(
          "SELECT n.id FROM sessions n WHERE n.id >= ?1 AND (n.ts_first > ?5 OR "
          "EXISTS (SELECT 1 FROM sessions o WHERE " +
              stays +
              " AND " KAGAMI_SAME_CONNECTION("o", "n") " AND " KAGAMI_OVERLAPS("o", "n") "))",
          outside);
      !s)
    return fail(s.error());
  DeletedRows scratch;
  std::vector<std::string> sighted;
  if (auto st = for_each_id_batch(
          outside, kBatch,
          [&](const std::string& list) -> Status {
            if (auto s = delete_session_records(list, scratch, sighted); !s) return s;
            if (auto s = exec(("DELETE FROM session_packets WHERE "
                               "session_id IN (" +
                               list + ")")
                                  .c_str());
                !s)
              return s;
            return exec(("DELETE FROM sessions WHERE id IN (" + list + ")").c_str());
          });
      !st)
    return fail(st.error());
  out.outside = outside.size();

  // 1b. Records of sessions that never got their row (a recorder killed while they were open:
  //    it writes a session when it ends, its transactions as they complete), from the packets
  //    read: the new analysis gives those sessions whole. Their alerts stay, as old alerts do.
  std::vector<std::uint64_t> orphans;
  for (const SessionTable& t : session_tables()) {
    if (t.table == "alerts" || t.time_column.empty()) continue;
    std::vector<std::uint64_t> ids;
    if (auto s = ids_of("SELECT DISTINCT r.session_id FROM " + t.table +
                            " r WHERE r.session_id "
                            "< ?1 AND r.session_id > 0 AND r." +
                            t.time_column +
                            " BETWEEN ?7 AND ?6 "
                            "AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = r.session_id)",
                        ids);
        !s)
      return fail(s.error());
    orphans.insert(orphans.end(), ids.begin(), ids.end());
  }
  std::sort(orphans.begin(), orphans.end());
  orphans.erase(std::unique(orphans.begin(), orphans.end()), orphans.end());
  if (auto st = for_each_id_batch(
          orphans, kBatch,
          [&](const std::string& list) -> Status {
            if (auto s = delete_session_records(list, scratch, sighted, {"alerts"}); !s) return s;
            return exec(("DELETE FROM session_packets WHERE session_id IN (" + list + ")").c_str());
          });
      !st)
    return fail(st.error());
  out.orphans = orphans.size();

  // 2. Each new session and the old ones of the same connection it overlaps: the one that
  //    began at the same packet first, then the earliest, gives the new session its number
  //    (notes, holds and exports name it); the others the new analysis joined into it.
  if (auto s = exec("CREATE TEMP TABLE re_pair(new_id INTEGER, old_id INTEGER, keep INTEGER)"); !s)
    return fail(s.error());
  std::map<std::uint64_t, std::uint64_t> final_id;            // old -> the number it ends under
  std::vector<std::pair<std::uint64_t, std::uint64_t>> kept;  // new -> old
  {
    auto st = prepare(db_,
                      "SELECT n.id, o.id FROM sessions n JOIN sessions o ON " + replaceable +
                          " AND " KAGAMI_SAME_CONNECTION("o", "n") " AND " KAGAMI_OVERLAPS(
                              "o", "n") " WHERE n.id >= ?1 ORDER BY n.id, o.ts_first != n.ts_first, "
                                        "o.ts_first, o.id");
    if (!st) return fail(st.error());
    bind_common(st->get());
    std::set<std::uint64_t> taken;
    std::uint64_t current = 0;
    bool has_number = false;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW)
      pairs.emplace_back(column_u64(st->get(), 0), column_u64(st->get(), 1));
    if (rc != SQLITE_DONE) return fail(error(db_, "pair old and new sessions"));
    for (const auto& [n, o] : pairs) {
      if (n != current) {
        current = n;
        has_number = false;
      }
      if (final_id.count(o)) continue;  // an earlier new session took it
      if (!has_number) {
        has_number = true;
        kept.emplace_back(n, o);
        final_id[o] = o;
      } else {
        final_id[o] = 0;  // resolved below, once the new session's number is known
      }
      taken.insert(o);
    }
    // Old sessions folded into a new one end under the number that new one keeps.
    std::map<std::uint64_t, std::uint64_t> number_of_new;
    for (const auto& [n, o] : kept) number_of_new[n] = o;
    for (const auto& [n, o] : pairs) {
      auto f = final_id.find(o);
      if (f == final_id.end() || f->second != 0) continue;
      const auto k = number_of_new.find(n);
      f->second = k != number_of_new.end() ? k->second : n;
    }
    auto ins = prepare(db_, "INSERT INTO re_pair(new_id, old_id, keep) VALUES(?, ?, ?)");
    if (!ins) return fail(ins.error());
    for (const auto& [n, o] : pairs) {
      bind_u64(ins->get(), 1, n);
      bind_u64(ins->get(), 2, o);
      bind_i64(ins->get(), 3, number_of_new.count(n) && number_of_new[n] == o ? 1 : 0);
      if (auto s = step_done(db_, ins->get(), "pair sessions"); !s) return fail(s.error());
      sqlite3_reset(ins->get());
    }
  }
  out.replaced = final_id.size();
  out.merged = final_id.size() - kept.size();
  {
    std::vector<std::uint64_t> in_window;
    if (auto s = ids_of("SELECT o.id FROM sessions o WHERE " + replaceable, in_window); !s)
      return fail(s.error());
    out.kept = in_window.size() - final_id.size();
    std::vector<std::uint64_t> all_new;
    if (auto s = ids_of("SELECT id FROM sessions WHERE id >= ?1", all_new); !s)
      return fail(s.error());
    out.added = all_new.size() - kept.size();
  }

  // 3. Alerts: what an old analysis raised was told and may have been triaged; it stays. A new
  //    alert that repeats one of its old sessions' (the same object, the same rules) is that
  //    alert again: its findings point to the old one, which takes the new sighting.
  {
    auto st = prepare(db_,
                      "SELECT n.id, a.id, n.file_event_id FROM alerts n JOIN re_pair p ON "
                      "p.new_id = n.session_id JOIN alerts a ON a.session_id = p.old_id AND "
                      "a.sha256 = n.sha256 AND a.title = n.title WHERE n.session_id >= ?1 "
                      "ORDER BY n.id, a.id");
    if (!st) return fail(st.error());
    bind_u64(st->get(), 1, re.first_new);
    std::set<std::uint64_t> used_old, done_new;
    std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> repeats;
    int rc;
    while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
      const std::uint64_t n = column_u64(st->get(), 0), a = column_u64(st->get(), 1);
      if (done_new.count(n) || used_old.count(a)) continue;
      done_new.insert(n);
      used_old.insert(a);
      repeats.emplace_back(n, a, column_u64(st->get(), 2));
    }
    if (rc != SQLITE_DONE) return fail(error(db_, "repeated alerts"));
    // An orphan session's alert (its session never got a row) is the same alert when the new
    // analysis raises it for the same object at the same moment: it takes the new session.
    if (!orphans.empty()) {
      auto o = prepare(db_,
                       "SELECT n.id, a.id, n.file_event_id, n.session_id FROM alerts n JOIN "
                       "alerts a ON a.sha256 = n.sha256 AND a.title = n.title AND a.ts = n.ts "
                       "AND a.session_id IN (" +
                           id_list(orphans) +
                           ") WHERE n.session_id >= ?1 "
                           "ORDER BY n.id, a.id");
      if (!o) return fail(o.error());
      bind_u64(o->get(), 1, re.first_new);
      while ((rc = sqlite3_step(o->get())) == SQLITE_ROW) {
        const std::uint64_t n = column_u64(o->get(), 0), a = column_u64(o->get(), 1);
        if (done_new.count(n) || used_old.count(a)) continue;
        done_new.insert(n);
        used_old.insert(a);
        repeats.emplace_back(n, a, column_u64(o->get(), 2));
        const std::string q =
            "UPDATE alerts SET session_id = " + std::to_string(column_u64(o->get(), 3)) +
            " WHERE id = " + std::to_string(a);
        if (auto s = exec(q.c_str()); !s) return fail(s.error());
      }
      if (rc != SQLITE_DONE) return fail(error(db_, "repeated alerts of orphans"));
    }
    for (const auto& [n, a, event] : repeats) {
      const std::string q = "UPDATE findings SET alert_id = " + std::to_string(a) +
                            " WHERE alert_id = " + std::to_string(n) +
                            "; UPDATE alerts SET file_event_id = " + std::to_string(event) +
                            " WHERE id = " + std::to_string(a) +
                            "; DELETE FROM alerts WHERE id = " + std::to_string(n) + ";";
      if (auto s = exec(q.c_str()); !s) return fail(s.error());
    }
    out.alerts_repeated = repeats.size();
    if (auto s = ids_of("SELECT id FROM alerts WHERE session_id >= ?1 ORDER BY id", out.new_alerts);
        !s)
      return fail(s.error());
    // (An orphan's alert that now names a new session was raised before: not new.)
    std::erase_if(out.new_alerts, [&](std::uint64_t id) { return used_old.count(id) > 0; });
  }

  // 4. The old sessions' records go (their alerts stay, and the TLS facts only the proxy knew
  //    stay where the new analysis has none: a decrypted session's mirror carries no
  //    handshake); what the old sessions alone knew (sensor, proxy user, decrypted, a name DNS gave
  //    before the window) is kept in the row that takes their number.
  const std::string pair_old = "SELECT old_id FROM re_pair";
  if (auto s = exec("CREATE TEMP TABLE re_old AS SELECT o.id, o.sensor, o.decrypted, o.user, "
                    "o.host, o.host_rev "
                    "FROM sessions o "
                    "WHERE o.id IN (SELECT old_id FROM re_pair WHERE keep = 1)");
      !s)
    return fail(s.error());
  {
    std::vector<std::uint64_t> olds;
    for (const auto& [o, f] : final_id) olds.push_back(o);
    if (auto st = for_each_id_batch(
            olds, kBatch,
            [&](const std::string& list) -> Status {
              if (auto s = delete_session_records(list, scratch, sighted, {"alerts", "tls"}); !s)
                return s;
              // TLS rows by session: the old one goes where the new session has its own, or where
              // the old session is folded into another.
              const std::string tls =
                  "DELETE FROM tls WHERE session_id IN (" + list +
                  ") AND (session_id NOT IN (SELECT old_id FROM re_pair WHERE keep = 1) OR "
                  "session_id IN (SELECT p.old_id FROM re_pair p JOIN tls t ON t.session_id = "
                  "p.new_id WHERE p.keep = 1))";
              for (const std::string& q :
                   {tls, "DELETE FROM session_packets WHERE session_id IN (" + list + ")",
                    "DELETE FROM sessions WHERE id IN (" + list + ")"})
                if (auto s = exec(q.c_str()); !s) return s;
              return {};
            });
        !st)
      return fail(st.error());
    // Alerts and evidence holds of folded sessions follow them.
    for (const auto& [o, f] : final_id) {
      if (o == f) continue;
      const std::string q =
          "UPDATE alerts SET session_id = " + std::to_string(f) +
          " WHERE session_id = " + std::to_string(o) +
          "; UPDATE OR IGNORE evidence_holds SET session_id = " + std::to_string(f) +
          " WHERE session_id = " + std::to_string(o) +
          "; DELETE FROM evidence_holds WHERE session_id = " + std::to_string(o) + ";";
      if (auto s = exec(q.c_str()); !s) return fail(s.error());
    }
  }

  // 5. The new sessions that replace one take its number, in every table that names it.
  if (!kept.empty()) {
    if (auto s = exec("CREATE TEMP TABLE re_number(new_id INTEGER PRIMARY KEY, old_id INTEGER) "
                      "WITHOUT ROWID; INSERT INTO re_number SELECT new_id, old_id FROM re_pair "
                      "WHERE keep = 1;");
        !s)
      return fail(s.error());
    const std::string to_old =
        "(SELECT old_id FROM re_number WHERE new_id = session_id) WHERE session_id IN (SELECT "
        "new_id FROM re_number)";
    for (const SessionTable& t : session_tables()) {
      // A full-text row numbered by the session itself moves with it.
      if (t.text_kind && t.id_column == "session_id") {
        const std::string base = std::to_string(text_rowid(*t.text_kind));
        const std::string q = "UPDATE text_fts SET rowid = " + base +
                              " | (SELECT old_id FROM re_number WHERE new_id = rowid - " + base +
                              ") WHERE rowid - " + base + " IN (SELECT new_id FROM re_number)";
        if (auto s = exec(q.c_str()); !s) return fail(s.error());
      }
      const std::string q = "UPDATE " + t.table + " SET session_id = " + to_old;
      if (auto s = exec(q.c_str()); !s) return fail(s.error());
    }
    for (const std::string& q :
         {"UPDATE text_fts SET session_id = " + to_old,
          "UPDATE session_packets SET session_id = " + to_old,
          std::string("UPDATE sessions SET id = (SELECT old_id FROM re_number WHERE new_id = "
                      "sessions.id) WHERE id IN (SELECT new_id FROM re_number)"),
          std::string(
              "UPDATE sessions SET sensor = (SELECT sensor FROM re_old WHERE re_old.id "
              "= sessions.id), decrypted = max(decrypted, (SELECT decrypted FROM re_old "
              "WHERE re_old.id = sessions.id)), user = CASE user WHEN '' THEN (SELECT "
              "user FROM re_old WHERE re_old.id = sessions.id) ELSE user END, host_rev = CASE host "
              "WHEN '' THEN (SELECT host_rev FROM re_old WHERE re_old.id = sessions.id) "
              "ELSE host_rev END, host = CASE host WHEN '' THEN (SELECT host FROM re_old "
              "WHERE re_old.id = sessions.id) ELSE host END WHERE id IN "
              "(SELECT id FROM re_old)")})
      if (auto s = exec(q.c_str()); !s) return fail(s.error());
  }
  for (const char* q :
       {"DROP TABLE temp.re_pair", "DROP TABLE temp.re_old", "DROP TABLE IF EXISTS temp.re_number"})
    if (auto s = exec(q); !s) return fail(s.error());
  if (auto s = set_meta(kPendingKey, ""); !s) return fail(s.error());
  if (auto s = exec("COMMIT"); !s) return fail(s.error());
  return out;
}

#undef KAGAMI_SAME_CONNECTION
#undef KAGAMI_OVERLAPS

}  // namespace kagami::store
