#include "kagami/store/seal_manifest.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "kagami/base/sha256.h"

namespace kagami::store {
namespace {

constexpr const char* kHeader = "# kagami packet archive manifest v1";
const std::string kZeroChain(64, '0');

std::string fields_of(const SealEntry& e) {
  return std::to_string(e.seq) + "\t" + std::to_string(e.file_id) + "\t" + e.name + "\t" +
         std::to_string(e.bytes) + "\t" + e.sha256 + "\t" + std::to_string(e.packets) + "\t" +
         std::to_string(e.first_ts) + "\t" + std::to_string(e.last_ts) + "\t" +
         std::to_string(e.linktype) + "\t" + std::to_string(e.sealed_at) + "\t" + e.note;
}

template <typename T>
bool parse_num(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string SealManifest::chain_of(const SealEntry& e) {
  const std::string text = e.prev + "\t" + fields_of(e);
  return to_hex(Sha256::of(as_bytes(text)));
}

Result<SealManifest> SealManifest::load(const std::string& path,
                                        std::vector<std::string>* problems) {
  SealManifest m;
  m.path_ = path;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return m;
    return make_error("cannot read {}: {}", path, std::strerror(errno));
  }
  std::string line;
  std::string prev = kZeroChain;
  int lineno = 0;
  auto problem = [&](const std::string& what) {
    if (problems) problems->push_back(path + ":" + std::to_string(lineno) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string part;
    while (std::getline(ss, part, '\t')) f.push_back(part);
    if (f.size() != 13) {
      problem("malformed entry (" + std::to_string(f.size()) + " fields, expected 13)");
      continue;
    }
    SealEntry e;
    bool ok = parse_num(f[0], e.seq) && parse_num(f[1], e.file_id) && parse_num(f[3], e.bytes) &&
              parse_num(f[5], e.packets) && parse_num(f[6], e.first_ts) &&
              parse_num(f[7], e.last_ts) && parse_num(f[8], e.linktype) &&
              parse_num(f[9], e.sealed_at);
    e.name = f[2];
    e.sha256 = f[4];
    e.note = f[10];
    e.prev = f[11];
    e.chain = f[12];
    if (!ok) {
      problem("malformed number in entry");
      continue;
    }
    if (e.prev != prev)
      problem("chain broken before entry " + std::to_string(e.seq) + " (" + e.name + ")");
    if (chain_of(e) != e.chain)
      problem("entry " + std::to_string(e.seq) + " (" + e.name +
              ") was altered: chain value mismatch");
    if (e.seq != m.entries_.size() + 1)
      problem("entry sequence " + std::to_string(e.seq) + " where " +
              std::to_string(m.entries_.size() + 1) + " was expected (entries removed?)");
    prev = e.chain;
    m.entries_.push_back(std::move(e));
  }
  return m;
}

bool SealManifest::is_tombstone(const SealEntry& e) { return e.note.rfind("evicted", 0) == 0; }

std::vector<SealEntry> SealManifest::entries() const {
  std::lock_guard lock(*mutex_);
  return entries_;
}

Status SealManifest::append_tombstone(const SealEntry& sealed, TimeNs when,
                                      const std::string& why) {
  SealEntry t = sealed;
  t.sealed_at = when;
  t.note = "evicted: " + why;
  return append(std::move(t));
}

const SealEntry* ArchiveState::tombstone_of(std::uint32_t file_id) const {
  for (const SealEntry& e : evicted)
    if (e.file_id == file_id) return &e;
  return nullptr;
}

ArchiveState archive_state(const std::vector<SealEntry>& entries) {
  ArchiveState out;
  std::set<std::uint32_t> gone;
  for (const SealEntry& e : entries) {
    if (!SealManifest::is_tombstone(e)) continue;
    gone.insert(e.file_id);
    out.evicted.push_back(e);
  }
  for (const SealEntry& e : entries)
    if (!SealManifest::is_tombstone(e) && !gone.count(e.file_id)) out.kept.push_back(e);
  return out;
}

Status SealManifest::append(SealEntry e) {
  // Tabs and line ends would split the entry on reading.
  for (char& c : e.note)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  std::lock_guard lock(*mutex_);
  e.seq = entries_.size() + 1;
  e.prev = entries_.empty() ? kZeroChain : entries_.back().chain;
  e.chain = chain_of(e);
  std::string line;
  if (entries_.empty()) {
    // A new manifest starts with its header line.
    if (::access(path_.c_str(), F_OK) != 0) line = std::string(kHeader) + "\n";
  }
  line += fields_of(e) + "\t" + e.prev + "\t" + e.chain + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open {}: {}", path_, std::strerror(errno));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()) || !synced)
    return make_error("cannot append to {}: {}", path_, std::strerror(errno));
  entries_.push_back(std::move(e));
  return {};
}

}  // namespace kagami::store
