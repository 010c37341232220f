// The console's investigation endpoints: search, the pages of a session, a mail and a file,
// aggregates for the dashboard, and the evidence downloads.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "kagami/base/sha256.h"
#include "kagami/console/api_context.h"
#include "kagami/console/api_routes.h"
#include "kagami/console/csv_table.h"
#include "kagami/console/evidence_zip.h"
#include "kagami/console/kind_metadata.h"
#include "kagami/console/openapi.h"
#include "kagami/inspect/text_scanner.h"
#include "kagami/query/search.h"
#include "kagami/query/search_compiler.h"
#include "kagami/records/json_text.h"
#include "kagami/records/record_json.h"
#include "kagami/records/record_types.h"
#include "kagami/store/file_store.h"
#include "kagami/store/packet_export.h"

namespace kagami::console {

namespace {

using httplib::Request;
using httplib::Response;

constexpr std::size_t kDetailRows = 1000;     // of each kind on a session's page
constexpr std::size_t kPreviewBytes = 16384;  // of a file's text shown, masked

bool parse_u64(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  out = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

// The common parameters of a search: q, kind, limit, offset, order, tz. A role that sees findings
// masked searches no document text (search.h).
bool read_search(const Request& req, Response& res, query::SearchRequest& out,
                 std::uint32_t budget_ms, Role role) {
  out.query = req.get_param_value("q");
  out.budget_ms = budget_ms;
  out.document_text = role != Role::kViewer;
  if (req.has_param("kind") && !req.get_param_value("kind").empty()) {
    query::Kind k;
    if (!query::kind_from_name(req.get_param_value("kind"), k)) {
      send_error(res, 400,
                 "kind is sessions, http, dns, tls, mail, ftp, files, findings or alerts");
      return false;
    }
    out.kind = k;
  }
  for (const auto& [name, into] :
       {std::pair<const char*, std::uint64_t*>{"limit", &out.limit}, {"offset", &out.offset}}) {
    if (!req.has_param(name)) continue;
    if (!parse_u64(req.get_param_value(name), *into)) {
      send_error(res, 400, std::string(name) + " must be a number");
      return false;
    }
  }
  out.oldest_first = req.get_param_value("order") == "oldest";
  out.sort = req.get_param_value("sort");
  // The zone the console shows times in: times typed without a zone mean the same there.
  if (req.has_param("tz")) {
    auto zone = TimeZone::named(req.get_param_value("tz"));
    if (!zone) {
      send_error(res, 400, zone.error().message);
      return false;
    }
    out.zone = std::move(*zone);
  }
  return true;
}

// A search as the audit log names it: its query, "*" for everything (never blank), and the
// console page that asked when it was not typed (the dashboard's refreshes).
std::string audited_query(const Request& req, const query::SearchRequest& sr) {
  std::string q = sr.query.empty() ? "*" : sr.query;
  const std::string view = req.get_param_value("view");
  if (view == "dashboard") q += " (dashboard)";
  return q;
}

// Alert rows gain their triage state: the last acknowledgement wins until a reopen.
void add_alert_states(store::SqliteIndex& index, nlohmann::json& alerts) {
  if (alerts.empty()) return;
  std::string sql =
      "SELECT alert_id, action, count(*) OVER (PARTITION BY alert_id) FROM "
      "alert_notes WHERE alert_id IN (";
  std::vector<store::SqlValue> binds;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    sql += i ? ",?" : "?";
    binds.emplace_back(alerts[i].value("id", std::int64_t{0}));
  }
  sql += ") ORDER BY id";
  std::unordered_map<std::int64_t, std::pair<std::string, std::int64_t>> state;
  (void)index.select(sql, binds, [&](const store::SqlRow& r) {
    auto& s = state[r.i64(0)];
    const std::string action = r.text(1);
    if (action == "ack") s.first = "acknowledged";
    if (action == "reopen") s.first = "new";
    s.second = r.i64(2);
    return true;
  });
  for (auto& a : alerts) {
    const auto it = state.find(a.value("id", std::int64_t{0}));
    a["state"] = it != state.end() && !it->second.first.empty() ? it->second.first : "new";
    a["notes"] = it != state.end() ? it->second.second : 0;
  }
}

// Rows that name a session (files, findings, alerts) gain its user and host where they have
// none of their own, so "who?" and "where?" are answered on the list, not a click per row.
void add_session_context(store::SqliteIndex& index, nlohmann::json& rows) {
  std::vector<store::SqlValue> binds;
  std::string sql = "SELECT id, user, host FROM sessions WHERE id IN (";
  for (const auto& r : rows) {
    const auto id = r.value("session_id", std::int64_t{0});
    if (id == 0 || (!r.value("user", "").empty() && !r.value("host", "").empty())) continue;
    sql += binds.empty() ? "?" : ",?";
    binds.emplace_back(id);
  }
  if (binds.empty()) return;
  sql += ")";
  std::unordered_map<std::int64_t, std::pair<std::string, std::string>> who;
  (void)index.select(sql, binds, [&](const store::SqlRow& r) {
    who[r.i64(0)] = {r.text(1), r.text(2)};
    return true;
  });
  for (auto& r : rows) {
    const auto it = who.find(r.value("session_id", std::int64_t{0}));
    if (it == who.end()) continue;
    if (r.value("user", "").empty() && !it->second.first.empty()) r["user"] = it->second.first;
    if (r.value("host", "").empty() && !it->second.second.empty()) r["host"] = it->second.second;
  }
}

bool is_malware_detector(const std::string& d) {
  return d.rfind("clamav:", 0) == 0 || d.rfind("yara:", 0) == 0 || d.rfind("hash_list:", 0) == 0;
}

// A stored object's bytes (decompressed as the store keeps them).
Result<std::string> read_object(const store::FileStore& files, const std::string& sha) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* mem = open_memstream(&data, &size);
  if (mem == nullptr) return make_error("out of memory");
  const Status read = files.read(sha, mem);
  std::fclose(mem);
  std::unique_ptr<char, decltype(&std::free)> hold(data, &std::free);
  if (!read) return read.error();
  return std::string(data, size);
}

// Streams a file already unlinked from its directory; the descriptor is closed when done.
void send_file_descriptor(Response& res, int fd, std::uint64_t size, const std::string& type,
                          const std::string& filename) {
  res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.set_content_provider(
      size, type,
      [fd](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        char buf[64 * 1024];
        const ssize_t n =
            ::pread(fd, buf, std::min(length, sizeof buf), static_cast<off_t>(offset));
        if (n <= 0) return false;
        return sink.write(buf, static_cast<std::size_t>(n));
      },
      [fd](bool) { ::close(fd); });
}

// A search's page with the records as the console lists them (alerts' state, who and where
// from the session, masked for viewers); false when an error was sent.
struct ListedPage {
  query::SearchPage page;
  nlohmann::json records;
};
bool list_page(ApiServer::Impl& api, const Request& req, Response& res,
               const query::SearchRequest& sr, const char* action, ListedPage& out) {
  auto index = api.reader(res);
  if (!index) return false;
  query::QueryError where;
  auto page = query::search(**index, sr, &where);
  if (!page) {
    send_error(res, 400, page.error().message, where.message.empty() ? nullptr : &where);
    return false;
  }
  if (!api.audit(req, res, action, audited_query(req, sr),
                 {{"kind", query::kind_name(page->kind)}, {"total", page->total}}))
    return false;
  auto records = query::page_records(**index, page->kind, page->ids);
  if (!records) {
    send_error(res, 500, records.error().message);
    return false;
  }
  if (page->kind == query::Kind::kAlerts) add_alert_states(**index, *records);
  if (page->kind == query::Kind::kFiles || page->kind == query::Kind::kFindings ||
      page->kind == query::Kind::kAlerts)
    add_session_context(**index, *records);
  if (api.login().role == Role::kViewer) mask_for_viewers(*records);
  out.page = std::move(*page);
  out.records = std::move(*records);
  return true;
}

void run_search(ApiServer::Impl& api, const Request& req, Response& res,
                std::optional<query::Kind> forced) {
  query::SearchRequest sr;
  if (!read_search(req, res, sr, api.options.query_budget_ms, api.login().role)) return;
  if (forced) sr.kind = forced;
  if (!api.within_rate(req, res, "search", sr)) return;
  ListedPage listed;
  if (!list_page(api, req, res, sr, "search", listed)) return;
  const query::SearchPage& page = listed.page;
  nlohmann::json hints = nlohmann::json::array();
  for (const query::QueryHint& h : page.hints)
    hints.push_back({{"code", h.code}, {"word", h.word}, {"message", h.message}});
  send_json(res, {{"kind", query::kind_name(page.kind)},
                  {"query", sr.query},
                  {"hints", std::move(hints)},
                  {"total", page.total},
                  {"total_capped", page.total_capped},
                  {"offset", sr.offset},
                  {"limit", sr.limit},
                  {"elapsed_ms", page.elapsed_ms},
                  {"records", std::move(listed.records)}});
}

// GET /api/export.csv|json: every match of a list (at most a page's bound), as the console
// lists them, for a spreadsheet or a report.
void export_list(ApiServer::Impl& api, const Request& req, Response& res) {
  query::SearchRequest sr;
  if (!read_search(req, res, sr, api.options.query_budget_ms, api.login().role)) return;
  if (!api.within_rate(req, res, "export", sr)) return;
  if (!req.has_param("limit")) sr.limit = query::kMaxPageSize;
  const bool csv = req.path.ends_with(".csv");
  ListedPage listed;
  if (!list_page(api, req, res, sr, "export", listed)) return;
  const std::string kind = query::kind_name(listed.page.kind);
  const std::string name = "kagami-" + kind + (csv ? ".csv" : ".json");
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  if (!csv) {
    res.set_content(listed.records.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json; charset=utf-8");
    return;
  }
  // Times as a reader reads them, in the zone the console shows (a spreadsheet would show
  // epoch seconds as a bare number).
  for (auto& r : listed.records)
    for (const char* k : {"ts", "ts_first", "ts_last"})
      if (auto it = r.find(k); it != r.end() && it->is_number())
        *it = sr.zone.format(static_cast<TimeNs>(std::llround(it->get<double>() * 1e3)) * 1'000'000,
                             3);
  res.set_content(csv_table(listed.records), "text/csv; charset=utf-8");
}

void search(ApiServer::Impl& api, const Request& req, Response& res) {
  run_search(api, req, res, std::nullopt);
}

// GET /api/<kind>: the kind is the path's last part.
void search_kind(ApiServer::Impl& api, const Request& req, Response& res) {
  query::Kind k;
  if (!query::kind_from_name(req.path.substr(req.path.rfind('/') + 1), k)) {
    send_error(res, 404, "no such resource");
    return;
  }
  run_search(api, req, res, k);
}

void session_page(ApiServer::Impl& api, const Request& req, Response& res) {
  std::uint64_t id = 0;
  parse_u64(req.matches[1], id);
  auto index = api.reader(res);
  if (!index) return;
  nlohmann::json session;
  if (!find_record(**index, query::Kind::kSessions, id, "session", res, session)) return;
  if (!api.audit(req, res, "view", "session:" + std::to_string(id))) return;
  nlohmann::json out = {{"session", std::move(session)}};
  // Everything recorded about the session, by the session's id: the five questions at once.
  store::RecordQuery q;
  q.session_ids = {id};
  q.limit = kDetailRows;
  for (const query::Kind k : query::kAllKinds) {
    if (k == query::Kind::kSessions) continue;
    nlohmann::json rows = nlohmann::json::array();
    const Status st =
        query::for_each_record_json(**index, k, q, [&](std::uint64_t, nlohmann::json j) {
          rows.push_back(std::move(j));
          return true;
        });
    if (!st) {
      send_error(res, 500, st.error().message);
      return;
    }
    out[query::kind_name(k)] = std::move(rows);
  }
  add_alert_states(**index, out["alerts"]);
  if (api.login().role == Role::kViewer) {
    mask_for_viewers(out["findings"]);
    mask_for_viewers(out["files"]);
  }
  send_json(res, out);
}

void file_page(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string sha = req.matches[1];
  auto index = api.reader(res);
  if (!index) return;
  store::RecordQuery q;
  q.sha256 = sha;
  q.limit = kDetailRows;
  q.newest_first = true;
  nlohmann::json sightings = nlohmann::json::array(), findings = nlohmann::json::array();
  nlohmann::json file;
  (void)(*index)->query_files(q, [&](const auto& f, const auto& e) {
    if (file.is_null()) {
      file = records::to_json(f, e);
      for (const char* k : {"session_id", "ts", "name", "direction", "protocol", "id"})
        file.erase(k);
    }
    sightings.push_back(records::to_json(f, e));
    return true;
  });
  if (file.is_null()) {
    send_error(res, 404, "no file " + sha);
    return;
  }
  if (!api.audit(req, res, "view", "file:" + sha)) return;
  bool malware = false;
  (void)query::for_each_record_json(
      **index, query::Kind::kFindings, q, [&](std::uint64_t, nlohmann::json f) {
        malware = malware || is_malware_detector(f.value("detector", ""));
        findings.push_back(std::move(f));
        return true;
      });
  add_session_context(**index, sightings);
  add_session_context(**index, findings);
  if (api.login().role == Role::kViewer) {
    mask_for_viewers(findings);
    mask_for_viewers(sightings);
    mask_for_viewers(file);
  }
  send_json(
      res,
      {{"file", file}, {"malware", malware}, {"sightings", sightings}, {"findings", findings}});
}

// The bytes, as evidence: hashed again before they leave; malware only zipped.
void file_content(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string sha = req.matches[1];
  store::FileStore files(api.layout, {});
  if (!files.contains(sha)) {
    send_error(res, 404, "no file " + sha);
    return;
  }
  auto index = api.reader(res);
  if (!index) return;
  bool malware = false;
  store::RecordQuery q;
  q.sha256 = sha;
  (void)query::for_each_record_json(**index, query::Kind::kFindings, q,
                                    [&](std::uint64_t, const nlohmann::json& f) {
                                      malware = is_malware_detector(f.value("detector", ""));
                                      return !malware;
                                    });
  // Its size from the index first: nothing larger than the console serves is even read.
  std::uint64_t indexed_size = 0;
  q.limit = 1;
  (void)(*index)->query_files(q, [&](const auto& f, const auto&) {
    indexed_size = f.size;
    return false;
  });
  if (indexed_size > api.options.max_download_bytes) {
    send_error(res, 413, "the file is larger than this console serves");
    return;
  }
  auto read = read_object(files, sha);
  if (!read) {
    send_error(res, 500, "the stored file cannot be read");
    return;
  }
  const char* data = read->data();
  const std::size_t size = read->size();
  const std::string_view bytes(data, size);
  const Sha256Digest got = Sha256::of(ByteView(reinterpret_cast<const std::uint8_t*>(data), size));
  if (to_hex(got) != sha) {
    send_error(res, 500, "the stored file is damaged: its bytes no longer match its SHA-256");
    return;
  }
  if (size > api.options.max_download_bytes) {
    send_error(res, 413, "the file is larger than this console serves");
    return;
  }
  if (!api.audit(req, res, "download", "file:" + sha, {{"malware", malware}, {"bytes", size}}))
    return;
  res.set_header("X-Kagami-SHA256", sha);
  if (malware) {
    auto zip = zip_with_password(sha + ".bin", bytes);
    if (!zip) {
      send_error(res, 500, zip.error().message);
      return;
    }
    res.set_header("Content-Disposition", "attachment; filename=\"" + sha + ".zip\"");
    res.set_header("X-Kagami-Zip-Password", kEvidenceZipPassword);
    res.set_content(*zip, "application/zip");
    return;
  }
  res.set_header("Content-Disposition", "attachment; filename=\"" + sha + ".bin\"");
  res.set_content(std::move(*read), "application/octet-stream");
}

// GET /api/files/{sha256}/preview: the start of the text extracted from a file (the file itself
// when it is text), every value the detectors find masked. Investigators only: a viewer sees
// no document text at all (a viewer's search does not reach it either).
void file_preview(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string sha = req.matches[1];
  std::string text_sha;
  std::uint64_t text_bytes = 0;
  {
    auto index = api.reader(res);
    if (!index) return;
    bool found = false;
    (void)(*index)->select("SELECT text_sha256, text_bytes FROM inspections WHERE sha256 = ?",
                           {sha}, [&](const store::SqlRow& r) {
                             found = true;
                             text_sha = r.text(0);
                             text_bytes = static_cast<std::uint64_t>(r.i64(1));
                             return false;
                           });
    if (!found) {
      send_error(res, 404, "no inspected file " + sha);
      return;
    }
  }
  if (text_bytes == 0) {
    send_error(res, 404, "no text was extracted from this file");
    return;
  }
  store::FileStore files(api.layout, {});
  const std::string object = text_sha.empty() ? sha : text_sha;
  auto read = read_object(files, object);
  if (!read) {
    send_error(res, 500, "the extracted text cannot be read");
    return;
  }
  const char* data = read->data();
  const std::size_t size = read->size();
  // The start, cut on a character's first byte.
  std::size_t cut = std::min(size, kPreviewBytes);
  while (cut < size && cut > 0 && (static_cast<unsigned char>(data[cut]) & 0xC0) == 0x80) --cut;
  auto patterns = api.patterns();
  if (!patterns) {
    send_error(res, 500, patterns.error().message);
    return;
  }
  auto masked = inspect::masked_text(*patterns, std::string_view(data, cut));
  if (!masked) {
    send_error(res, 500, masked.error().message);
    return;
  }
  if (!api.audit(req, res, "preview", "file:" + sha, {{"bytes", cut}})) return;
  send_json(res, {{"sha256", sha},
                  {"text", *masked},
                  {"bytes", cut},
                  {"text_bytes", size},
                  {"truncated", cut < size}});
}

// Packets of one session, or of every session a query names.
void send_pcap(ApiServer::Impl& api, const Request& req, Response& res,
               std::vector<std::uint64_t> ids, const std::string& object) {
  if (ids.empty()) {
    send_error(res, 404, "no session matches");
    return;
  }
  auto index = api.reader(res);
  if (!index) return;
  // Credentials are masked in what the console hands out; the packets as captured are an
  // admin's to ask for (raw=1), and the audit entry says so.
  store::ExportOptions export_options;
  export_options.raw = req.has_param("raw") && req.get_param_value("raw") == "1";
  if (export_options.raw && !api.require(res, Role::kAdmin)) return;
  std::vector<PacketLocation> locations;
  for (const std::uint64_t id : ids) {
    auto l = (*index)->session_locations(id);
    if (!l) {
      send_error(res, 500, l.error().message);
      return;
    }
    locations.insert(locations.end(), l->begin(), l->end());
  }
  char path[] = "/tmp/kagami-export-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    send_error(res, 500, "no room for the export");
    return;
  }
  auto done =
      store::export_packets(api.layout, **index, std::move(locations), path, export_options);
  ::unlink(path);  // the descriptor keeps the bytes until they are sent
  if (!done) {
    ::close(fd);
    send_error(res, 500, done.error().message);
    return;
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0 || static_cast<std::uint64_t>(size) > api.options.max_download_bytes) {
    ::close(fd);
    send_error(res, 413, "the export is larger than this console serves; narrow the query");
    return;
  }
  if (!api.audit(req, res, "export", object,
                 {{"sessions", ids.size()},
                  {"packets", done->packets},
                  {"raw", export_options.raw},
                  {"masked_bytes", done->masked_bytes}})) {
    ::close(fd);
    return;
  }
  {
    // What an investigator took out is evidence: retention keeps its packets longer.
    std::lock_guard lock(api.writer_mutex);
    if (auto h = api.writer->hold_sessions(ids, wall_clock_ns(), "export"); !h)
      spdlog::warn("evidence hold: {}", h.error().message);
  }
  // Named for what it holds ("kagami-session_42.pcap", "kagami-user_tanaka.pcap"), not one
  // name for every export: ASCII letters and digits of the session or query, the rest '_'.
  std::string name;
  for (const char c : object.substr(0, 60)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (keep)
      name += c;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  send_file_descriptor(res, fd, static_cast<std::uint64_t>(size), "application/vnd.tcpdump.pcap",
                       "kagami-" + (name.empty() ? std::string("export") : name) +
                           (export_options.raw ? "-raw" : "") + ".pcap");
}

void session_pcap(ApiServer::Impl& api, const Request& req, Response& res) {
  std::uint64_t id = 0;
  parse_u64(req.matches[1], id);
  send_pcap(api, req, res, {id}, "session:" + std::to_string(id));
}

void export_pcap(ApiServer::Impl& api, const Request& req, Response& res) {
  query::SearchRequest sr;
  if (!read_search(req, res, sr, api.options.query_budget_ms, api.login().role)) return;
  if (sr.query.empty()) {
    send_error(res, 400, "give a query (q); the whole archive is not one download");
    return;
  }
  if (!api.within_rate(req, res, "export", sr)) return;
  // A list of another kind (files, alerts, HTTP requests...): the sessions that carried its
  // records. Each such record names its session.
  if (sr.kind && *sr.kind != query::Kind::kSessions) {
    std::vector<std::uint64_t> ids;
    {
      auto index = api.reader(res);
      if (!index) return;
      query::QueryError where;
      auto cq = query::compile_request(**index, sr, &where);
      if (!cq) {
        send_error(res, 400, cq.error().message, where.message.empty() ? nullptr : &where);
        return;
      }
      std::vector<store::SqlValue> binds = cq->binds;
      binds.emplace_back(static_cast<std::int64_t>(query::kMaxPageSize + 1));
      const Status s = (*index)->select(
          "SELECT DISTINCT session_id FROM " + cq->table + " WHERE " + cq->where +
              " AND session_id != 0 ORDER BY session_id LIMIT ?",
          binds,
          [&](const store::SqlRow& r) {
            ids.push_back(static_cast<std::uint64_t>(r.i64(0)));
            return true;
          },
          sr.budget_ms);
      if (!s) {
        send_error(res, 400, s.error().message);
        return;
      }
    }
    if (ids.size() > query::kMaxPageSize) {
      send_error(res, 400,
                 "more than " + std::to_string(query::kMaxPageSize) +
                     " sessions carried these records; narrow the query");
      return;
    }
    send_pcap(api, req, res, std::move(ids), sr.query);
    return;
  }
  sr.kind = query::Kind::kSessions;
  sr.limit = query::kMaxPageSize;
  sr.offset = 0;
  sr.count_cap = query::kMaxPageSize + 1;
  sr.oldest_first = true;
  std::vector<std::uint64_t> ids;
  {
    auto index = api.reader(res);
    if (!index) return;
    query::QueryError where;
    auto page = query::search(**index, sr, &where);
    if (!page) {
      send_error(res, 400, page.error().message, where.message.empty() ? nullptr : &where);
      return;
    }
    if (page->total > query::kMaxPageSize) {
      send_error(
          res, 400,
          "more than " + std::to_string(query::kMaxPageSize) + " sessions match; narrow the query");
      return;
    }
    ids = page->ids;
  }
  send_pcap(api, req, res, std::move(ids), sr.query);
}

// An aggregate over a query's matches (the timeline, top values, talkers): the search's
// parameters and one count of its own (`number`, else `fallback`), within the rate limit, with
// an index to run on; false when an answer was already sent.
struct Aggregate {
  query::SearchRequest sr;
  std::uint64_t number = 0;
  std::uint64_t sample = 0;  // top values, talkers: among the newest this many (0: all)
  std::unique_ptr<IndexPool::Lease> index;
  query::QueryError where;
};
bool begin_aggregate(ApiServer::Impl& api, const Request& req, Response& res, const char* number,
                     std::uint64_t fallback, const std::string& rate_key, Aggregate& out) {
  if (!read_search(req, res, out.sr, api.options.query_budget_ms, api.login().role)) return false;
  out.number = fallback;
  for (const auto& [name, into] :
       {std::pair<const char*, std::uint64_t*>{number, &out.number}, {"sample", &out.sample}}) {
    if (req.has_param(name) && !parse_u64(req.get_param_value(name), *into)) {
      send_error(res, 400, std::string(name) + " must be a number");
      return false;
    }
  }
  if (!api.within_rate(req, res, rate_key, out.sr)) return false;
  out.index = api.reader(res);
  return out.index != nullptr;
}

// Its failure (a query error points at the spot), or its audit entry; false when answered.
template <class T>
bool end_aggregate(ApiServer::Impl& api, const Request& req, Response& res, Aggregate& a,
                   const Result<T>& got, const char* action, nlohmann::json detail) {
  if (!got) {
    send_error(res, 400, got.error().message, a.where.message.empty() ? nullptr : &a.where);
    return false;
  }
  detail["kind"] = a.sr.kind ? query::kind_name(*a.sr.kind) : "";
  return api.audit(req, res, action, audited_query(req, a.sr), detail);
}

void timeline(ApiServer::Impl& api, const Request& req, Response& res) {
  Aggregate a;
  if (!begin_aggregate(api, req, res, "buckets", 60, "timeline", a)) return;
  // Bytes only when asked (the dashboard): summing them reads every matching row.
  const bool bytes = req.get_param_value("bytes") != "0";
  auto t = query::timeline(**a.index, a.sr, a.number, &a.where, bytes);
  if (!end_aggregate(api, req, res, a, t, "timeline", {{"buckets", a.number}})) return;
  send_json(res, {{"start", time_to_epoch_seconds(t->start)},
                  {"width", static_cast<double>(t->width) / 1e9},
                  {"counts", t->counts},
                  {"bytes", t->bytes}});
}

void top(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string field = req.get_param_value("field");
  Aggregate a;
  if (!begin_aggregate(api, req, res, "n", 10, "top:" + field, a)) return;
  auto top = query::top_values(**a.index, a.sr, field, a.number, &a.where, a.sample);
  if (!end_aggregate(api, req, res, a, top, "top", {{"field", field}, {"n", a.number}})) return;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : *top) out.push_back({{"value", v.value}, {"count", v.count}});
  send_json(res, {{"field", field}, {"values", out}});
}

// Who talks to whom among a query's matches: client and server address pairs with counts.
void talkers(ApiServer::Impl& api, const Request& req, Response& res) {
  Aggregate a;
  if (!begin_aggregate(api, req, res, "n", 30, "talkers", a)) return;
  auto pairs = query::talkers(**a.index, a.sr, a.number, &a.where, a.sample);
  if (!end_aggregate(api, req, res, a, pairs, "talkers", {{"n", a.number}})) return;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : *pairs)
    out.push_back({{"client", p.client}, {"server", p.server}, {"count", p.count}});
  send_json(res, {{"pairs", out}});
}

// One user's activity: how much of each kind, over time, and the latest sessions.
void user_activity(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string user = req.matches[1];
  std::string quoted = "user:\"";
  for (const char c : user) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += "\"";
  auto index = api.reader(res);
  if (!index) return;
  if (!api.audit(req, res, "view", "user:" + user)) return;
  // How much of every kind the user is found in (a kind the user field cannot answer for is
  // left out).
  nlohmann::json counts = nlohmann::json::object();
  for (const query::Kind k : query::kAllKinds) {
    query::SearchRequest sr;
    sr.query = quoted;
    sr.kind = k;
    sr.limit = 0;
    sr.budget_ms = api.options.query_budget_ms;
    if (auto page = query::search(**index, sr); page) counts[query::kind_name(k)] = page->total;
  }
  query::SearchRequest sr;
  sr.query = quoted;
  sr.kind = query::Kind::kSessions;
  sr.limit = 50;
  sr.budget_ms = api.options.query_budget_ms;
  auto t = query::timeline(**index, sr, 48);
  auto page = query::search(**index, sr);
  nlohmann::json recent = nlohmann::json::array();
  if (page) {
    auto recs = query::page_records(**index, query::Kind::kSessions, page->ids);
    if (recs) recent = std::move(*recs);
  }
  sr.kind = query::Kind::kHttpRecord;
  nlohmann::json http = nlohmann::json::array();
  if (auto hp = query::search(**index, sr); hp) {
    auto recs = query::page_records(**index, query::Kind::kHttpRecord, hp->ids);
    if (recs) http = std::move(*recs);
  }
  nlohmann::json timeline = nlohmann::json::object();
  if (t)
    timeline = {{"start", time_to_epoch_seconds(t->start)},
                {"width", static_cast<double>(t->width) / 1e9},
                {"counts", t->counts},
                {"bytes", t->bytes}};
  send_json(res, {{"user", user},
                  {"counts", counts},
                  {"timeline", timeline},
                  {"sessions", recent},
                  {"http", http}});
}

// GET /api/<kind>/{id}: one protocol record for its detail view, with the files it carried
// and what was found in them, the links to other records included (PPAP: the mail whose
// password opened this one's zip, or the zip this one's password opens). The record is under
// its kind's name ({"kind": "mail", "mail": {...}, "files": [...], "findings": [...]}).
void record_page(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::size_t slash = req.path.find('/', 5);
  query::Kind kind;
  std::uint64_t id = 0;
  if (!query::kind_from_name(req.path.substr(5, slash - 5), kind) ||
      !parse_u64(req.matches[1], id)) {
    send_error(res, 404, "no such resource");
    return;
  }
  const std::string name = query::kind_name(kind);
  auto index = api.reader(res);
  if (!index) return;
  nlohmann::json record;
  if (!find_record(**index, kind, id, name.c_str(), res, record)) return;
  if (!api.audit(req, res, "view", name + ":" + std::to_string(id))) return;
  store::RecordQuery q;
  q.session_ids = {record.value("session_id", std::uint64_t{0})};
  q.limit = kDetailRows;
  nlohmann::json files = nlohmann::json::array(), findings = nlohmann::json::array();
  std::unordered_set<std::uint64_t> events;  // the record's objects
  (void)(*index)->query_files(q, [&](const auto& f, const auto& e) {
    if (e.record_kind == name && e.record_id == id) {
      files.push_back(records::to_json(f, e));
      events.insert(e.id);
    }
    return true;
  });
  const Status st = query::for_each_record_json(
      **index, query::Kind::kFindings, q, [&](std::uint64_t, nlohmann::json j) {
        if (events.count(j.value("file_event_id", std::uint64_t{0})) != 0)
          findings.push_back(std::move(j));
        return true;
      });
  if (!st) {
    send_error(res, 500, st.error().message);
    return;
  }
  if (api.login().role == Role::kViewer) {
    mask_for_viewers(files);
    mask_for_viewers(findings);
  }
  send_json(res, {{"kind", name},
                  {name, std::move(record)},
                  {"files", std::move(files)},
                  {"findings", std::move(findings)}});
}

void kinds(ApiServer::Impl&, const Request&, Response& res) { send_json(res, kinds_metadata()); }

void fields(ApiServer::Impl&, const Request&, Response& res) {
  send_json(res, query::field_help());
}

void openapi(ApiServer::Impl&, const Request&, Response& res) {
  res.set_content(openapi_json(), "application/json; charset=utf-8");
}

}  // namespace

std::vector<Route> record_routes() {
  std::vector<Route> routes = {
      {.path = "/api/search",
       .summary = "search: {kind, total, total_capped, offset, limit, elapsed_ms, records}",
       .handler = search,
       .query = search_params()}};
  for (const query::Kind kind : query::kAllKinds) {
    const std::string k = query::kind_name(kind);
    routes.push_back({.path = "/api/" + k,
                      .summary = "search " + k + " (kind fixed)",
                      .handler = search_kind,
                      .query = search_params()});
  }
  records::for_each_record_type([&]<class R>() {
    const std::string k = query::kind_name(query::kind_of<R>());
    routes.push_back({.path = "/api/" + k + "/{id}",
                      .summary = "one " + k +
                                 " record (TLS: by its session's id) with the files it carried "
                                 "and what was found in them",
                      .handler = record_page});
  });
  std::vector<RouteParam> buckets = search_params(), top_params = search_params();
  buckets.push_back({"buckets", "integer", "number of buckets (default 60)"});
  buckets.push_back({"bytes", "integer", "0: counts only (sessions: bytes read every row)"});
  top_params.push_back({"field", "string", "host, user, client.ip, method, ...", true});
  top_params.push_back({"n", "integer", "how many (default 10)"});
  top_params.push_back({"sample", "integer", "among the newest this many matches (default all)"});
  std::vector<RouteParam> talker_params = search_params();
  talker_params.push_back({"n", "integer", "how many pairs (default 30, at most 1000)"});
  talker_params.push_back(
      {"sample", "integer", "among the newest this many matches (default all)"});
  const std::vector<Route> rest = {
      {.path = "/api/sessions/{id}",
       .summary = "a session with every record of each kind it holds",
       .handler = session_page},
      {.path = "/api/sessions/{id}/pcap",
       .min_role = Role::kInvestigator,
       .summary = "the session's packets",
       .handler = session_pcap,
       .produces = "application/vnd.tcpdump.pcap"},
      {.path = "/api/export.pcap",
       .min_role = Role::kInvestigator,
       .summary = "the packets of every session a query names (at most 10000 sessions)",
       .handler = export_pcap,
       .query = search_params(),
       .produces = "application/vnd.tcpdump.pcap"},
      {.path = "/api/export.csv",
       .summary = "every match of a list (at most 10000) as CSV, one column per field",
       .handler = export_list,
       .query = search_params(),
       .produces = "text/csv"},
      {.path = "/api/export.json",
       .summary = "every match of a list (at most 10000) as a JSON array",
       .handler = export_list,
       .query = search_params()},
      {.path = "/api/files/{sha256}",
       .summary = "a file: hashes, type, inspection, every sighting, findings",
       .handler = file_page},
      {.path = "/api/files/{sha256}/preview",
       .min_role = Role::kInvestigator,
       .summary = "the start of the file's text (16 KiB), every value the detectors find masked",
       .handler = file_preview},
      {.path = "/api/files/{sha256}/content",
       .min_role = Role::kInvestigator,
       .summary = "the file's bytes; malware only in a zip with the password 'infected'",
       .handler = file_content,
       .produces = "application/octet-stream"},
      {.path = "/api/timeline",
       .summary = "matches over time: {start, width, counts, bytes}",
       .handler = timeline,
       .query = buckets},
      {.path = "/api/top",
       .summary = "the most frequent values of a field among the matches",
       .handler = top,
       .query = top_params},
      {.path = "/api/talkers",
       .summary = "who talks to whom among the matches: {pairs: [{client, server, count}]}",
       .handler = talkers,
       .query = talker_params},
      {.path = "/api/users/{name}/activity",
       .summary = "one user's activity: counts by kind, timeline, latest sessions and HTTP",
       .handler = user_activity},
      {.path = "/api/kinds",
       .summary = "each kind's title, list columns and fields, in English and Japanese, as the "
                  "record types declare them",
       .handler = kinds},
      {.path = "/api/fields", .summary = "the fields of the query language", .handler = fields},
      {.path = "/api/openapi.json", .summary = "this document", .handler = openapi}};
  routes.insert(routes.end(), rest.begin(), rest.end());
  return routes;
}

}  // namespace kagami::console
