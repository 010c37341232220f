// The protocol records in the index: inserts and the listings' queries.
#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"
#include "kagami/store/host_key.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_statements.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

namespace {

std::string json_list(const std::vector<std::string>& v) { return records::encode_string_list(v); }

std::vector<std::string> parse_list(const std::string& text) {
  return records::decode_string_list(text);
}

int bind_endpoints(sqlite3_stmt* s, int i, const records::Endpoints& e) {
  bind_ip(s, i++, e.client_ip);
  bind_i64(s, i++, e.client_port);
  bind_ip(s, i++, e.server_ip);
  bind_i64(s, i++, e.server_port);
  return i;
}

int read_endpoints(sqlite3_stmt* s, int i, records::Endpoints& e) {
  e.client_ip = column_ip(s, i++);
  e.client_port = static_cast<std::uint16_t>(sqlite3_column_int(s, i++));
  e.server_ip = column_ip(s, i++);
  e.server_port = static_cast<std::uint16_t>(sqlite3_column_int(s, i++));
  return i;
}

// The record listings' common filters; `host_column` is what --host matches.
Where record_where(const RecordQuery& q, const char* ts_column, const char* host_column,
                   const char* prefix = "", const char* id_column = "id") {
  Where w;
  const std::string ts = std::string(prefix) + ts_column;
  if (q.since) {
    w.add(ts + " >= ?");
    w.binds.push_back([v = *q.since](sqlite3_stmt* s, int i) { bind_i64(s, i, v); });
  }
  if (q.until) {
    w.add(ts + " <= ?");
    w.binds.push_back([v = *q.until](sqlite3_stmt* s, int i) { bind_i64(s, i, v); });
  }
  if (!q.ips.empty()) {
    std::string c;
    for (const IpPrefix& p : q.ips) {
      if (!c.empty()) c += " OR ";
      c += "(" + std::string(prefix) + "client_ip BETWEEN ? AND ?) OR (" + prefix +
           "server_ip BETWEEN ? AND ?)";
      for (int k = 0; k < 2; ++k) {
        w.binds.push_back([v = p.first](sqlite3_stmt* s, int i) { bind_ip(s, i, v); });
        w.binds.push_back([v = p.last](sqlite3_stmt* s, int i) { bind_ip(s, i, v); });
      }
    }
    w.add("(" + c + ")");
  }
  if (!q.ports.empty()) {
    std::string c;
    for (std::uint16_t p : q.ports) {
      if (!c.empty()) c += " OR ";
      c += std::string(prefix) + "client_port = ? OR " + prefix + "server_port = ?";
      for (int k = 0; k < 2; ++k)
        w.binds.push_back([p](sqlite3_stmt* s, int i) { bind_i64(s, i, p); });
    }
    w.add("(" + c + ")");
  }
  if (q.host && host_column != nullptr) {
    w.add("lower(" + std::string(prefix) + host_column + ") GLOB lower(?)");
    w.binds.push_back([v = *q.host](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
  if (!q.session_ids.empty()) {
    std::string c = std::string(prefix) + "session_id IN (";
    for (std::size_t k = 0; k < q.session_ids.size(); ++k) {
      c += k ? ",?" : "?";
      w.binds.push_back([v = q.session_ids[k]](sqlite3_stmt* s, int i) { bind_u64(s, i, v); });
    }
    w.add(c + ")");
  }
  if (!q.ids.empty()) {
    std::string c = std::string(prefix) + id_column + " IN (";
    for (std::size_t k = 0; k < q.ids.size(); ++k) {
      c += k ? ",?" : "?";
      w.binds.push_back([v = q.ids[k]](sqlite3_stmt* s, int i) { bind_u64(s, i, v); });
    }
    w.add(c + ")");
  }
  return w;
}

std::string order_limit(const RecordQuery& q, const std::string& ts, const std::string& id) {
  std::string t =
      q.newest_first ? " ORDER BY " + ts + " DESC, " + id + " DESC" : " ORDER BY " + ts + ", " + id;
  if (q.limit > 0) t += " LIMIT " + std::to_string(q.limit);
  return t;
}

template <typename Row, typename Read>
Status run_query(sqlite3* db, const std::string& text, const Where& w, Read read,
                 const std::function<bool(const Row&)>& fn, const char* what) {
  auto st = prepare(db, text);
  if (!st) return st.error();
  w.bind_all(st->get());
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    if (!fn(read(st->get()))) return {};
  }
  if (rc != SQLITE_DONE) return error(db, what);
  return {};
}

}  // namespace

Status SqliteIndex::insert_http(const records::HttpRecord& r) {
  sqlite3_stmt* s = stmts_->insert_http.get();
  int i = 1;
  bind_u64(s, i++, r.id);
  bind_u64(s, i++, r.session_id);
  bind_i64(s, i++, r.ts);
  bind_i64(s, i++, r.resp_ts);
  i = bind_endpoints(s, i, r.endpoints);
  bind_text(s, i++, r.method);
  bind_text(s, i++, r.host);
  bind_text(s, i++, r.uri);
  bind_text(s, i++, r.version);
  bind_i64(s, i++, r.status);
  bind_text(s, i++, r.user_agent);
  bind_text(s, i++, r.referer);
  bind_text(s, i++, r.req_content_type);
  bind_text(s, i++, r.resp_content_type);
  bind_u64(s, i++, r.req_bytes);
  bind_u64(s, i++, r.resp_bytes);
  bind_text(s, i++, r.user);
  bind_text(s, i++, json_list(r.files));
  bind_u64(s, i++, r.flags);
  bind_text(s, i++, host_key(r.host));
  if (auto st = step_done(db_, s, "insert http"); !st) return st;
  return index_text(TextKind::kHttp, r.id, r.session_id, {}, r.host + r.uri);
}

Status SqliteIndex::insert_dns(const records::DnsRecord& r) {
  sqlite3_stmt* s = stmts_->insert_dns.get();
  int i = 1;
  bind_u64(s, i++, r.id);
  bind_u64(s, i++, r.session_id);
  bind_i64(s, i++, r.ts);
  i = bind_endpoints(s, i, r.endpoints);
  bind_i64(s, i++, r.txid);
  bind_text(s, i++, r.query);
  bind_text(s, i++, r.qtype);
  bind_text(s, i++, r.rcode);
  bind_text(s, i++, json_list(r.answers));
  bind_text(s, i++, json_list(r.additional));
  bind_i64(s, i++, r.response_seen ? 1 : 0);
  bind_i64(s, i++, r.truncated ? 1 : 0);
  bind_text(s, i++, host_key(r.query));
  return step_done(db_, s, "insert dns");
}

Status SqliteIndex::insert_tls(const records::TlsRecord& r) {
  sqlite3_stmt* s = stmts_->insert_tls.get();
  int i = 1;
  bind_u64(s, i++, r.session_id);
  bind_i64(s, i++, r.ts);
  i = bind_endpoints(s, i, r.endpoints);
  bind_text(s, i++, r.sni);
  bind_text(s, i++, json_list(r.alpn));
  bind_text(s, i++, r.alpn_selected);
  bind_text(s, i++, json_list(r.client_versions));
  bind_text(s, i++, r.version);
  bind_text(s, i++, r.cipher);
  bind_text(s, i++, r.ja3);
  bind_text(s, i++, r.ja3s);
  bind_text(s, i++, r.ja4);
  bind_text(s, i++, r.ja3_string);
  bind_text(s, i++, r.ja3s_string);
  bind_text(s, i++, r.cert_subject);
  bind_text(s, i++, r.cert_issuer);
  bind_text(s, i++, r.cert_sha256);
  bind_text(s, i++, json_list(r.cert_sans));
  bind_i64(s, i++, r.cert_not_before);
  bind_i64(s, i++, r.cert_not_after);
  bind_u64(s, i++, r.cert_count);
  bind_i64(s, i++, r.encrypted_certificate ? 1 : 0);
  bind_text(s, i++, r.ja4s);
  bind_text(s, i++, r.cert_serial);
  bind_text(s, i++, r.client_cert_subject);
  bind_text(s, i++, r.alert);
  bind_i64(s, i++, r.hello_retry ? 1 : 0);
  bind_i64(s, i++, r.partial ? 1 : 0);
  bind_i64(s, i++, r.decrypted ? 1 : 0);
  bind_text(s, i++, r.upstream_version);
  bind_text(s, i++, r.upstream_cipher);
  bind_text(s, i++, r.upstream_verdict);
  bind_text(s, i++, r.policy);
  bind_text(s, i++, host_key(r.sni));
  return step_done(db_, s, "insert tls");
}

Status SqliteIndex::insert_mail(const records::MailRecord& r) {
  sqlite3_stmt* s = stmts_->insert_mail.get();
  int i = 1;
  bind_u64(s, i++, r.id);
  bind_u64(s, i++, r.session_id);
  bind_i64(s, i++, r.ts);
  i = bind_endpoints(s, i, r.endpoints);
  bind_text(s, i++, r.protocol);
  bind_text(s, i++, r.direction);
  bind_text(s, i++, r.mail_from);
  bind_text(s, i++, json_list(r.rcpt_to));
  bind_text(s, i++, r.from);
  bind_text(s, i++, json_list(r.to));
  bind_text(s, i++, json_list(r.cc));
  bind_text(s, i++, r.subject);
  bind_text(s, i++, r.message_id);
  bind_text(s, i++, r.date);
  bind_text(s, i++, r.body_text);
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : r.attachments)
    a.push_back({{"sha256", x.sha256}, {"name", x.name}, {"type", x.type}, {"size", x.size}});
  bind_text(s, i++, records::dump_json(a));
  bind_text(s, i++, r.eml_sha256);
  bind_u64(s, i++, r.size);
  bind_text(s, i++, r.user);
  bind_i64(s, i++, r.flags);
  bind_text(s, i++, r.helo);
  bind_text(s, i++, r.folder);
  bind_text(s, i++, json_list(r.reply_to));
  if (auto st = step_done(db_, s, "insert mail"); !st) return st;
  std::string text = r.subject + "\n" + (r.from.empty() ? r.mail_from : r.from);
  for (const auto* list : {&r.to, &r.cc, &r.rcpt_to})
    for (const auto& addr : *list) text += "\n" + addr;
  return index_text(TextKind::kMail, r.id, r.session_id, {}, text);
}

Status SqliteIndex::insert_ftp(const records::FtpRecord& r) {
  sqlite3_stmt* s = stmts_->insert_ftp.get();
  int i = 1;
  bind_u64(s, i++, r.id);
  bind_u64(s, i++, r.session_id);
  bind_i64(s, i++, r.ts);
  i = bind_endpoints(s, i, r.endpoints);
  bind_text(s, i++, r.user);
  bind_text(s, i++, r.command);
  bind_text(s, i++, r.arg);
  bind_i64(s, i++, r.reply_code);
  bind_text(s, i++, r.reply);
  bind_text(s, i++, r.data);
  return step_done(db_, s, "insert ftp");
}

Status SqliteIndex::insert_file(const records::FileRecord& f) {
  sqlite3_stmt* s = stmts_->insert_file.get();
  bind_text(s, 1, f.sha256);
  bind_text(s, 2, f.md5);
  bind_u64(s, 3, f.size);
  bind_text(s, 4, f.mime);
  bind_i64(s, 5, f.first_seen);
  return step_done(db_, s, "insert file");
}

Status SqliteIndex::insert_file_event(const records::FileEvent& e) {
  sqlite3_stmt* s = stmts_->insert_file_event.get();
  int i = 1;
  bind_u64(s, i++, e.id);
  bind_text(s, i++, e.sha256);
  bind_u64(s, i++, e.session_id);
  bind_i64(s, i++, e.ts);
  i = bind_endpoints(s, i, e.endpoints);
  bind_text(s, i++, e.protocol);
  bind_text(s, i++, e.direction);
  bind_text(s, i++, e.name);
  bind_text(s, i++, e.field);
  bind_text(s, i++, e.claimed_type);
  bind_text(s, i++, e.record_kind);
  bind_u64(s, i++, e.record_id);
  bind_i64(s, i++, e.partial ? 1 : 0);
  bind_text(s, i++, e.note);
  if (auto st = step_done(db_, s, "insert file event"); !st) return st;
  if (e.name.empty()) return {};
  return index_text(TextKind::kFileName, e.id, e.session_id, e.sha256, e.name);
}

Status SqliteIndex::query_http(const RecordQuery& q,
                               const std::function<bool(const records::HttpRecord&)>& fn) {
  const Where w = record_where(q, "ts", "host");
  const std::string text = "SELECT * FROM http" + w.text + order_limit(q, "ts", "id");
  return run_query<records::HttpRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::HttpRecord r;
        int i = 0;
        r.id = column_u64(s, i++);
        r.session_id = column_u64(s, i++);
        r.ts = sqlite3_column_int64(s, i++);
        r.resp_ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, r.endpoints);
        r.method = column_text(s, i++);
        r.host = column_text(s, i++);
        r.uri = column_text(s, i++);
        r.version = column_text(s, i++);
        r.status = sqlite3_column_int(s, i++);
        r.user_agent = column_text(s, i++);
        r.referer = column_text(s, i++);
        r.req_content_type = column_text(s, i++);
        r.resp_content_type = column_text(s, i++);
        r.req_bytes = column_u64(s, i++);
        r.resp_bytes = column_u64(s, i++);
        r.user = column_text(s, i++);
        r.files = parse_list(column_text(s, i++));
        r.flags = static_cast<std::uint32_t>(column_u64(s, i++));
        return r;
      },
      fn, "query http");
}

Status SqliteIndex::query_dns(const RecordQuery& q,
                              const std::function<bool(const records::DnsRecord&)>& fn) {
  const Where w = record_where(q, "ts", "query");
  const std::string text = "SELECT * FROM dns" + w.text + order_limit(q, "ts", "id");
  return run_query<records::DnsRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::DnsRecord r;
        int i = 0;
        r.id = column_u64(s, i++);
        r.session_id = column_u64(s, i++);
        r.ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, r.endpoints);
        r.txid = static_cast<std::uint16_t>(sqlite3_column_int(s, i++));
        r.query = column_text(s, i++);
        r.qtype = column_text(s, i++);
        r.rcode = column_text(s, i++);
        r.answers = parse_list(column_text(s, i++));
        r.additional = parse_list(column_text(s, i++));
        r.response_seen = sqlite3_column_int(s, i++) != 0;
        r.truncated = sqlite3_column_int(s, i++) != 0;
        return r;
      },
      fn, "query dns");
}

Status SqliteIndex::query_tls(const RecordQuery& q,
                              const std::function<bool(const records::TlsRecord&)>& fn) {
  const Where w = record_where(q, "ts", "sni", "", "session_id");
  const std::string text = "SELECT * FROM tls" + w.text + order_limit(q, "ts", "session_id");
  return run_query<records::TlsRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::TlsRecord r;
        int i = 0;
        r.session_id = column_u64(s, i++);
        r.ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, r.endpoints);
        r.sni = column_text(s, i++);
        r.alpn = parse_list(column_text(s, i++));
        r.alpn_selected = column_text(s, i++);
        r.client_versions = parse_list(column_text(s, i++));
        r.version = column_text(s, i++);
        r.cipher = column_text(s, i++);
        r.ja3 = column_text(s, i++);
        r.ja3s = column_text(s, i++);
        r.ja4 = column_text(s, i++);
        r.ja3_string = column_text(s, i++);
        r.ja3s_string = column_text(s, i++);
        r.cert_subject = column_text(s, i++);
        r.cert_issuer = column_text(s, i++);
        r.cert_sha256 = column_text(s, i++);
        r.cert_sans = parse_list(column_text(s, i++));
        r.cert_not_before = sqlite3_column_int64(s, i++);
        r.cert_not_after = sqlite3_column_int64(s, i++);
        r.cert_count = static_cast<std::uint32_t>(column_u64(s, i++));
        r.encrypted_certificate = sqlite3_column_int(s, i++) != 0;
        r.ja4s = column_text(s, i++);
        r.cert_serial = column_text(s, i++);
        r.client_cert_subject = column_text(s, i++);
        r.alert = column_text(s, i++);
        r.hello_retry = sqlite3_column_int(s, i++) != 0;
        r.partial = sqlite3_column_int(s, i++) != 0;
        r.decrypted = sqlite3_column_int(s, i++) != 0;
        r.upstream_version = column_text(s, i++);
        r.upstream_cipher = column_text(s, i++);
        r.upstream_verdict = column_text(s, i++);
        r.policy = column_text(s, i++);
        r.client_hello_seen = !r.ja3.empty();
        r.server_hello_seen = !r.ja3s.empty();
        return r;
      },
      fn, "query tls");
}

Status SqliteIndex::query_mail(const RecordQuery& q,
                               const std::function<bool(const records::MailRecord&)>& fn) {
  const Where w = record_where(q, "ts", nullptr);
  const std::string text = "SELECT * FROM mail" + w.text + order_limit(q, "ts", "id");
  return run_query<records::MailRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::MailRecord r;
        int i = 0;
        r.id = column_u64(s, i++);
        r.session_id = column_u64(s, i++);
        r.ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, r.endpoints);
        r.protocol = column_text(s, i++);
        r.direction = column_text(s, i++);
        r.mail_from = column_text(s, i++);
        r.rcpt_to = parse_list(column_text(s, i++));
        r.from = column_text(s, i++);
        r.to = parse_list(column_text(s, i++));
        r.cc = parse_list(column_text(s, i++));
        r.subject = column_text(s, i++);
        r.message_id = column_text(s, i++);
        r.date = column_text(s, i++);
        r.body_text = column_text(s, i++);
        auto a = nlohmann::json::parse(column_text(s, i++), nullptr, false);
        if (a.is_array()) {
          for (const auto& x : a)
            r.attachments.push_back(
                records::MailAttachment{x.value("sha256", ""), records::raw_string(x, "name"),
                                        records::raw_string(x, "type"), x.value("size", 0ull)});
        }
        r.eml_sha256 = column_text(s, i++);
        r.size = column_u64(s, i++);
        r.user = column_text(s, i++);
        r.flags = static_cast<std::uint32_t>(sqlite3_column_int64(s, i++));
        r.helo = column_text(s, i++);
        r.folder = column_text(s, i++);
        r.reply_to = parse_list(column_text(s, i++));
        return r;
      },
      fn, "query mail");
}

Status SqliteIndex::query_ftp(const RecordQuery& q,
                              const std::function<bool(const records::FtpRecord&)>& fn) {
  const Where w = record_where(q, "ts", nullptr);
  const std::string text = "SELECT * FROM ftp" + w.text + order_limit(q, "ts", "id");
  return run_query<records::FtpRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::FtpRecord r;
        int i = 0;
        r.id = column_u64(s, i++);
        r.session_id = column_u64(s, i++);
        r.ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, r.endpoints);
        r.user = column_text(s, i++);
        r.command = column_text(s, i++);
        r.arg = column_text(s, i++);
        r.reply_code = sqlite3_column_int(s, i++);
        r.reply = column_text(s, i++);
        r.data = column_text(s, i++);
        return r;
      },
      fn, "query ftp");
}

Status SqliteIndex::query_files(
    const RecordQuery& q,
    const std::function<bool(const records::FileRecord&, const records::FileEvent&)>& fn) {
  Where w = record_where(q, "ts", nullptr, "e.");
  if (q.sha256) {
    w.add("e.sha256 = ?");
    w.binds.push_back([v = *q.sha256](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
  if (q.name) {
    w.add("lower(e.name) GLOB lower(?)");
    w.binds.push_back([v = *q.name](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
  const std::string text =
      "SELECT f.sha256, f.md5, f.size, f.mime, f.first_seen, e.id, e.session_id, e.ts, "
      "e.client_ip, e.client_port, e.server_ip, e.server_port, e.protocol, e.direction, e.name, "
      "e.field, e.claimed_type, e.record_kind, e.record_id, e.partial, e.note, "
      "i.sha256, i.flags, i.note, i.text_sha256, i.text_bytes "
      "FROM file_events e JOIN files f ON f.sha256 = e.sha256 "
      "LEFT JOIN inspections i ON i.sha256 = e.sha256" +
      w.text + order_limit(q, "e.ts", "e.id");
  auto st = prepare(db_, text);
  if (!st) return st.error();
  w.bind_all(st->get());
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = st->get();
    records::FileRecord f;
    records::FileEvent e;
    int i = 0;
    f.sha256 = column_text(s, i++);
    f.md5 = column_text(s, i++);
    f.size = column_u64(s, i++);
    f.mime = column_text(s, i++);
    f.first_seen = sqlite3_column_int64(s, i++);
    e.id = column_u64(s, i++);
    e.sha256 = f.sha256;
    e.session_id = column_u64(s, i++);
    e.ts = sqlite3_column_int64(s, i++);
    i = read_endpoints(s, i, e.endpoints);
    e.protocol = column_text(s, i++);
    e.direction = column_text(s, i++);
    e.name = column_text(s, i++);
    e.field = column_text(s, i++);
    e.claimed_type = column_text(s, i++);
    e.record_kind = column_text(s, i++);
    e.record_id = column_u64(s, i++);
    e.partial = sqlite3_column_int(s, i++) != 0;
    e.note = column_text(s, i++);
    f.inspected = sqlite3_column_type(s, i++) != SQLITE_NULL;
    f.inspect_flags = column_text(s, i++);
    f.inspect_note = column_text(s, i++);
    f.text_sha256 = column_text(s, i++);
    f.text_bytes = column_u64(s, i++);
    if (!fn(f, e)) return {};
  }
  if (rc != SQLITE_DONE) return error(db_, "query files");
  return {};
}

namespace {

// Severity names in order; what --severity compares.
constexpr const char* kSeverityRank =
    "(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 1 ELSE 0 END)";

void add_inspection_filters(const RecordQuery& q, Where& w, bool detector) {
  if (q.sha256) {
    w.add("sha256 = ?");
    w.binds.push_back([v = *q.sha256](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
  if (q.min_severity) {
    w.add(std::string(kSeverityRank) + " >= ?");
    w.binds.push_back([v = *q.min_severity](sqlite3_stmt* s, int i) { bind_i64(s, i, v); });
  }
  if (detector && q.detector) {
    w.add("detector GLOB ?");
    w.binds.push_back([v = *q.detector](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
}

}  // namespace

Status SqliteIndex::insert_finding(const records::FindingRecord& f) {
  sqlite3_stmt* s = stmts_->insert_finding.get();
  int i = 1;
  bind_u64(s, i++, f.id);
  bind_text(s, i++, f.sha256);
  bind_u64(s, i++, f.session_id);
  bind_u64(s, i++, f.file_event_id);
  bind_i64(s, i++, f.ts);
  i = bind_endpoints(s, i, f.endpoints);
  bind_text(s, i++, f.protocol);
  bind_text(s, i++, f.direction);
  bind_text(s, i++, f.file_name);
  bind_text(s, i++, f.detector);
  bind_text(s, i++, f.confidence);
  bind_u64(s, i++, f.count);
  bind_text(s, i++, f.severity);
  bind_text(s, i++, f.sample);
  bind_text(s, i++, f.member);
  bind_u64(s, i++, f.alert_id);
  return step_done(db_, s, "insert finding");
}

Status SqliteIndex::insert_alert(const records::AlertRecord& a) {
  sqlite3_stmt* s = stmts_->insert_alert.get();
  int i = 1;
  bind_u64(s, i++, a.id);
  bind_i64(s, i++, a.ts);
  bind_text(s, i++, a.severity);
  bind_text(s, i++, a.title);
  bind_u64(s, i++, a.session_id);
  bind_u64(s, i++, a.file_event_id);
  bind_text(s, i++, a.sha256);
  i = bind_endpoints(s, i, a.endpoints);
  bind_text(s, i++, a.protocol);
  bind_text(s, i++, a.direction);
  bind_text(s, i++, a.file_name);
  bind_text(s, i++, a.user);
  bind_text(s, i++, a.host);
  bind_text(s, i++, a.findings);
  return step_done(db_, s, "insert alert");
}

Status SqliteIndex::upsert_inspection(const records::InspectionRecord& r) {
  sqlite3_stmt* s = stmts_->upsert_inspection.get();
  bind_text(s, 1, r.sha256);
  bind_i64(s, 2, r.ts);
  bind_u64(s, 3, r.text_bytes);
  bind_text(s, 4, r.text_sha256);
  bind_text(s, 5, r.flags);
  bind_text(s, 6, r.note);
  bind_i64(s, 7, r.findings);
  if (auto st = step_done(db_, s, "upsert inspection"); !st) return st;
  if (r.search_text.empty()) return {};
  sqlite3_stmt* d = stmts_->doc_text_id.get();
  bind_text(d, 1, r.sha256);
  if (sqlite3_step(d) != SQLITE_ROW) {
    sqlite3_reset(d);
    return error(db_, "document text id");
  }
  const std::uint64_t doc = column_u64(d, 0);
  sqlite3_reset(d);
  return index_text(TextKind::kDocument, doc, 0, r.sha256, r.search_text);
}

Status SqliteIndex::index_text(TextKind kind, std::uint64_t ref, std::uint64_t session_id,
                               const std::string& sha256, std::string_view body) {
  // Records get their full-text rows at the end of a bulk load; document text only now.
  if (bulk_ && kind != TextKind::kDocument) return {};
  static constexpr const char* kNames[] = {"", "http", "mail", "file", "doc"};
  const auto k = static_cast<std::uint64_t>(kind);
  sqlite3_stmt* s = stmts_->insert_text.get();
  bind_u64(s, 1, static_cast<std::uint64_t>(text_rowid(static_cast<int>(k))) | ref);
  sqlite3_bind_text(s, 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, kNames[k], -1, SQLITE_STATIC);
  bind_u64(s, 4, ref);
  bind_u64(s, 5, session_id);
  bind_text(s, 6, sha256);
  return step_done(db_, s, "index text");
}

Status SqliteIndex::query_findings(const RecordQuery& q,
                                   const std::function<bool(const records::FindingRecord&)>& fn) {
  Where w = record_where(q, "ts", nullptr);
  add_inspection_filters(q, w, true);
  const std::string text = "SELECT * FROM findings" + w.text + order_limit(q, "ts", "id");
  return run_query<records::FindingRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::FindingRecord f;
        int i = 0;
        f.id = column_u64(s, i++);
        f.sha256 = column_text(s, i++);
        f.session_id = column_u64(s, i++);
        f.file_event_id = column_u64(s, i++);
        f.ts = sqlite3_column_int64(s, i++);
        i = read_endpoints(s, i, f.endpoints);
        f.protocol = column_text(s, i++);
        f.direction = column_text(s, i++);
        f.file_name = column_text(s, i++);
        f.detector = column_text(s, i++);
        f.confidence = column_text(s, i++);
        f.count = column_u64(s, i++);
        f.severity = column_text(s, i++);
        f.sample = column_text(s, i++);
        f.member = column_text(s, i++);
        f.alert_id = column_u64(s, i++);
        return f;
      },
      fn, "query findings");
}

Status SqliteIndex::query_alerts(const RecordQuery& q,
                                 const std::function<bool(const records::AlertRecord&)>& fn) {
  Where w = record_where(q, "ts", "host");
  add_inspection_filters(q, w, false);
  const std::string text = "SELECT * FROM alerts" + w.text + order_limit(q, "ts", "id");
  return run_query<records::AlertRecord>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        records::AlertRecord a;
        int i = 0;
        a.id = column_u64(s, i++);
        a.ts = sqlite3_column_int64(s, i++);
        a.severity = column_text(s, i++);
        a.title = column_text(s, i++);
        a.session_id = column_u64(s, i++);
        a.file_event_id = column_u64(s, i++);
        a.sha256 = column_text(s, i++);
        i = read_endpoints(s, i, a.endpoints);
        a.protocol = column_text(s, i++);
        a.direction = column_text(s, i++);
        a.file_name = column_text(s, i++);
        a.user = column_text(s, i++);
        a.host = column_text(s, i++);
        a.findings = column_text(s, i++);
        return a;
      },
      fn, "query alerts");
}

Result<std::optional<records::InspectionRecord>> SqliteIndex::inspection(
    const std::string& sha256) {
  auto st = prepare(db_, "SELECT * FROM inspections WHERE sha256 = ?");
  if (!st) return st.error();
  bind_text(st->get(), 1, sha256);
  const int rc = sqlite3_step(st->get());
  if (rc == SQLITE_DONE) return std::optional<records::InspectionRecord>();
  if (rc != SQLITE_ROW) return error(db_, "query inspection");
  records::InspectionRecord r;
  sqlite3_stmt* s = st->get();
  r.sha256 = column_text(s, 0);
  r.ts = sqlite3_column_int64(s, 1);
  r.text_bytes = column_u64(s, 2);
  r.text_sha256 = column_text(s, 3);
  r.flags = column_text(s, 4);
  r.note = column_text(s, 5);
  r.findings = static_cast<std::uint32_t>(sqlite3_column_int64(s, 6));
  return std::optional<records::InspectionRecord>(std::move(r));
}

}  // namespace kagami::store
