#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::store {

class SqliteIndex;

// One entry of the audit log: who did what to which evidence, from where.
struct AuditEntry {
  std::uint64_t id = 0;
  std::int64_t ts = 0;  // wall clock, ns since the epoch
  std::string actor;    // console user name, or "cli:<login>"
  std::string source;   // client address, or "cli"
  std::string action;   // "search", "view", "export", "download", "login", "login_failed", ...
  std::string object;   // what was acted on: a query, "session:42", "file:<sha256>", ...
  std::string detail;   // JSON object: counts, parameters
  std::string prev;     // hash of the entry before ("" for the first)
  std::string hash;     // SHA-256 of prev and this entry's fields
};

// The hash an entry must carry: SHA-256 over the previous hash and the entry's fields as a
// JSON array, so changing, inserting or removing any entry but the newest breaks the chain.
std::string audit_hash(const AuditEntry& e);

// Writes one entry now (its own transaction): every search, view, export and download passes
// through here before its answer leaves.
Status audit(SqliteIndex& index, const std::string& actor, const std::string& source,
             const std::string& action, const std::string& object,
             const std::string& detail = "{}");

struct AuditReport {
  std::uint64_t entries = 0;
  std::vector<std::string> problems;  // empty: the chain holds
  bool ok() const { return problems.empty(); }
};

// Re-hashes every entry in order and checks each links to the one before.
Result<AuditReport> verify_audit(SqliteIndex& index);

// The newest entries first, at most `limit`.
Result<std::vector<AuditEntry>> audit_entries(SqliteIndex& index, std::uint64_t limit,
                                              std::uint64_t before_id = 0);

}  // namespace kagami::store
