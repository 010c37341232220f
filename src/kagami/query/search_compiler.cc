#include "kagami/query/search_compiler.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "kagami/records/finding_record.h"
#include "kagami/store/host_key.h"

namespace kagami::query {

const char* table_of(Kind k) {
  switch (k) {
    case Kind::kSessions:
      return "sessions";
    case Kind::kFiles:
      return "file_events";
    default:
      break;
  }
  const records::RecordType* t = record_type_of(k);
  return t != nullptr ? t->table.data() : kind_name(k);  // declared from literals: terminated
}

const char* time_index_of(Kind k) {
  switch (k) {
    case Kind::kSessions:
      return "sessions_ts_first";
    case Kind::kFiles:
      return "file_events_ts";
    case Kind::kFindings:
      return "findings_ts";
    case Kind::kAlerts:
      return "alerts_ts";
    default:
      break;
  }
  // A record type's table has its time index "<table>_ts" (store/sqlite_records.cc).
  static const std::vector<std::pair<Kind, std::string>> names = [] {
    std::vector<std::pair<Kind, std::string>> m;
    records::for_each_record_type(
        [&]<class R>() { m.emplace_back(kind_of<R>(), std::string(R::kType.table) + "_ts"); });
    return m;
  }();
  for (const auto& [kind, name] : names)
    if (kind == k) return name.c_str();
  return "";
}

namespace {

const char* session_column(Kind k) { return k == Kind::kSessions ? "id" : "session_id"; }

bool object_level(Kind k) {
  return k == Kind::kFiles || k == Kind::kFindings || k == Kind::kAlerts;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Characters, not bytes: the trigram index counts characters.
std::size_t chars(std::string_view v) {
  std::size_t n = 0;
  for (const char ch : v)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

// Free text as searched: '*' means nothing in a substring search.
std::string searched_text(std::string_view raw) {
  std::string v;
  for (const char ch : raw)
    if (ch != '*') v += ch;
  return v;
}

bool has_wildcard(std::string_view v) { return v.find_first_of("*?") != std::string_view::npos; }

// A value taken literally inside a GLOB pattern.
std::string glob_literal(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_columns(const char* columns) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = columns; *p; ++p) {
    if (*p == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  out.push_back(cur);
  return out;
}

std::string replace_mark(const char* via, const std::string& predicate) {
  std::string s(via);
  const auto at = s.find('%');
  return s.substr(0, at) + predicate + s.substr(at + 1);
}

bool parse_i64(std::string_view v, std::int64_t& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

// "10M" → 10485760.
bool parse_size(std::string_view v, std::int64_t& out) {
  std::int64_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k':
      case 'K':
        mult = 1024;
        break;
      case 'm':
      case 'M':
        mult = 1024 * 1024;
        break;
      case 'g':
      case 'G':
        mult = 1024LL * 1024 * 1024;
        break;
      default:
        break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  if (!parse_i64(v, out) || out < 0 || out > (INT64_MAX / mult)) return false;
  out *= mult;
  return true;
}

// A time as a span [start, end): a date is its day, "now-2h" an instant, anything else the
// second (or finer, as typed) it names.
bool parse_time_span(std::string_view v, TimeNs now, const TimeZone& zone, TimeNs& start,
                     TimeNs& end) {
  if (v.rfind("now", 0) == 0) {
    TimeNs t = now;
    std::string_view rest = v.substr(3);
    if (!rest.empty()) {
      if (rest[0] != '-' && rest[0] != '+') return false;
      const bool minus = rest[0] == '-';
      rest.remove_prefix(1);
      if (rest.size() < 2) return false;
      TimeNs unit = 0;
      switch (rest.back()) {
        case 's':
          unit = kNsPerSec;
          break;
        case 'm':
          unit = 60 * kNsPerSec;
          break;
        case 'h':
          unit = 3600 * kNsPerSec;
          break;
        case 'd':
          unit = 86400 * kNsPerSec;
          break;
        case 'w':
          unit = 7 * 86400 * kNsPerSec;
          break;
        default:
          return false;
      }
      std::int64_t n = 0;
      if (!parse_i64(rest.substr(0, rest.size() - 1), n) || n < 0 || n > 100000) return false;
      t += (minus ? -1 : 1) * n * unit;
    }
    start = t;
    end = t + 1;
    return true;
  }
  // A time without a zone is wall time in the zone the user reads times in; a date is that
  // zone's day (23 or 25 hours when daylight saving changes).
  bool zoned = false;
  auto t = parse_time_zoned(v, zoned);
  if (!t) return false;
  const bool date_only = v.size() == 10 && v[4] == '-' && v[7] == '-';
  const bool has_fraction = v.find('.') != std::string_view::npos;
  if (zoned) {
    start = *t;
    end = start + (has_fraction ? 1 : kNsPerSec);
    return true;
  }
  start = zone.from_local(*t);
  end =
      date_only ? zone.from_local(*t + 86400 * kNsPerSec) : start + (has_fraction ? 1 : kNsPerSec);
  return true;
}

struct FileTypeAlias {
  const char* name;
  const char* mimes;  // comma-separated
};

// What investigators call a type, and the MIME types libmagic gives it.
constexpr FileTypeAlias kFileTypes[] = {
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"xls", "application/vnd.ms-excel"},
    {"doc", "application/msword"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip,application/x-gzip"},
    {"tar", "application/x-tar"},
    {"7z", "application/x-7z-compressed"},
    {"rar", "application/x-rar,application/vnd.rar"},
    {"exe", "application/x-dosexec,application/vnd.microsoft.portable-executable"},
    {"dll", "application/x-dosexec"},
    {"elf", "application/x-executable,application/x-sharedlib,application/x-pie-executable"},
    {"txt", "text/plain"},
    {"csv", "text/csv"},
    {"html", "text/html"},
    {"xml", "text/xml,application/xml"},
    {"json", "application/json"},
    {"rtf", "text/rtf,application/rtf"},
    {"eml", "message/rfc822"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"png", "image/png"},
    {"gif", "image/gif"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"js", "application/javascript,text/javascript"},
};

// How free text is written. kSets: the ids the full-text index lists. kRows: a test of each
// row's own text. kBeyondOwn: only records the text reaches some other way than the one the
// search's driver lists (an attached document, a session's messages), for counting those once.
enum class TextForm { kSets, kRows, kBeyondOwn };

class Compiler {
 public:
  Compiler(const CompileOptions& o, std::vector<store::SqlValue>& binds, QueryError& error,
           TextForm form = TextForm::kSets)
      : o_(o), binds_(binds), error_(error), form_(form), rows_(form != TextForm::kSets) {}

  bool node(const Node& n, Kind t, std::string& sql) {
    switch (n.type) {
      case Node::Type::kAnd:
      case Node::Type::kOr: {
        sql = "(";
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          std::string part;
          if (!node(n.children[i], t, part)) return false;
          if (i > 0) sql += n.type == Node::Type::kAnd ? " AND " : " OR ";
          sql += part;
        }
        sql += ")";
        return true;
      }
      case Node::Type::kNot: {
        std::string part;
        if (!node(n.children[0], t, part)) return false;
        sql = "NOT " + part;
        return true;
      }
      case Node::Type::kText:
        return text(n, n.value, t, sql);
      case Node::Type::kTerm:
        return term(n, t, sql);
    }
    return false;
  }

  // The last window of sessions' activity a time term asked for ([lo, hi), unset ends open).
  struct SessionWindow {
    std::optional<TimeNs> lo, hi;
  };
  const std::optional<SessionWindow>& session_window() const { return window_; }
  // The last host or user the sessions were matched by, on their own column ("" if none).
  const char* rolled_field() const { return rolled_field_; }

 private:
  // A range written high end first matches nothing; say so rather than answer 0.
  bool reversed(const Node& n) {
    return fail(n, "reversed_range",
                "this range's low end (" + n.value + ") is above its high end (" + n.value2 +
                    "): write " + n.field + ":[" + n.value2 + " TO " + n.value + "]",
                {{"field", n.field}, {"low", n.value}, {"high", n.value2}});
  }

  bool fail(const Node& n, const char* code, std::string message,
            std::vector<std::pair<std::string, std::string>> args = {}) {
    error_.pos = n.pos;
    error_.len = n.len;
    error_.code = code;
    error_.args = std::move(args);
    error_.message = std::move(message);
    return false;
  }

  void bind(std::int64_t v) { binds_.emplace_back(v); }
  void bind(std::string v) { binds_.emplace_back(std::move(v)); }
  void bind(const IpAddress& v) { binds_.emplace_back(v); }

  bool term(const Node& n, Kind t, std::string& sql) {
    const Field* f = find_field(n.field);
    if (f == nullptr)
      return fail(n, "unknown_field",
                  "unknown field '" + n.field +
                      "' (the fields are listed by kagami search --fields and on the console's "
                      "Fields page; quote text to search it as is)",
                  {{"field", n.field}});
    if (std::strcmp(f->name, "text") == 0) {
      if (n.op != Node::Op::kEq) return fail(n, "text_compared", "free text cannot be compared");
      return text(n, n.value, t, sql);
    }
    const FieldColumn* direct = nullptr;
    for (const FieldColumn& c : f->columns)
      if (c.table == t) direct = &c;
    const FieldColumn& c = direct ? *direct : f->columns.front();
    std::string p;
    if (!predicate(*f, c, n, p)) return false;
    if (c.via != nullptr) p = replace_mark(c.via, p);
    if (direct != nullptr) {
      if (t == Kind::kSessions && c.via == nullptr &&
          (std::strcmp(f->name, "host") == 0 || std::strcmp(f->name, "user") == 0))
        rolled_field_ = f->name;
      sql = p;
      return true;
    }
    sql = relate(t, c.table, p);
    return true;
  }

  // Rows of `t` related to rows of `home` where `p` holds: the same session, or for files,
  // findings and alerts the same object.
  static std::string relate(Kind t, Kind home, const std::string& p) {
    if (object_level(t) && object_level(home))
      return std::string("sha256 IN (SELECT sha256 FROM ") + table_of(home) + " WHERE " + p + ")";
    return std::string(session_column(t)) + " IN (SELECT " + session_column(home) + " FROM " +
           table_of(home) + " WHERE " + p + ")";
  }

  // OR over the field's columns in its table; `one` writes the test for one column.
  template <typename One>
  std::string any_column(const char* columns, One one) {
    const auto cols = split_columns(columns);
    if (cols.size() == 1) return one(cols[0]);
    std::string s = "(";
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) s += " OR ";
      s += one(cols[i]);
    }
    return s + ")";
  }

  bool predicate(const Field& f, const FieldColumn& c, const Node& n, std::string& sql) {
    switch (f.type) {
      case ValueType::kText:
      case ValueType::kTextList:
        return text_value(f, c, n, sql);
      case ValueType::kHost:
        return host_value(c, n, sql);
      case ValueType::kIp:
        return ip_value(c, n, sql);
      case ValueType::kInt:
      case ValueType::kSize:
        return int_value(f, c, n, sql);
      case ValueType::kTime:
        return time_value(c, n, sql);
      case ValueType::kBool:
        return bool_value(c, n, sql);
      case ValueType::kSeverity:
        return severity_value(c, n, sql);
      case ValueType::kFileType:
        return file_type_value(c, n, sql);
      case ValueType::kTransport:
        return transport_value(c, n, sql);
      case ValueType::kApp:
        return app_value(c, n, sql);
      case ValueType::kHash:
        return hash_value(c, n, sql);
    }
    return false;
  }

  bool equality_only(const Field& f, const Node& n) {
    if (n.op == Node::Op::kEq) return true;
    return fail(n, "not_comparable",
                std::string("'") + f.name + "' is matched, not compared: " + f.name + ":value or " +
                    f.name + ":*part*",
                {{"field", f.name}});
  }

  bool text_value(const Field& f, const FieldColumn& c, const Node& n, std::string& sql) {
    if (!equality_only(f, n)) return false;
    const bool wild = !n.quoted && has_wildcard(n.value);
    if (f.type == ValueType::kTextList) {
      const std::string pattern =
          "*\"" + (wild ? lower(n.value) : glob_literal(lower(n.value))) + "\"*";
      sql = any_column(c.columns, [&](const std::string& col) {
        bind(pattern);
        return "lower(" + col + ") GLOB ?";
      });
      return true;
    }
    sql = any_column(c.columns, [&](const std::string& col) {
      if (wild) {
        bind(lower(n.value));
        return "lower(" + col + ") GLOB ?";
      }
      bind(n.value);
      return col + " = ? COLLATE NOCASE";
    });
    return true;
  }

  bool host_value(const FieldColumn& c, const Node& n, std::string& sql) {
    if (n.op != Node::Op::kEq)
      return fail(n, "not_comparable", "a host is matched, not compared", {{"field", "host"}});
    const std::string& v = n.value;
    const bool wild = !n.quoted && has_wildcard(v);
    if (c.reversed != nullptr && !wild) {
      bind(store::host_key(v));
      sql = std::string(c.reversed) + " = ?";
      return true;
    }
    if (c.reversed != nullptr && v.size() > 1 && v[0] == '*' && !has_wildcard(v.substr(1))) {
      // "*.example.com": every reversed key starting "moc.elpmaxe." — an index range.
      const std::string key = store::host_key(v.substr(1));
      bind(key);
      bind(key + "\xff");
      sql = "(" + std::string(c.reversed) + " >= ? AND " + c.reversed + " < ?)";
      return true;
    }
    if (wild) {
      bind(lower(v));
      sql = "lower(" + std::string(c.columns) + ") GLOB ?";
      return true;
    }
    bind(v);
    sql = std::string(c.columns) + " = ? COLLATE NOCASE";
    return true;
  }

  bool ip_value(const FieldColumn& c, const Node& n, std::string& sql) {
    IpAddress lo, hi;
    if (n.op == Node::Op::kRange) {
      auto a = IpAddress::parse(n.value);
      auto b = IpAddress::parse(n.value2);
      if (!a || !b) return fail(n, "address_range", "an address range is [10.0.0.1 TO 10.0.0.99]");
      lo = *a;
      hi = *b;
      if (hi < lo) return reversed(n);
    } else if (n.op == Node::Op::kEq) {
      auto p = IpPrefix::parse(n.value);
      if (!p)
        return fail(n, "not_address", "'" + n.value + "' is not an address or CIDR prefix",
                    {{"value", n.value}});
      lo = p->first;
      hi = p->last;
    } else {
      return fail(n, "not_comparable", "an address is matched, not compared: ip:10.0.0.0/8",
                  {{"field", "ip"}});
    }
    sql = any_column(c.columns, [&](const std::string& col) {
      // One address is an equality, so an index on (address, time) serves the time too.
      if (!(lo < hi)) {
        bind(lo);
        return col + " = ?";
      }
      bind(lo);
      bind(hi);
      return col + " BETWEEN ? AND ?";
    });
    return true;
  }

  bool int_value(const Field& f, const FieldColumn& c, const Node& n, std::string& sql) {
    const bool size = f.type == ValueType::kSize;
    auto parse = [&](const std::string& v, std::int64_t& out) {
      return size ? parse_size(v, out) : parse_i64(v, out);
    };
    const char* expect = size ? "a size such as 1000, 64k, 10M" : "a number";
    if (n.op == Node::Op::kRange) {
      std::int64_t a = 0, b = 0;
      const bool open_lo = n.value == "*", open_hi = n.value2 == "*";
      if ((!open_lo && !parse(n.value, a)) || (!open_hi && !parse(n.value2, b)))
        return fail(n, size ? "size_range" : "number_range",
                    std::string("a range of ") + f.name + " needs " + expect + " at each end",
                    {{"field", f.name}});
      if (!open_lo && !open_hi && a > b) return reversed(n);
      sql = any_column(c.columns, [&](const std::string& col) {
        std::string s = "(";
        if (!open_lo) {
          bind(a);
          s += col + " >= ?";
        }
        if (!open_hi) {
          bind(b);
          s += std::string(open_lo ? "" : " AND ") + col + " <= ?";
        }
        return open_lo && open_hi ? std::string("1") : s + ")";
      });
      return true;
    }
    std::int64_t v = 0;
    if (!parse(n.value, v))
      return fail(n, size ? "not_size" : "not_number",
                  "'" + n.value + "' is not " + expect + " (" + f.name + ")",
                  {{"value", n.value}, {"field", f.name}});
    const char* op = n.op == Node::Op::kLt   ? " < ?"
                     : n.op == Node::Op::kLe ? " <= ?"
                     : n.op == Node::Op::kGt ? " > ?"
                     : n.op == Node::Op::kGe ? " >= ?"
                                             : " = ?";
    sql = any_column(c.columns, [&](const std::string& col) {
      bind(v);
      return col + op;
    });
    return true;
  }

  // Bounds [lo, hi) on when; sessions match if they overlap (started before hi, ended at or
  // after lo), records if their own time falls inside.
  bool time_value(const FieldColumn& c, const Node& n, std::string& sql) {
    std::optional<TimeNs> lo, hi;
    TimeNs s = 0, e = 0;
    auto span = [&](const std::string& v) {
      if (parse_time_span(v, o_.now, o_.zone, s, e)) return true;
      return fail(n, "not_time",
                  "'" + v +
                      "' is not a time (2026-11-01, 2026-11-01T10:00:00+09:00, epoch seconds, "
                      "now-24h)",
                  {{"value", v}});
    };
    switch (n.op) {
      case Node::Op::kRange:
        if (n.value != "*") {
          if (!span(n.value)) return false;
          lo = s;
        }
        if (n.value2 != "*") {
          if (!span(n.value2)) return false;
          hi = e;
        }
        if (lo && hi && *lo >= *hi) return reversed(n);
        break;
      case Node::Op::kEq:
        if (!span(n.value)) return false;
        lo = s;
        hi = e;
        break;
      case Node::Op::kGe:
        if (!span(n.value)) return false;
        lo = s;
        break;
      case Node::Op::kGt:
        if (!span(n.value)) return false;
        lo = e;
        break;
      case Node::Op::kLt:
        if (!span(n.value)) return false;
        hi = s;
        break;
      case Node::Op::kLe:
        if (!span(n.value)) return false;
        hi = e;
        break;
    }
    if (c.end != nullptr) window_ = SessionWindow{lo, hi};
    const std::string first = c.columns;
    const std::string last = c.end ? c.end : c.columns;
    std::vector<std::string> parts;
    if (lo) {
      bind(*lo);
      parts.push_back(last + " >= ?");
      if (c.end != nullptr && o_.max_session_ns >= 0) {
        // Redundant, for the planner: no session active at `lo` started before this.
        bind(*lo - o_.max_session_ns);
        parts.push_back(first + " >= ?");
      }
    }
    if (hi) {
      bind(*hi);
      parts.push_back(first + " < ?");
    }
    if (parts.empty()) {
      sql = "1";
    } else {
      sql = "(" + parts[0];
      for (std::size_t i = 1; i < parts.size(); ++i) sql += " AND " + parts[i];
      sql += ")";
    }
    return true;
  }

  bool bool_value(const FieldColumn& c, const Node& n, std::string& sql) {
    const std::string v = lower(n.value);
    std::int64_t b;
    if (v == "true" || v == "yes" || v == "1") {
      b = 1;
    } else if (v == "false" || v == "no" || v == "0") {
      b = 0;
    } else {
      return fail(n, "not_bool", "'" + n.value + "' is not true or false", {{"value", n.value}});
    }
    if (n.op != Node::Op::kEq)
      return fail(n, "not_comparable", "true or false is matched, not compared",
                  {{"field", n.field}});
    bind(b);
    sql = std::string(c.columns) + " = ?";
    return true;
  }

  bool severity_value(const FieldColumn& c, const Node& n, std::string& sql) {
    auto rank = [&](const std::string& v, std::int64_t& out) {
      const std::string l = lower(v);
      if (l != "info" && l != "low" && l != "medium" && l != "high" && l != "critical")
        return fail(n, "not_severity",
                    "'" + v + "' is not a severity (info, low, medium, high, critical)",
                    {{"value", v}});
      out = records::severity_rank(l);
      return true;
    };
    const std::string expr = std::string("(CASE lower(") + c.columns +
                             ") WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
                             "WHEN 'low' THEN 1 ELSE 0 END)";
    if (n.op == Node::Op::kRange) {
      std::int64_t a = 0, b = 0;
      if (!rank(n.value, a) || !rank(n.value2, b)) return false;
      bind(a);
      bind(b);
      sql = expr + " BETWEEN ? AND ?";
      return true;
    }
    std::int64_t v = 0;
    if (!rank(n.value, v)) return false;
    const char* op = n.op == Node::Op::kLt   ? " < ?"
                     : n.op == Node::Op::kLe ? " <= ?"
                     : n.op == Node::Op::kGt ? " > ?"
                     : n.op == Node::Op::kGe ? " >= ?"
                                             : " = ?";
    bind(v);
    sql = expr + op;
    return true;
  }

  bool file_type_value(const FieldColumn& c, const Node& n, std::string& sql) {
    if (n.op != Node::Op::kEq)
      return fail(n, "not_comparable", "a file type is matched, not compared",
                  {{"field", "file.type"}});
    const auto cols = split_columns(c.columns);  // name column, digest column
    const std::string v = lower(n.value);
    if (v.empty()) return fail(n, "no_value", "file.type needs a value", {{"field", "file.type"}});
    if (v.find('/') != std::string::npos) {
      const bool wild = !n.quoted && has_wildcard(v);
      bind(wild ? v : glob_literal(v));
      sql = cols[1] + " IN (SELECT sha256 FROM files WHERE lower(mime) GLOB ?)";
      return true;
    }
    const std::string ext = v[0] == '.' ? v.substr(1) : v;
    bind("*." + glob_literal(ext));
    sql = "(lower(" + cols[0] + ") GLOB ?";
    for (const FileTypeAlias& a : kFileTypes) {
      if (ext != a.name) continue;
      sql += " OR " + cols[1] + " IN (SELECT sha256 FROM files WHERE mime IN (";
      const auto mimes = split_columns(a.mimes);
      for (std::size_t i = 0; i < mimes.size(); ++i) {
        bind(mimes[i]);
        sql += i ? ",?" : "?";
      }
      sql += "))";
    }
    sql += ")";
    return true;
  }

  bool transport_value(const FieldColumn& c, const Node& n, std::string& sql) {
    const std::string v = lower(n.value);
    std::int64_t proto = -1;
    if (v == "tcp") proto = 6;
    if (v == "udp") proto = 17;
    if (v == "icmp") proto = 1;
    if (v == "icmpv6" || v == "icmp6") proto = 58;
    if (v == "sctp") proto = 132;
    if (proto < 0 && (!parse_i64(v, proto) || proto < 0 || proto > 255))
      return fail(n, "not_transport",
                  "'" + n.value + "' is not tcp, udp, icmp or a protocol number",
                  {{"value", n.value}});
    if (n.op != Node::Op::kEq)
      return fail(n, "not_comparable", "a transport is matched, not compared",
                  {{"field", "transport"}});
    bind(proto);
    sql = std::string(c.columns) + " = ?";
    return true;
  }

  bool app_value(const FieldColumn& c, const Node& n, std::string& sql) {
    const std::string v = lower(n.value);
    const bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    });
    if (!ok || n.op != Node::Op::kEq)
      return fail(n, "not_protocol",
                  "'" + n.value + "' is not a protocol name (http, tls, smtp, dns, ...)",
                  {{"value", n.value}});
    bind("%," + v + ",%");
    sql = "(',' || " + std::string(c.columns) + " || ',') LIKE ?";
    return true;
  }

  bool hash_value(const FieldColumn& c, const Node& n, std::string& sql) {
    std::string v = lower(n.value);
    const bool prefix = !v.empty() && v.back() == '*';
    if (prefix) v.pop_back();
    const bool hex = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
      return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
    });
    if (!hex || n.op != Node::Op::kEq)
      return fail(n, "not_digest",
                  "'" + n.value + "' is not a hex digest (or its first digits and '*')",
                  {{"value", n.value}});
    if (prefix) {
      bind(v);
      bind(v + "g");
      sql = "(" + std::string(c.columns) + " >= ? AND " + c.columns + " < ?)";
      return true;
    }
    bind(v);
    sql = std::string(c.columns) + " = ?";
    return true;
  }

  // Free text: the ids of the records of one kind whose text holds `value`. The kind and the
  // record's id are the full-text row's rowid (kind << 48 | id), so nothing but the index is
  // read: no stored row per match.
  std::string text_ids(records::TextKind kind, const std::string& value) {
    std::string cond;
    if (chars(value) >= 3) {
      TextMatch m = o_.text_match ? o_.text_match(kind, value) : TextMatch{fts_phrase(value)};
      bind(std::move(m.expression));
      cond = "text_fts MATCH ?";
      if (m.verify) {
        bind(value);
        cond += " AND kagami_has_text(body, ?)";
      }
    } else {
      // Shorter than a trigram: the index cannot help, the rows are read.
      bind(lower(value));
      cond = "instr(lower(body), ?) > 0";
    }
    const std::string lo = std::to_string(store::text_rowid(kind));
    const std::string hi = std::to_string(store::last_text_rowid(kind));
    return "SELECT rowid - " + lo + " FROM text_fts WHERE " + cond + " AND rowid BETWEEN " + lo +
           " AND " + hi;
  }
  // The same test on one row of `table` (a record of kind `k`): its own text, from its row
  // when its declaration says how (an HTTP request's host and URL), else read back from its
  // full-text row (a message's).
  std::string text_in_row(Kind k, const char* table, const std::string& value) {
    bind(value);
    const std::string_view own = row_text_of(k);
    if (!own.empty()) {
      // Columns joined by "||", each named on `table`.
      std::string expr;
      std::size_t at = 0;
      while (at <= own.size()) {
        std::size_t bar = own.find("||", at);
        if (bar == std::string_view::npos) bar = own.size();
        std::string_view column = own.substr(at, bar - at);
        while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
        while (!column.empty() && column.back() == ' ') column.remove_suffix(1);
        expr += (expr.empty() ? "" : " || ") + std::string(table) + "." + std::string(column);
        at = bar + 2;
      }
      return "kagami_has_text(" + expr + ", ?)";
    }
    return std::string("kagami_has_text((SELECT body FROM text_fts WHERE rowid = ") +
           std::to_string(store::text_rowid(*text_kind_of(k))) + " + " + table + ".id), ?)";
  }
  // Objects whose extracted text, or a name they were given, holds `value`. Each part binds
  // its values as it is written, so the parts are written in the order they appear: the
  // operands of one '+' expression are evaluated in no set order.
  std::string text_objects(const std::string& value) {
    std::string sql;
    if (o_.document_text) {
      sql = "SELECT sha256 FROM doc_texts WHERE id IN (" +
            text_ids(records::TextKind::kDocument, value);
      sql += ") UNION ";
    }
    sql += "SELECT sha256 FROM file_events WHERE id IN (" +
           text_ids(records::TextKind::kFileName, value);
    return sql + ")";
  }
  // Sessions with a record whose full text (a URL, a message) or a file name holds `value`,
  // or that carried an object whose text does.
  std::string text_sessions(const std::string& value) {
    std::string sql;
    for (const Kind k : text_kinds()) {
      sql += (sql.empty() ? "SELECT session_id FROM " : ") UNION SELECT session_id FROM ") +
             std::string(table_of(k)) + " WHERE id IN (" + text_ids(*text_kind_of(k), value);
    }
    return sql + ") UNION " + text_file_sessions(value);
  }
  // Sessions that carried a file named with `value`, or an object whose text holds it.
  std::string text_file_sessions(const std::string& value) {
    std::string sql = "SELECT session_id FROM file_events WHERE id IN (" +
                      text_ids(records::TextKind::kFileName, value);
    if (!o_.document_text) return sql + ")";
    sql +=
        ") UNION SELECT session_id FROM file_events WHERE sha256 IN (SELECT sha256 FROM "
        "doc_texts WHERE id IN (" +
        text_ids(records::TextKind::kDocument, value);
    return sql + "))";
  }

  bool text(const Node& n, const std::string& raw, Kind t, std::string& sql) {
    const std::string v = searched_text(raw);
    if (v.empty())
      return fail(n, "text_empty", "free text needs at least one character besides '*'");
    if (const auto kind = text_kind_of(t)) {
      // A record with a full text of its own: it, or an object it carried, holds the text.
      sql = "(id IN (SELECT record_id FROM file_events WHERE record_kind = '" +
            std::string(kind_name(t)) + "' AND sha256 IN (" + text_objects(v) + "))";
      if (form_ == TextForm::kBeyondOwn) {
        sql += " AND NOT " + text_in_row(t, table_of(t), v) + ")";
        return true;
      }
      sql +=
          " OR " + (rows_ ? text_in_row(t, table_of(t), v) : "id IN (" + text_ids(*kind, v) + ")");
      sql += ")";
      return true;
    }
    switch (t) {
      case Kind::kFiles:
        sql = "sha256 IN (" + text_objects(v) + ")";
        return true;
      case Kind::kFindings:
      case Kind::kAlerts:
        sql = "(sha256 IN (" + text_objects(v);
        sql += ") OR session_id IN (" + text_sessions(v);
        sql += "))";
        return true;
      case Kind::kSessions: {
        // Sessions are driven by the first kind with a full text (HTTP's requests).
        const Kind driver = text_kinds().front();
        if (form_ == TextForm::kBeyondOwn) {
          // Sessions the index lists through the other kinds' records and files, less those
          // a record of the driver's already gave.
          sql = "(id IN (";
          for (const Kind k : text_kinds()) {
            if (k == driver) continue;
            sql += "SELECT session_id FROM " + std::string(table_of(k)) + " WHERE id IN (" +
                   text_ids(*text_kind_of(k), v) + ") UNION ";
          }
          sql += text_file_sessions(v);
          const std::string d = table_of(driver);
          sql += ") AND NOT EXISTS (SELECT 1 FROM " + d + " WHERE " + d +
                 ".session_id = sessions.id AND " + text_in_row(driver, d.c_str(), v);
          sql += "))";
          return true;
        }
        if (rows_) {
          // One session at a time: its records looked up by its id, only what files say
          // gathered first (few sessions carry a document that holds the text).
          sql = "(";
          for (const Kind k : text_kinds()) {
            const std::string table = table_of(k);
            sql += "EXISTS (SELECT 1 FROM " + table + " WHERE " + table +
                   ".session_id = sessions.id AND " + text_in_row(k, table.c_str(), v) + ") OR ";
          }
          sql += "id IN (" + text_file_sessions(v);
          sql += "))";
          return true;
        }
        [[fallthrough]];
      }
      default:
        sql = std::string(session_column(t)) + " IN (" + text_sessions(v) + ")";
        return true;
    }
  }

  const CompileOptions& o_;
  std::vector<store::SqlValue>& binds_;
  QueryError& error_;
  const TextForm form_;
  const bool rows_;
  std::optional<SessionWindow> window_;
  const char* rolled_field_ = "";
};

// Free text that every match must hold: the query itself, or one of its top-level ANDs
// (its index among them; the query itself: -1).
const Node* required_text(const Node& root, int& at) {
  auto is_text = [](const Node& n) {
    if (n.type == Node::Type::kText) return true;
    const Field* f = n.type == Node::Type::kTerm ? find_field(n.field) : nullptr;
    return f != nullptr && std::strcmp(f->name, "text") == 0 && n.op == Node::Op::kEq;
  };
  at = -1;
  if (is_text(root)) return &root;
  if (root.type == Node::Type::kAnd)
    for (std::size_t i = 0; i < root.children.size(); ++i)
      if (is_text(root.children[i])) {
        at = static_cast<int>(i);
        return &root.children[i];
      }
  return nullptr;
}

void collect_fields(const Node& n, std::vector<const Field*>& out) {
  if (n.type == Node::Type::kTerm) {
    if (const Field* f = find_field(n.field); f && f->suggests_kind && !f->columns.empty())
      out.push_back(f);
  }
  for (const Node& c : n.children) collect_fields(c, out);
}

bool answers(const Field& f, Kind k) {
  for (const FieldColumn& c : f.columns)
    if (c.table == k) return true;
  return false;
}

}  // namespace

Kind suggest_kind(const Node& root) {
  std::vector<const Field*> named;
  collect_fields(root, named);
  // The kinds whose fields may appear together, most specific first; a record type not
  // listed here (a new one) comes after them.
  std::vector<Kind> order = {Kind::kFiles,  Kind::kMailRecord, Kind::kHttpRecord, Kind::kFindings,
                             Kind::kAlerts, Kind::kDnsRecord,  Kind::kTlsRecord,  Kind::kFtpRecord};
  for (const Kind k : kAllKinds)
    if (k != Kind::kSessions && std::find(order.begin(), order.end(), k) == order.end())
      order.push_back(k);
  auto is_home = [&](Kind k) {
    for (const Field* f : named)
      if (f->columns.front().table == k) return true;
    return false;
  };
  // A kind some field is at home in and every field answers ("state:new severity:high":
  // alerts, though severity is at home in findings); else the most specific home.
  for (const Kind k : order)
    if (is_home(k) &&
        std::all_of(named.begin(), named.end(), [&](const Field* f) { return answers(*f, k); }))
      return k;
  for (const Kind k : order)
    if (is_home(k)) return k;
  return Kind::kSessions;
}

bool compile_query(const Node& root, const CompileOptions& options, CompiledQuery& out,
                   QueryError& error) {
  out = CompiledQuery{};
  out.kind = options.kind ? *options.kind : suggest_kind(root);
  out.table = table_of(out.kind);
  out.id_column = id_column_of(out.kind);
  out.ts_column = out.kind == Kind::kSessions ? "ts_first" : "ts";
  out.ts_index = time_index_of(out.kind);
  Compiler c(options, out.binds, error);
  if (!c.node(root, out.kind, out.where)) return false;
  if (root.type == Node::Type::kTerm && out.kind == Kind::kSessions && c.session_window()) {
    out.sessions_in_window = true;
    out.window_lo = c.session_window()->lo;
    out.window_hi = c.session_window()->hi;
  }
  if (root.type == Node::Type::kTerm && out.kind == Kind::kSessions)
    out.value_field = c.rolled_field();
  const std::optional<records::TextKind> own_text = text_kind_of(out.kind);
  if (!own_text && out.kind != Kind::kSessions) {
    out.where_rows = out.where;
    out.binds_rows = out.binds;
    return true;
  }
  Compiler rows(options, out.binds_rows, error, TextForm::kRows);
  if (!rows.node(root, out.kind, out.where_rows)) return false;
  int at = -1;
  const Node* text = required_text(root, at);
  if (text == nullptr) return true;
  const std::string v = searched_text(text->value);
  if (chars(v) < 3) return true;
  // Sessions are reached from the first text kind's records that hold the text (URLs).
  const Kind driver = own_text ? out.kind : text_kinds().front();
  out.driver_kind = *text_kind_of(driver);
  out.driver_table = table_of(driver);
  const TextMatch m =
      options.text_match ? options.text_match(out.driver_kind, v) : TextMatch{fts_phrase(v)};
  out.driver_match = m.expression;
  if (m.verify) out.driver_verify = v;
  out.driver_rest = "1";
  if (at >= 0) {
    Node rest = root;
    rest.children.erase(rest.children.begin() + at);
    if (rest.children.size() == 1) rest = Node(rest.children.front());
    Compiler others(options, out.driver_rest_binds, error, TextForm::kRows);
    if (!others.node(rest, out.kind, out.driver_rest)) return false;
  }
  Compiler beyond(options, out.driver_beyond_binds, error, TextForm::kBeyondOwn);
  if (!beyond.node(*text, out.kind, out.driver_beyond)) return false;
  return true;
}

}  // namespace kagami::query
