#pragma once
// SQLite helpers shared by the index's source files (not a public interface).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "kagami/base/ip_address.h"
#include "kagami/base/result.h"

namespace kagami::store::sql {

// A prepared statement, finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

inline Error error(sqlite3* db, const char* what) {
  return make_error("index: {}: {}", what, sqlite3_errmsg(db));
}

inline Result<Stmt> prepare(sqlite3* db, const std::string& text, bool persistent = false) {
  Stmt s;
  if (sqlite3_prepare_v3(db, text.c_str(), static_cast<int>(text.size()),
                         persistent ? SQLITE_PREPARE_PERSISTENT : 0, s.out(), nullptr) != SQLITE_OK)
    return error(db, "prepare");
  return s;
}

inline void bind_i64(sqlite3_stmt* s, int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
inline void bind_u64(sqlite3_stmt* s, int i, std::uint64_t v) {
  sqlite3_bind_int64(s, i, static_cast<std::int64_t>(v));
}
inline void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
inline void bind_blob(sqlite3_stmt* s, int i, const void* p, std::size_t n) {
  sqlite3_bind_blob(s, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
}
inline void bind_ip(sqlite3_stmt* s, int i, const IpAddress& a) { bind_blob(s, i, a.bytes(), 16); }

inline std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}
inline IpAddress column_ip(sqlite3_stmt* s, int i) {
  if (sqlite3_column_bytes(s, i) != 16) return IpAddress();
  return IpAddress::from_bytes16(static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i)));
}
inline std::uint64_t column_u64(sqlite3_stmt* s, int i) {
  return static_cast<std::uint64_t>(sqlite3_column_int64(s, i));
}

// Runs a statement that returns no rows, then resets it for reuse.
// "1,2,3": ids are numbers, so a list of them is safe to write into a statement, and one
// statement per batch beats one per id.
template <class Id>
std::string id_list(const std::vector<Id>& ids) {
  std::string out;
  for (const std::uint64_t id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

// Calls fn with the id list of each batch of at most `batch` ids, in order; stops at the first
// failure.
template <class Id, class F>
Status for_each_id_batch(const std::vector<Id>& ids, std::size_t batch, F&& fn) {
  for (std::size_t at = 0; at < ids.size(); at += batch) {
    const std::vector<Id> part(
        ids.begin() + static_cast<std::ptrdiff_t>(at),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + batch)));
    if (Status s = fn(id_list(part)); !s) return s;
  }
  return {};
}

inline Status step_done(sqlite3* db, sqlite3_stmt* s, const char* what) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) return error(db, what);
  return {};
}

// A WHERE clause built from optional filters. Each filter adds its text and the binds of its
// values together, so the binds' order is the text's by construction; values are always
// bound, never pasted. The filters every listing shares are spelled here once.
struct Where {
  std::string text;
  std::vector<std::function<void(sqlite3_stmt*, int)>> binds;

  void add(const std::string& clause) { text += (text.empty() ? " WHERE " : " AND ") + clause; }
  void bind_all(sqlite3_stmt* s) const {
    for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 1));
  }

  void bind(std::int64_t v) {
    binds.push_back([v](sqlite3_stmt* s, int i) { bind_i64(s, i, v); });
  }
  void bind(std::uint64_t v) {
    binds.push_back([v](sqlite3_stmt* s, int i) { bind_u64(s, i, v); });
  }
  void bind(std::string v) {
    binds.push_back([v = std::move(v)](sqlite3_stmt* s, int i) { bind_text(s, i, v); });
  }
  void bind(const IpAddress& v) {
    binds.push_back([v](sqlite3_stmt* s, int i) { bind_ip(s, i, v); });
  }

  // `column op ?` ("ts >= ?").
  template <class V>
  void compare(const std::string& column, const char* op, V value) {
    add(column + " " + op + " ?");
    bind(value);
  }
  // Either end's address in one of the prefixes.
  void any_address(const std::vector<IpPrefix>& prefixes, const std::string& prefix = "") {
    if (prefixes.empty()) return;
    std::string c;
    for (const IpPrefix& p : prefixes) {
      if (!c.empty()) c += " OR ";
      c += "(" + prefix + "client_ip BETWEEN ? AND ?) OR (" + prefix + "server_ip BETWEEN ? AND ?)";
      for (int k = 0; k < 2; ++k) {
        bind(p.first);
        bind(p.last);
      }
    }
    add("(" + c + ")");
  }
  // Either end's port one of these.
  void any_port(const std::vector<std::uint16_t>& ports, const std::string& prefix = "") {
    if (ports.empty()) return;
    std::string c;
    for (std::uint16_t p : ports) {
      if (!c.empty()) c += " OR ";
      c += prefix + "client_port = ? OR " + prefix + "server_port = ?";
      bind(std::int64_t{p});
      bind(std::int64_t{p});
    }
    add("(" + c + ")");
  }
  // Users type "*.example.com"; GLOB is case-sensitive, so both sides are lower-cased.
  void glob(const std::string& column, std::string pattern) {
    add("lower(" + column + ") GLOB lower(?)");
    bind(std::move(pattern));
  }
  // `column IN (...)`; nothing when the list is empty.
  void in(const std::string& column, const std::vector<std::uint64_t>& values) {
    if (values.empty()) return;
    std::string c = column + " IN (";
    for (std::size_t k = 0; k < values.size(); ++k) {
      c += k ? ",?" : "?";
      bind(values[k]);
    }
    add(c + ")");
  }
};

}  // namespace kagami::store::sql
