#pragma once
// SQLite helpers shared by the index's source files (not a public interface).

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
inline Status step_done(sqlite3* db, sqlite3_stmt* s, const char* what) {
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) return error(db, what);
  return {};
}

// A WHERE clause built from optional filters; values are always bound, never pasted.
struct Where {
  std::string text;
  std::vector<std::function<void(sqlite3_stmt*, int)>> binds;

  void add(const std::string& clause) { text += (text.empty() ? " WHERE " : " AND ") + clause; }
  void bind_all(sqlite3_stmt* s) const {
    for (std::size_t i = 0; i < binds.size(); ++i) binds[i](s, static_cast<int>(i + 1));
  }
};

}  // namespace kagami::store::sql
