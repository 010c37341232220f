#include "kagami/store/retention.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "kagami/base/quantity.h"
#include "kagami/records/session_record.h"
#include "kagami/store/file_store.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_status.h"

namespace kagami::store {
namespace {

constexpr std::size_t kDeleteBatch = 500;  // sessions per transaction: the recorder's writer
                                           // waits for at most one such batch
constexpr const char* kMetadataMark = "retention_metadata_file";

// The files a session's packets are in.
Result<std::set<std::uint32_t>> files_of(SqliteIndex& index, std::uint64_t session) {
  auto locations = index.session_locations(session);
  if (!locations) return locations.error();
  std::set<std::uint32_t> out;
  for (const PacketLocation& l : locations.value()) out.insert(l.file_id);
  return out;
}

}  // namespace

std::string RetentionPolicy::describe() const {
  if (!enabled()) return "none";
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  if (max_bytes) add("store " + format_size(max_bytes));
  if (max_age) add("packets " + format_duration(max_age));
  if (max_age || max_bytes || min_free_bytes)
    add(evidence_age ? "evidence " + format_duration(evidence_age)
                     : std::string("evidence until the size limit"));
  if (metadata_age) add("metadata " + format_duration(metadata_age));
  if (min_free_bytes) add("keep " + format_size(min_free_bytes) + " free");
  return out;
}

Status RetentionPolicy::check() const {
  if (metadata_age && max_age && metadata_age < max_age)
    return make_error(
        "retention: metadata ({}) must be kept at least as long as packets ({}): sessions "
        "describe packets",
        format_duration(metadata_age), format_duration(max_age));
  if (evidence_age && max_age && evidence_age < max_age)
    return make_error("retention: evidence ({}) must be kept at least as long as packets ({})",
                      format_duration(evidence_age), format_duration(max_age));
  return {};
}

std::uint64_t store_bytes(const StoreLayout& layout) {
  std::uint64_t total = 0;
  std::error_code ec;
  // The index's write-ahead log and its memory map are not counted: they are transient (a
  // transaction's pages until the next checkpoint, cut back to 64 MiB after it), and counting
  // them made each pass see a store as big as the moment's transaction.
  const std::string index_name = std::filesystem::path(layout.index_path()).filename().string();
  for (auto it = std::filesystem::recursive_directory_iterator(
           layout.root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it.depth() == 0 && (it->path().filename() == index_name + "-wal" ||
                            it->path().filename() == index_name + "-shm"))
      continue;
    if (it->is_regular_file(size_ec)) {
      const auto n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

Retention::Retention(StoreLayout layout, RetentionPolicy policy, SealManifest& manifest)
    : layout_(std::move(layout)), policy_(policy), manifest_(manifest) {}

Result<bool> Retention::is_evidence(SqliteIndex& index, const SealEntry& e) {
  auto sessions = index.sessions_overlapping(e.first_ts, e.last_ts, /*evidence_only=*/true);
  if (!sessions) return sessions.error();
  for (const std::uint64_t id : sessions.value()) {
    auto files = files_of(index, id);
    if (!files) return files.error();
    if (files->count(e.file_id)) return true;
  }
  return false;
}

Status Retention::evict(const SealEntry& e, TimeNs now, const std::string& why, RetentionRun& out) {
  // The tombstone first: a crash after it leaves a file the next pass removes; a crash before
  // it leaves the file sealed and kept. Never a file gone without its entry.
  if (auto s = manifest_.append_tombstone(e, now, why); !s) return s;
  // Room first (capture may be waiting for it): the index hears of the pass's evictions at its
  // end (tell_index), and of any it could not be told of (no room there either) the next time.
  const std::string path = layout_.packet_file_path(e.name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    out.problems.push_back("cannot remove " + path + ": " + std::strerror(errno));
  told_.push_back(e);
  out.evicted.push_back(e.name + " (" + why + ")");
  out.bytes_freed += e.bytes;
  return {};
}

void Retention::tell_index(SqliteIndex& index, RetentionRun& out) {
  if (told_.empty()) return;
  IndexGate gate(gate_);
  std::vector<std::uint32_t> ids;
  for (const SealEntry& e : told_) ids.push_back(e.file_id);
  if (auto s = index.mark_files_evicted(ids); !s) out.problems.push_back(s.error().message);
  for (const SealEntry& e : told_) {
    auto sessions = index.sessions_overlapping(e.first_ts, e.last_ts, false);
    if (!sessions) {
      out.problems.push_back(sessions.error().message);
      continue;
    }
    std::vector<std::uint64_t> lost;
    for (const std::uint64_t id : sessions.value()) {
      auto files = files_of(index, id);
      if (files && files->count(e.file_id)) lost.push_back(id);
    }
    if (auto n = index.flag_sessions(lost, records::kSessionPacketsExpired); !n)
      out.problems.push_back(n.error().message);
    else
      out.sessions_flagged += n.value();
  }
  told_.clear();
}

Result<RetentionRun> Retention::run(SqliteIndex& index, TimeNs now, bool disk_full) {
  RetentionRun out;
  if (!policy_.enabled()) return out;
  ArchiveState state = archive_state(manifest_.entries());

  // A pass that died between a tombstone and its unlink left the file: finish it. And the
  // index knows of every tombstone (one it could not be told of for want of room included).
  // (Only tombstones after the last one the index confirmed: years of them are not re-sent.)
  std::vector<std::uint32_t> tombstoned;
  std::uint64_t last_seq = marked_seq_;
  for (const SealEntry& t : state.evicted) {
    if (t.seq <= marked_seq_) continue;
    tombstoned.push_back(t.file_id);
    last_seq = std::max(last_seq, t.seq);
    const std::string path = layout_.packet_file_path(t.name);
    if (::access(path.c_str(), F_OK) == 0 && ::unlink(path.c_str()) != 0)
      out.problems.push_back("cannot remove " + path + ": " + std::strerror(errno));
  }
  if (!tombstoned.empty()) {
    IndexGate gate(gate_);
    if (auto s = index.mark_files_evicted(tombstoned); !s)
      out.problems.push_back(s.error().message);
    else
      marked_seq_ = last_seq;
  }

  std::vector<SealEntry> kept = state.kept;
  std::sort(kept.begin(), kept.end(),
            [](const SealEntry& a, const SealEntry& b) { return a.file_id < b.file_id; });
  std::vector<bool> gone(kept.size(), false);
  std::vector<int> evidence(kept.size(), -1);  // -1: not asked yet
  // A file found to hold evidence stays evidence (holds and alerts are not taken back), so
  // that answer is kept across passes; files kept past max_age for it are not asked again.
  auto evidence_of = [&](std::size_t i) -> Result<bool> {
    if (evidence[i] < 0) {
      if (evidence_files_.count(kept[i].file_id)) {
        evidence[i] = 1;
      } else {
        auto ev = is_evidence(index, kept[i]);
        if (!ev) return ev.error();
        evidence[i] = ev.value() ? 1 : 0;
        if (ev.value()) evidence_files_.insert(kept[i].file_id);
      }
    }
    return evidence[i] == 1;
  };

  // Age: packets past max_age, evidence past evidence_age.
  if (policy_.max_age) {
    for (std::size_t i = 0; i < kept.size(); ++i) {
      const SealEntry& e = kept[i];
      if (e.sealed_at + policy_.max_age > now) continue;
      auto ev = evidence_of(i);
      if (!ev) return ev.error();
      if (ev.value() && (!policy_.evidence_age || e.sealed_at + policy_.evidence_age > now))
        continue;
      if (auto s = evict(e, now, ev.value() ? "evidence age" : "age", out); !s) return s.error();
      gone[i] = true;
    }
  }

  // Size: the store over its limit, or the disk short of room. Ordinary files oldest first,
  // then evidence oldest first: the limit is the disk's, and a full disk loses new packets.
  const bool sized = policy_.max_bytes || policy_.min_free_bytes || disk_full;
  std::uint64_t size = sized ? store_bytes(layout_) : 0;
  DiskRoom room = sized ? disk_room(layout_.root) : DiskRoom{};
  const std::uint64_t want_free =
      std::max(policy_.min_free_bytes, disk_full ? room.total / 20 : std::uint64_t{0});
  auto over = [&] {
    if (policy_.max_bytes && size > policy_.max_bytes) return "size limit";
    if (want_free && room.free < want_free) return disk_full ? "disk full" : "free space";
    return static_cast<const char*>(nullptr);
  };
  for (int pass = 0; pass < 2 && over(); ++pass) {
    for (std::size_t i = 0; i < kept.size() && over(); ++i) {
      if (gone[i]) continue;
      auto ev = evidence_of(i);
      if (!ev) return ev.error();
      if (ev.value() != (pass == 1)) continue;
      const std::string why = std::string(over()) + (ev.value() ? ", evidence" : "");
      if (auto s = evict(kept[i], now, why, out); !s) return s.error();
      gone[i] = true;
      size = size > kept[i].bytes ? size - kept[i].bytes : 0;
      room.free += kept[i].bytes;
    }
  }
  tell_index(index, out);
  // Still over with no packet file left: the index and the objects of the metadata horizon
  // outweigh the limit. The oldest evicted files' sessions go before their time (evidence
  // stays), each file's at once, until under it; the pages they freed go back to the file
  // system. A store that only grew would fill its disk.
  if (sized && over()) {
    const std::uint64_t before = out.sessions_deleted;
    const std::function<bool()> pressed = [&] {
      Result<std::uint64_t> r = [&] {
        IndexGate gate(gate_);
        return index.reclaim_free_pages();
      }();
      if (!r) out.problems.push_back(r.error().message);
      const std::uint64_t reusable = r ? r.value() : 0;
      const std::uint64_t now_bytes = store_bytes(layout_);
      size = now_bytes > reusable ? now_bytes - reusable : 0;
      room = disk_room(layout_.root);
      room.free += reusable;
      return over() != nullptr;
    };
    if (pressed())
      if (auto s = expire_metadata(index, now, out, &pressed); !s) return s.error();
    out.sessions_deleted_early = out.sessions_deleted - before;
  }
  out.limit_unmet = over() != nullptr;

  // Sessions written after their packets' file went (a long session, an import faster than
  // its index) are flagged too: each pass looks at those written since the last.
  if (auto s = flag_late_sessions(index, out); !s) out.problems.push_back(s.error().message);

  if (policy_.metadata_age) {
    if (auto s = expire_metadata(index, now, out); !s) return s.error();
  }
  // What the store weighs now, for the report of a pass that changed it (a second walk of the
  // store only then: most passes, one per sealed file, change nothing).
  out.store_bytes = out.changed() ? store_bytes(layout_) : size;
  return out;
}

Status Retention::flag_late_sessions(SqliteIndex& index, RetentionRun& out) {
  IndexGate gate(gate_);
  const ArchiveState state = archive_state(manifest_.entries());
  auto mark = index.meta("retention_flagged_after");
  if (!mark) return mark.error();
  std::uint64_t after = std::strtoull(mark->c_str(), nullptr, 10);
  const std::uint64_t start = after;
  std::set<std::uint32_t> gone;
  for (const SealEntry& t : state.evicted) gone.insert(t.file_id);
  for (;;) {
    auto ids = index.sessions_after(after, 5000);
    if (!ids) return ids.error();
    if (ids->empty()) break;
    std::vector<std::uint64_t> lost;
    if (!gone.empty()) {
      for (const std::uint64_t id : ids.value()) {
        auto files = files_of(index, id);
        if (!files) return files.error();
        for (const std::uint32_t f : files.value())
          if (gone.count(f)) {
            lost.push_back(id);
            break;
          }
      }
    }
    auto n = index.flag_sessions(lost, records::kSessionPacketsExpired);
    if (!n) return n.error();
    out.sessions_flagged += n.value();
    after = ids->back();
  }
  if (after != start) return index.set_meta("retention_flagged_after", std::to_string(after));
  return {};
}

Status Retention::expire_metadata(SqliteIndex& index, TimeNs now, RetentionRun& out,
                                  const std::function<bool()>* pressed) {
  IndexGate gate(gate_);
  auto mark = index.meta(kMetadataMark);
  if (!mark) return mark.error();
  std::uint32_t done = static_cast<std::uint32_t>(std::strtoul(mark->c_str(), nullptr, 10));
  const std::vector<SealEntry> entries = manifest_.entries();
  const ArchiveState state = archive_state(entries);
  std::vector<SealEntry> seals;
  for (const SealEntry& e : entries)
    if (!SealManifest::is_tombstone(e) && e.file_id > done) seals.push_back(e);
  std::sort(seals.begin(), seals.end(),
            [](const SealEntry& a, const SealEntry& b) { return a.file_id < b.file_id; });
  FileStore objects(layout_, FileStore::Options{});
  // Files in order, while each is evicted and past the horizon: a session goes once the
  // last file it had packets in has gone this way.
  for (const SealEntry& f : seals) {
    if (!state.tombstone_of(f.file_id)) break;
    if (pressed ? !(*pressed)() : f.sealed_at + policy_.metadata_age > now) break;
    auto all = index.sessions_overlapping(f.first_ts, f.last_ts, false);
    if (!all) return all.error();
    auto evidence = index.sessions_overlapping(f.first_ts, f.last_ts, true);
    if (!evidence) return evidence.error();
    const std::set<std::uint64_t> keep(evidence->begin(), evidence->end());
    std::vector<std::uint64_t> expired;
    for (const std::uint64_t id : all.value()) {
      if (keep.count(id)) continue;
      auto files = files_of(index, id);
      if (!files) return files.error();
      if (!files->empty() && *files->rbegin() <= f.file_id) expired.push_back(id);
    }
    for (std::size_t at = 0; at < expired.size(); at += kDeleteBatch) {
      const std::vector<std::uint64_t> batch(
          expired.begin() + static_cast<std::ptrdiff_t>(at),
          expired.begin() +
              static_cast<std::ptrdiff_t>(std::min(at + kDeleteBatch, expired.size())));
      auto deleted = index.delete_sessions(batch);
      if (!deleted) return deleted.error();
      out.sessions_deleted += deleted->sessions;
      out.records_deleted += deleted->records;
      for (const std::string& sha : deleted->orphaned_objects) {
        if (auto s = index.delete_object(sha); !s) return s;
        const std::string path = objects.path_of(sha);
        if (::unlink(path.c_str()) == 0) ++out.objects_deleted;
      }
    }
    if (auto s = index.set_meta(kMetadataMark, std::to_string(f.file_id)); !s) return s;
  }
  return {};
}

}  // namespace kagami::store
