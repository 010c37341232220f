#include "kagami/store/archive_verify.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <sys/stat.h>

#include "kagami/base/sha256.h"
#include "kagami/store/seal_manifest.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::store {

const char* file_check_status_name(FileCheck::Status s) {
  switch (s) {
    case FileCheck::Status::kOk:
      return "ok";
    case FileCheck::Status::kAltered:
      return "ALTERED";
    case FileCheck::Status::kMissing:
      return "MISSING";
    case FileCheck::Status::kUnsealed:
      return "unsealed";
    case FileCheck::Status::kUnreadable:
      return "UNREADABLE";
    case FileCheck::Status::kEvicted:
      return "evicted";
  }
  return "?";
}

bool VerifyReport::ok() const {
  if (!chain_problems.empty() || !index_problems.empty()) return false;
  for (const auto& f : files)
    if (f.status != FileCheck::Status::kOk && f.status != FileCheck::Status::kUnsealed &&
        f.status != FileCheck::Status::kEvicted)
      return false;
  return true;
}

Result<VerifyReport> verify_archive(const StoreLayout& layout) {
  VerifyReport report;
  auto manifest = SealManifest::load(layout.manifest_path(), &report.chain_problems);
  if (!manifest) return manifest.error();

  std::set<std::string> sealed_names;
  std::map<std::uint32_t, std::string> sealed_sha;
  const std::vector<SealEntry> entries = manifest->entries();
  const ArchiveState state = archive_state(entries);
  for (const SealEntry& e : entries) {
    if (SealManifest::is_tombstone(e)) continue;
    sealed_names.insert(e.name);
    sealed_sha[e.file_id] = e.sha256;
    FileCheck c;
    c.name = e.name;
    c.packets = e.packets;
    const std::string path = layout.packet_file_path(e.name);
    struct stat st;
    if (const SealEntry* t = state.tombstone_of(e.file_id)) {
      // Its seal and its removal are both links of the chain checked above.
      c.status = FileCheck::Status::kEvicted;
      c.detail =
          t->note.substr(t->note.find(':') == std::string::npos ? t->note.size()
                                                                : t->note.find(':') + 2) +
          ", at " + format_time_iso(t->sealed_at, 0) +
          (::stat(path.c_str(), &st) == 0 ? " (still on disk: removed by the next run)" : "");
      ++report.evicted;
    } else if (::stat(path.c_str(), &st) != 0) {
      c.status = FileCheck::Status::kMissing;
      c.detail = "sealed file is gone";
    } else if (static_cast<std::uint64_t>(st.st_size) != e.bytes) {
      c.status = FileCheck::Status::kAltered;
      c.detail = "size " + std::to_string(st.st_size) + ", sealed as " + std::to_string(e.bytes);
    } else {
      auto digest = sha256_file(path);
      if (!digest) {
        c.status = FileCheck::Status::kUnreadable;
        c.detail = digest.error().message;
      } else if (to_hex(digest.value()) != e.sha256) {
        c.status = FileCheck::Status::kAltered;
        c.detail = "SHA-256 " + to_hex(digest.value()) + ", sealed as " + e.sha256;
      } else {
        ++report.sealed_ok;
      }
    }
    c.bytes = e.bytes;
    report.files.push_back(std::move(c));
  }

  std::error_code ec;
  std::vector<std::string> unsealed;
  for (const auto& entry : std::filesystem::directory_iterator(layout.packets_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".pcap") != 0) continue;
    if (!sealed_names.count(name)) unsealed.push_back(name);
  }
  std::sort(unsealed.begin(), unsealed.end());
  for (const auto& name : unsealed) {
    FileCheck c;
    c.name = name;
    c.status = FileCheck::Status::kUnsealed;
    c.detail =
        "not sealed yet: being written, or left by a recorder that stopped abnormally "
        "(the next `kagami record` on this store recovers and seals it)";
    report.files.push_back(std::move(c));
  }

  // The index's copy of each seal must agree with the manifest.
  auto index = SqliteIndex::open(layout.index_path(), SqliteIndex::Mode::kReadOnly);
  if (index) {
    auto files = index.value()->archive_files();
    if (files) {
      for (const auto& f : files.value()) {
        if (f.evicted && !state.tombstone_of(f.file_id))
          report.index_problems.push_back("index says " + f.name +
                                          " was evicted but the manifest has no tombstone for it"
                                          " (manifest cut short?)");
        if (!f.sealed) continue;
        auto it = sealed_sha.find(f.file_id);
        if (it == sealed_sha.end()) {
          report.index_problems.push_back("index lists " + f.name +
                                          " as sealed but the manifest does not");
        } else if (it->second != f.sha256) {
          report.index_problems.push_back("index and manifest disagree on the SHA-256 of " +
                                          f.name);
        }
      }
    }
  }
  return report;
}

}  // namespace kagami::store
