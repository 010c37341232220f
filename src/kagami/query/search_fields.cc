#include "kagami/query/search_fields.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "kagami/records/record_types.h"

namespace kagami::query {

const records::RecordType* record_type_of(Kind k) {
  const records::RecordType* out = nullptr;
  records::for_each_record_type([&]<class R>() {
    if (kind_of<R>() == k) out = &R::kType;
  });
  return out;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kSessions:
      return "sessions";
    case Kind::kFiles:
      return "files";
    case Kind::kFindings:
      return "findings";
    case Kind::kAlerts:
      return "alerts";
    default:
      break;
  }
  const records::RecordType* t = record_type_of(k);
  return t != nullptr ? t->kind.data() : "";  // declared from literals: terminated
}

std::string kind_names() {
  std::string out;
  for (const Kind k : kAllKinds) out += (out.empty() ? "" : ", ") + std::string(kind_name(k));
  return out;
}

const char* id_column_of(Kind k) {
  const records::RecordType* t = record_type_of(k);
  return t != nullptr ? t->id_column.data() : "id";
}

namespace {

struct TextProbe : records::FieldVisitor {
  template <class T>
  void operator()(const T&, const records::Field&) {}
  template <class Make>
  void full_text(records::TextKind k, Make&&, std::string_view row_sql = {}) {
    kind = k;
    sql = row_sql;
  }
  std::optional<records::TextKind> kind;
  std::string_view sql;
};

// Each kind's full text, probed once from the declarations.
const TextProbe& text_of(Kind k) {
  static const std::vector<std::pair<Kind, TextProbe>> probes = [] {
    std::vector<std::pair<Kind, TextProbe>> out;
    records::for_each_record_type([&]<class R>() {
      TextProbe p;
      R r;
      R::describe(r, p);
      out.emplace_back(kind_of<R>(), p);
    });
    return out;
  }();
  static const TextProbe none;
  for (const auto& [kind, probe] : probes)
    if (kind == k) return probe;
  return none;
}

}  // namespace

std::optional<records::TextKind> text_kind_of(Kind k) { return text_of(k).kind; }
std::string_view row_text_of(Kind k) { return text_of(k).sql; }

const std::vector<Kind>& text_kinds() {
  static const std::vector<Kind> kinds = [] {
    std::vector<Kind> out;
    for (const Kind k : kAllKinds)
      if (text_kind_of(k)) out.push_back(k);
    return out;
  }();
  return kinds;
}

bool kind_from_name(std::string_view name, Kind& out) {
  for (const Kind k : kAllKinds) {
    if (name == kind_name(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

namespace {

using K = Kind;
using T = ValueType;

// Every table but sessions copies its session's endpoints and has its own time.
std::vector<FieldColumn> everywhere(const char* columns) {
  std::vector<FieldColumn> v;
  for (const Kind k : kAllKinds) v.push_back({k, columns});
  return v;
}

// The shared vocabulary (every kind, or the kinds that are not a protocol's records), before
// the fields each record type declares; a declared field joins a shared one through
// Field::shared ("host", "user").
std::vector<Field> shared_first() {
  std::vector<FieldColumn> time = everywhere("ts");
  time[0] = {K::kSessions, "ts_first", nullptr, nullptr, "ts_last"};
  std::vector<FieldColumn> session = everywhere("session_id");
  session[0] = {K::kSessions, "id"};
  // Files and findings are who and where their session was.
  const char* kViaSessions = "session_id IN (SELECT id FROM sessions WHERE %)";
  return {
      {"time",
       {"ts", "date"},
       T::kTime,
       time,
       false,
       "when: 2026-11-01, >=2026-11-01T10:00+09:00, [2026-11-01 TO 2026-11-02], >now-24h"},
      {"ip",
       {"addr"},
       T::kIp,
       everywhere("client_ip,server_ip"),
       false,
       "client or server address or CIDR prefix"},
      {"client.ip",
       {"src", "src.ip", "client"},
       T::kIp,
       everywhere("client_ip"),
       false,
       "client address or prefix"},
      {"server.ip",
       {"dst", "dst.ip", "server"},
       T::kIp,
       everywhere("server_ip"),
       false,
       "server address or prefix"},
      {"port", {}, T::kInt, everywhere("client_port,server_port"), false, "client or server port"},
      {"client.port", {"src.port"}, T::kInt, everywhere("client_port"), false, "client port"},
      {"server.port", {"dst.port"}, T::kInt, everywhere("server_port"), false, "server port"},
      {"session", {"session.id"}, T::kInt, session, false, "session id"},
      {"host",
       {"hostname", "domain"},
       T::kHost,
       {{K::kSessions, "host", nullptr, "host_rev"},
        {K::kAlerts, "host"},
        {K::kFiles, "host", kViaSessions, "host_rev"},
        {K::kFindings, "host", kViaSessions, "host_rev"}},
       false,
       "server name (HTTP Host, TLS SNI, DNS): www.example.com, *.example.com"},
      {"user",
       {"username"},
       T::kText,
       {{K::kSessions, "user"},
        {K::kAlerts, "user"},
        {K::kFiles, "user", kViaSessions},
        {K::kFindings, "user", kViaSessions}},
       false,
       "who: proxy or protocol login"},
      {"app",
       {"proto", "protocol"},
       T::kApp,
       {{K::kSessions, "app"}},
       false,
       "application protocol: http, tls, smtp, dns, ..."},
      {"transport", {}, T::kTransport, {{K::kSessions, "transport"}}, false, "tcp, udp, icmp"},
      {"decrypted",
       {},
       T::kBool,
       {{K::kSessions, "decrypted"}},
       false,
       "seen in plaintext through the proxy: true or false"},
      {"sensor", {}, T::kText, {{K::kSessions, "sensor"}}, false, "the recording sensor"},
      {"analysis",
       {},
       T::kInt,
       {{K::kSessions, "analysis"}},
       false,
       "which analysis made it: 0 the recording's, N the Nth kagami reanalyze"},
  };
}

// The shared vocabulary's second half: what files, findings and alerts answer.
std::vector<Field> shared_last() {
  const char* kViaFiles = "sha256 IN (SELECT sha256 FROM files WHERE %)";
  const char* kViaFindings = "sha256 IN (SELECT sha256 FROM findings WHERE %)";
  return {
      {"direction",
       {},
       T::kText,
       {{K::kFiles, "direction"}, {K::kFindings, "direction"}, {K::kAlerts, "direction"}},
       false,
       "sent (uploads, outgoing mail) or received"},
      {"sha256",
       {"hash", "file.sha256"},
       T::kHash,
       {{K::kFiles, "sha256"}, {K::kFindings, "sha256"}, {K::kAlerts, "sha256"}},
       true,
       "SHA-256 of an extracted file"},
      {"md5",
       {"file.md5"},
       T::kHash,
       {{K::kFiles, "md5", kViaFiles}},
       true,
       "MD5 of an extracted file"},
      {"file.name",
       {"filename", "name"},
       T::kText,
       {{K::kFiles, "name"}, {K::kFindings, "file_name"}, {K::kAlerts, "file_name"}},
       true,
       "the name a file was given: *.xlsx"},
      {"file.type",
       {"type", "mime"},
       T::kFileType,
       {{K::kFiles, "name,sha256"},
        {K::kFindings, "file_name,sha256"},
        {K::kAlerts, "file_name,sha256"}},
       true,
       "xlsx, pdf, exe, or a MIME type: image/*"},
      {"file.size",
       {"size"},
       T::kSize,
       {{K::kFiles, "size", kViaFiles}},
       true,
       "bytes: >10M, [1k TO 1M]"},
      {"finding",
       {"detector"},
       T::kText,
       {{K::kFindings, "detector"},
        {K::kFiles, "detector", kViaFindings},
        {K::kAlerts, "detector", kViaFindings}},
       true,
       "what inspection found: jp_my_number, credit_card, yara:*, clamav:*"},
      {"severity",
       {},
       T::kSeverity,
       {{K::kFindings, "severity"}, {K::kAlerts, "severity"}},
       true,
       "info, low, medium, high, critical: severity:>=high"},
      {"confidence", {}, T::kText, {{K::kFindings, "confidence"}}, true, "low, medium, high"},
      {"alert", {"alert.title"}, T::kText, {{K::kAlerts, "title"}}, true, "alert title"},
      {"state",
       {"alert.state"},
       T::kText,
       {{K::kAlerts, "state", "id IN (SELECT alert_id FROM alert_states WHERE %)"}},
       true,
       "an alert's triage: new or acknowledged"},
      {"text",
       {"content", "body"},
       T::kText,
       {},
       false,
       "free text in URLs, subjects, addresses, file names and document text"},
  };
}

// The shared fields' help in Japanese (a declared field's comes from its declaration).
const char* shared_help_ja(std::string_view name) {
  static const std::pair<std::string_view, const char*> kHelp[] = {
      {"time", "いつ: 2026-11-01、>=2026-11-01T10:00+09:00、[2026-11-01 TO 2026-11-02]、>now-24h"},
      {"ip", "クライアントまたはサーバーのアドレス、CIDR プレフィックス"},
      {"client.ip", "クライアントのアドレス、プレフィックス"},
      {"server.ip", "サーバーのアドレス、プレフィックス"},
      {"port", "クライアントまたはサーバーのポート"},
      {"client.port", "クライアントのポート"},
      {"server.port", "サーバーのポート"},
      {"session", "セッション番号"},
      {"host", "サーバー名 (HTTP Host、TLS SNI、DNS): www.example.com、*.example.com"},
      {"user", "誰が: プロキシまたはプロトコルのログイン名"},
      {"app", "アプリケーションプロトコル: http、tls、smtp、dns など"},
      {"transport", "tcp、udp、icmp"},
      {"decrypted", "プロキシで平文として見えたか: true または false"},
      {"sensor", "記録したセンサー"},
      {"analysis", "記録した解析: 0 は記録時、N は N 回目の kagami reanalyze"},
      {"direction", "sent (アップロード、送信メール) または received"},
      {"sha256", "抽出したファイルの SHA-256"},
      {"md5", "抽出したファイルの MD5"},
      {"file.name", "ファイルに付けられていた名前: *.xlsx"},
      {"file.type", "xlsx、pdf、exe、または MIME タイプ: image/*"},
      {"file.size", "バイト数: >10M、[1k TO 1M]"},
      {"finding", "検査で見つかったもの: jp_my_number、credit_card、yara:*、clamav:*"},
      {"severity", "info、low、medium、high、critical: severity:>=high"},
      {"confidence", "low、medium、high"},
      {"alert", "アラートの件名"},
      {"state", "アラートの対応状況: new (未対応) または acknowledged (確認済み)"},
      {"text", "URL、件名、アドレス、ファイル名、文書のテキスト中の文字列"},
  };
  for (const auto& [n, ja] : kHelp)
    if (n == name) return ja;
  return "";
}

// Strings made while deriving the fields, alive as long as the fields (built once).
const char* keep(std::string text) {
  static std::deque<std::string> pool;
  return pool.emplace_back(std::move(text)).c_str();
}

ValueType value_type(records::FieldType t) {
  using F = records::FieldType;
  switch (t) {
    case F::kId:
    case F::kRef:
    case F::kCount:
    case F::kPort:
      return T::kInt;
    case F::kTime:
      return T::kTime;
    case F::kIp:
      return T::kIp;
    case F::kSize:
      return T::kSize;
    case F::kHost:
      return T::kHost;
    case F::kHash:
      return T::kHash;
    case F::kBool:
      return T::kBool;
    case F::kList:
      return T::kTextList;
    case F::kText:
    case F::kEnum:
    case F::kFlags:
    case F::kObject:
      return T::kText;
  }
  return T::kText;
}

// A record type's declared search fields (those of one name are one field over several
// columns), and its columns added to the shared fields it also answers, in either half.
struct DeclaredFields : records::FieldVisitor {
  Kind kind;
  std::vector<Field>& first;
  std::vector<Field>& last;
  std::vector<Field> own;

  DeclaredFields(Kind k, std::vector<Field>& f, std::vector<Field>& l)
      : kind(k), first(f), last(l) {}

  template <class V>
  void operator()(const V&, const records::Field& f) {
    if (!f.stored) return;
    const std::string column(f.column_name());
    const char* reversed = f.type == records::FieldType::kHost ? keep(column + "_rev") : nullptr;
    if (!f.shared.empty()) {
      for (std::vector<Field>* half : {&first, &last})
        for (Field& s : *half)
          if (f.shared == s.name) s.columns.push_back({kind, keep(column), nullptr, reversed});
    }
    if (f.search.empty()) return;
    for (Field& o : own) {
      if (f.search != o.name) continue;
      o.columns.front().columns = keep(std::string(o.columns.front().columns) + "," + column);
      return;
    }
    Field n{keep(std::string(f.search)),
            {},
            value_type(f.type),
            {},
            true,
            keep(std::string(f.search_help.empty() ? f.meaning : f.search_help)),
            keep(std::string(f.meaning_ja))};
    for (std::size_t at = 0; at < f.search_aliases.size();) {
      std::size_t comma = f.search_aliases.find(',', at);
      if (comma == std::string_view::npos) comma = f.search_aliases.size();
      n.aliases.push_back(keep(std::string(f.search_aliases.substr(at, comma - at))));
      at = comma + 1;
    }
    n.columns.push_back({kind, keep(column), nullptr, reversed});
    own.push_back(std::move(n));
  }
};

std::vector<Field> build() {
  std::vector<Field> all = shared_first();
  std::vector<Field> last = shared_last();
  for (std::vector<Field>* half : {&all, &last})
    for (Field& f : *half) f.help_ja = shared_help_ja(f.name);
  records::for_each_record_type([&]<class R>() {
    DeclaredFields d(kind_of<R>(), all, last);
    R r;
    R::describe(r, d);
    for (Field& f : d.own) all.push_back(std::move(f));
  });
  for (Field& f : last) all.push_back(std::move(f));
  return all;
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> all = build();
  return all;
}

const Field* find_field(std::string_view name) {
  for (const Field& f : fields()) {
    if (name == f.name) return &f;
    for (const char* a : f.aliases)
      if (name == a) return &f;
  }
  return nullptr;
}

}  // namespace kagami::query
