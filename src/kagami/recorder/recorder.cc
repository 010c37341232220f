#include "kagami/recorder/recorder.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "kagami/base/backoff.h"
#include "kagami/base/quantity.h"
#include "kagami/base/sha256.h"
#include "kagami/capture/pcap_reader.h"
#include "kagami/flow/flow_key.h"
#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"
#include "kagami/recorder/inspection_pool.h"
#include "kagami/recorder/retention_runner.h"
#include "kagami/recorder/store_batch.h"
#include "kagami/recorder/store_writer.h"
#include "kagami/recorder/worker.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::recorder {
namespace {

// "00000042.pcap" -> 42; 0 for names that are not archive files.
std::uint32_t archive_file_id(const std::string& name) {
  if (name.size() != 13 || name.compare(8, 5, ".pcap") != 0) return 0;
  std::uint32_t id = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + 8, id);
  if (ec != std::errc() || p != name.data() + 8) return 0;
  return id;
}

records::ArchiveFileRecord to_record(const capture::ArchiveFileInfo& f) {
  records::ArchiveFileRecord r;
  r.file_id = f.file_id;
  r.name = f.name;
  r.linktype = f.linktype;
  r.snaplen = f.snaplen;
  r.first_ts = f.first_ts;
  r.last_ts = f.last_ts;
  r.packets = f.packets;
  r.bytes = f.bytes;
  r.sha256 = f.sealed ? to_hex(f.sha256) : std::string();
  r.sealed = f.sealed;
  return r;
}

}  // namespace

Recorder::Recorder(const RecorderConfig& config)
    : config_(config), layout_{config.store_dir}, capture_batch_(std::make_unique<StoreBatch>()) {
  if (config_.workers < 0) {
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    // Small machines: the core alone is fastest on the capture thread; with the analyzers,
    // whose work is per flow (hashing, compressing and parsing objects), flows are worth
    // workers of their own even on two cores (bench/analyzers_bench.sh: 1.7x).
    config_.workers = cores >= 4 ? cores - 2 : (config_.analyze ? std::max(cores, 1) : 0);
  }
}

Recorder::~Recorder() {
  if (!finished_ && writer_) (void)finish();
}

Result<std::unique_ptr<Recorder>> Recorder::open(const RecorderConfig& config) {
  std::unique_ptr<Recorder> r(new Recorder(config));
  if (auto s = r->layout_.create(); !s) return s.error();
  auto lock = store::StoreLock::acquire(r->layout_);
  if (!lock) return lock.error();
  r->lock_ = std::make_unique<store::StoreLock>(std::move(lock.value()));

  std::vector<std::string> problems;
  auto manifest = store::SealManifest::load(r->layout_.manifest_path(), &problems);
  if (!manifest) return manifest.error();
  for (const auto& p : problems) spdlog::warn("archive manifest: {}", p);
  r->manifest_ = std::make_unique<store::SealManifest>(std::move(manifest.value()));

  auto index =
      store::SqliteIndex::open(r->layout_.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!index) return index.error();

  // A file in packets/ without a seal was left open by a recorder that died: keep its
  // complete records, cut a partial last one, and seal it as recovered.
  std::uint32_t max_file_id = 0;
  std::set<std::uint32_t> sealed_ids;
  for (const auto& e : r->manifest_->entries()) {
    sealed_ids.insert(e.file_id);
    max_file_id = std::max(max_file_id, e.file_id);
  }
  std::vector<std::pair<std::uint32_t, std::string>> unsealed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(r->layout_.packets_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    const std::uint32_t id = archive_file_id(name);
    if (id == 0) continue;
    max_file_id = std::max(max_file_id, id);
    if (!sealed_ids.count(id)) unsealed.emplace_back(id, name);
  }
  std::sort(unsealed.begin(), unsealed.end());
  for (const auto& [id, name] : unsealed) {
    const std::string path = r->layout_.packet_file_path(name);
    auto scan = capture::scan_pcap_file(path, /*truncate_tail=*/true);
    if (!scan) {
      spdlog::error("cannot recover unsealed archive file {}: {}", path, scan.error().message);
      continue;
    }
    store::SealEntry e;
    e.file_id = id;
    e.name = name;
    e.bytes = scan->file_bytes;
    e.sha256 = to_hex(scan->sha256);
    e.packets = scan->packets;
    e.first_ts = scan->first_ts;
    e.last_ts = scan->last_ts;
    e.linktype = scan->linktype;
    e.sealed_at = wall_clock_ns();
    e.note = "recovered";
    if (auto s = r->manifest_->append(e); !s) return s.error();
    records::ArchiveFileRecord f;
    f.file_id = id;
    f.name = name;
    f.linktype = scan->linktype;
    f.snaplen = scan->snaplen;
    f.first_ts = scan->first_ts;
    f.last_ts = scan->last_ts;
    f.packets = scan->packets;
    f.bytes = scan->file_bytes;
    f.sha256 = e.sha256;
    f.sealed = true;
    if (auto s = index.value()->begin(); !s) return s.error();
    if (auto s = index.value()->upsert_archive_file(f); !s) return s.error();
    if (auto s = index.value()->commit(); !s) return s.error();
    spdlog::warn(
        "recovered unsealed archive file {} ({} packets kept, {} bytes of a partial "
        "last record cut) and sealed it",
        name, scan->packets, scan->cut_bytes);
  }

  // A reanalysis that died before settling wrote its sessions beside the ones it was to
  // replace: they go, so nothing is listed twice (its packets were the archive's already).
  if (auto undone = index.value()->abandon_reanalysis(); !undone) {
    return undone.error();
  } else if (undone.value() > 0) {
    spdlog::warn("an unfinished kagami reanalyze was undone ({} session(s) it had written)",
                 undone.value());
  }
  auto next_file = index.value()->next_file_id();
  if (!next_file) return next_file.error();
  auto next_session = index.value()->next_session_id();
  if (!next_session) return next_session.error();
  r->shared_.next_session_id.store(next_session.value());
  // A sequence per record type numbered by its own id (a TLS record takes its session's).
  std::vector<std::pair<analyzers::IdSpace, std::string>> sequences = {
      {analyzers::kFileEventIds, "file_events"}};
  records::for_each_record_type([&]<class R>() {
    if (R::kType.id_column == "id")
      sequences.emplace_back(records::record_type_index<R>(), std::string(R::kType.table));
  });
  for (const auto& [space, table] : sequences) {
    auto next = index.value()->next_record_id(table);
    if (!next) return next.error();
    r->shared_.next_id[space].store(next.value());
  }
  const std::uint32_t first_file = std::max(next_file.value(), max_file_id + 1);
  auto next_finding = index.value()->next_record_id("findings");
  if (!next_finding) return next_finding.error();
  auto next_alert = index.value()->next_record_id("alerts");
  if (!next_alert) return next_alert.error();

  if (config.inspect && config.analyze && !r->config_.inspector) {
    auto inspector = inspect::Inspector::create(config.inspect_options);
    if (!inspector) return inspector.error();
    r->config_.inspector = inspector.value();
  }
  if (!config.inspect) r->config_.inspector.reset();
  // Producers: each worker, the capture thread, then each inspecting thread.
  const std::size_t inspecting = r->config_.inspector && config.analyze
                                     ? static_cast<std::size_t>(std::max(config.inspect_threads, 1))
                                     : 0;
  r->writer_ = std::make_unique<StoreWriter>(
      std::move(index.value()), config.store,
      static_cast<std::size_t>(std::max(r->config_.workers, 1)) + 1 + inspecting);
  // A transaction that finds no room asks retention to evict early (the writer starts later).
  r->writer_->on_disk_full([rec = r.get()] {
    if (rec->retention_) rec->retention_->nudge(/*disk_full=*/true);
  });
  if (config.retention.enabled()) {
    auto runner = RetentionRunner::start(r->layout_, config.retention, *r->manifest_,
                                         std::chrono::milliseconds(config.retention_interval_ms));
    if (!runner) return runner.error();
    r->retention_ = std::move(runner.value());
    r->writer_->yield_to(&r->retention_->index_gate());
    r->retention_->nudge();  // a store already over its limits is brought back first
  }
  if (auto s = r->start(first_file, next_finding.value(), next_alert.value()); !s) return s.error();
  return r;
}

Status Recorder::start(std::uint32_t next_file_id, std::uint64_t next_finding_id,
                       std::uint64_t next_alert_id) {
  const std::size_t n = static_cast<std::size_t>(std::max(config_.workers, 1));
  if (config_.analyze) {
    store::FileStore::Options fo;
    fo.zstd_level = config_.file_compression_level;
    file_store_ = std::make_unique<store::FileStore>(layout_, fo);
    shared_.files = file_store_.get();
    shared_.names = &names_;
    shared_.expected = &expected_;
    if (config_.inspector) {
      if (!config_.alert_sinks.empty()) {
        alert::DispatcherOptions d;
        d.queue_dir = layout_.root + "/alert-queue";
        d.sensor = config_.sensor;
        auto dispatcher = alert::AlertDispatcher::start(config_.alert_sinks, d);
        if (!dispatcher) return dispatcher.error();
        alerts_ = std::move(dispatcher.value());
      }
      InspectionPoolOptions o;
      o.threads = static_cast<std::size_t>(std::max(config_.inspect_threads, 1));
      o.max_object_bytes = config_.inspect_max_object_bytes;
      o.live = config_.live;
      inspection_ = std::make_unique<InspectionPool>(config_.inspector, config_.alert_policy,
                                                     *file_store_, *writer_, n + 1, n, o,
                                                     next_finding_id, next_alert_id, alerts_.get(),
                                                     &shared_.next_id[analyzers::kFileEventIds]);
      shared_.inspection = inspection_.get();
      if (config_.ppap.enabled) {
        ppap_ = std::make_unique<PpapCorrelator>(config_.ppap);
        shared_.ppap = ppap_.get();
      }
    }
  }
  writer_->start();
  report_lost_backlog();
  if (inspection_)
    if (auto s = inspection_->start(); !s) return s;
  for (std::size_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<Worker>(i, config_, shared_, *writer_, i));
  // A live capture that outruns a worker queues for it on disk instead of dropping.
  if (config_.workers > 0 && config_.live && config_.worker_backlog_bytes > 0) {
    for (auto& w : workers_) {
      auto b = AnalysisBacklog::open(layout_.root, config_.worker_backlog_bytes);
      if (!b) {
        spdlog::warn("{}: a worker that falls behind drops packets (archived) instead",
                     b.error().message);
        break;
      }
      w->use_backlog(std::move(b.value()));
    }
  }
  if (config_.workers > 0)
    for (auto& w : workers_) w->start();
  archive_ = std::make_unique<capture::PacketArchive>(layout_.packets_dir(), config_.archive,
                                                      next_file_id, *this);
  defrag_ = std::make_unique<packet::Defragmenter>(config_.defrag);
  return {};
}

void Recorder::push_capture_batch() {
  if (capture_batch_->empty()) return;
  writer_->push(workers_.size(), std::move(capture_batch_));
  capture_batch_ = std::make_unique<StoreBatch>();
}

void Recorder::on_archive_opened(const capture::ArchiveFileInfo& file) {
  capture_batch_->files.push_back(to_record(file));
  push_capture_batch();
}

Status Recorder::on_archive_sealed(const capture::ArchiveFileInfo& file) {
  store::SealEntry e;
  e.file_id = file.file_id;
  e.name = file.name;
  e.bytes = file.bytes;
  e.sha256 = to_hex(file.sha256);
  e.packets = file.packets;
  e.first_ts = file.first_ts;
  e.last_ts = file.last_ts;
  e.linktype = file.linktype;
  e.sealed_at = wall_clock_ns();
  e.note = file.note;
  Status s = manifest_->append(e);
  capture_batch_->files.push_back(to_record(file));
  push_capture_batch();
  if (retention_) retention_->nudge();
  return s;
}

void Recorder::tell_admin(const char* severity, std::string title, std::string findings) {
  // The administrator hears of the recorder's own trouble where alerts go, not only in a log
  // nobody reads.
  if (!alerts_) return;
  records::AlertRecord a;
  a.ts = wall_clock_ns();
  a.severity = severity;
  a.protocol = "kagami";
  a.title = std::move(title);
  a.findings = std::move(findings);
  alerts_->post(a, {});
}

void Recorder::on_archive_failed(const std::string& why) {
  spdlog::error(
      "packet archive: {}: what was written is sealed; packets are analysed but not archived "
      "(counted in archive.dropped) until a new file can be written, tried every second",
      why);
  if (retention_) retention_->nudge(/*disk_full=*/true);
  tell_admin("high", "Packet archive cut short: " + why,
             "packets are analysed but not archived until the store's disk has room");
}

void Recorder::on_archive_resumed(std::uint64_t dropped) {
  spdlog::warn("packet archive: writing again; {} packet(s) were not archived meanwhile", dropped);
  tell_admin("medium", "Packet archive writing again",
             std::to_string(dropped) + " packet(s) were not archived meanwhile");
}

void Recorder::count_decode_failure(const char* kind, bool not_ip) {
  if (not_ip) {
    ++counters_.not_ip;
    return;
  }
  ++counters_.undecodable;
  if (log_once_.first(kind))
    spdlog::warn("undecodable packet ({}): archived, not analysed; further ones are only counted",
                 kind);
}

void Recorder::send_control(std::size_t worker, std::uint8_t kind, TimeNs ts) {
  ByteRing& ring = workers_[worker]->ring();
  WorkerMessageHeader h{};
  h.kind = static_cast<WorkerMessage>(kind);
  h.ts = ts;
  Backoff backoff;
  // Behind a backlog, in order: a tick joins it (dropped if the disk refuses it: the next comes
  // in a second); the end waits until the worker has read it all, then takes the ring.
  if (AnalysisBacklog* b = workers_[worker]->backlog(); b != nullptr && b->active()) {
    if (h.kind == WorkerMessage::kTick && !b->drained()) {
      if (std::uint8_t* dst = b->reserve(sizeof h, /*always=*/true)) {
        std::memcpy(dst, &h, sizeof h);
        b->commit();
      }
      (void)b->flush();
      return;
    }
    (void)b->flush();
    while (!b->drained()) backoff.wait();
    b->end();
  }
  std::uint8_t* dst;
  while ((dst = ring.try_reserve(sizeof h)) == nullptr) backoff.wait();
  std::memcpy(dst, &h, sizeof h);
  ring.commit();
}

void Recorder::publish_counters() {
  auto taken = counters();
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(taken);
}

void Recorder::take_snapshot(const capture::PacketSource& source) {
  current_source_ = source.stats();
  measure_lag();
  publish_counters();
}

void Recorder::measure_lag() {
  if (config_.workers == 0) return;
  TimeNs lag = 0;
  std::uint64_t waiting = 0;
  for (auto& w : workers_) {
    AnalysisBacklog* b = w->backlog();
    if (b != nullptr) (void)b->flush();  // at least once a second, what waits is readable
    const std::uint64_t queued = w->ring().used_bytes() + (b != nullptr ? b->waiting_bytes() : 0);
    if (b != nullptr) waiting += b->waiting_bytes();
    if (queued > 0 && w->done_ts() > 0 && now_ > w->done_ts())
      lag = std::max(lag, now_ - w->done_ts());
  }
  lag_ = lag;
  lag_peak_ = std::max(lag_peak_, lag);
  if (waiting > 0) {
    TimeNs since = behind_since_ != 0 ? behind_since_ : now_;
    for (auto& w : workers_)
      if (const AnalysisBacklog* b = w->backlog();
          b != nullptr && b->waiting_bytes() > 0 && w->done_ts() > 0 && w->done_ts() < since)
        since = w->done_ts();
    mark_behind(since);
  } else if (behind_since_ != 0) {
    clear_behind();
  }
  backlog_bytes_ = waiting;
  backlog_peak_bytes_ = std::max(backlog_peak_bytes_, waiting);
  if (!config_.live || config_.lag_alert_ns == 0) return;
  // Said once when the bound is passed, and once when the analysis has caught up again.
  if (!lag_alerted_ && lag > config_.lag_alert_ns) {
    lag_alerted_ = true;
    spdlog::warn(
        "analysis: {} s behind the capture ({} waiting on disk); nothing is lost while "
        "the backlog has room",
        lag / kNsPerSec, format_size(waiting));
    tell_admin("high", "Analysis behind the capture by " + std::to_string(lag / kNsPerSec) + " s",
               "packets are archived and wait on disk for the analysis (" + format_size(waiting) +
                   "); sessions and files appear late");
  } else if (lag_alerted_ && lag < config_.lag_alert_ns / 2) {
    lag_alerted_ = false;
    spdlog::info("analysis: caught up with the capture");
    tell_admin("medium", "Analysis caught up with the capture",
               "at most " + std::to_string(lag_peak_ / kNsPerSec) + " s behind meanwhile");
  }
}

namespace {
std::string behind_path(const store::StoreLayout& layout) {
  return layout.root + "/status/analysis-behind.json";
}
}  // namespace

void Recorder::mark_behind(TimeNs since) {
  behind_since_ = since;
  // Written whole, then renamed: a crash leaves the last complete one.
  const std::string path = behind_path(layout_), tmp = path + ".tmp";
  std::error_code ec;
  std::filesystem::create_directories(layout_.root + "/status", ec);
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return;
  const bool ok = std::fprintf(f, "{\"since_ns\": %lld, \"until_ns\": %lld}\n",
                               static_cast<long long>(since), static_cast<long long>(now_)) > 0;
  if (std::fclose(f) == 0 && ok) (void)std::rename(tmp.c_str(), path.c_str());
}

void Recorder::clear_behind() {
  behind_since_ = 0;
  (void)std::remove(behind_path(layout_).c_str());
}

void Recorder::report_lost_backlog() {
  const std::string path = behind_path(layout_);
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return;
  long long since = 0, until = 0;
  const int got = std::fscanf(f, " {\"since_ns\": %lld, \"until_ns\": %lld}", &since, &until);
  std::fclose(f);
  (void)std::remove(path.c_str());
  if (got != 2 || since <= 0 || until < since) return;
  // What waited in a backlog when the recorder died was never analysed; its packets are
  // archived. Whole seconds, widened, so the command covers the window.
  const std::string a = std::to_string(since / kNsPerSec),
                    b = std::to_string(until / kNsPerSec + 1);
  const std::string how =
      "kagami reanalyze --store " + layout_.root + " --since " + a + " --until " + b;
  spdlog::warn(
      "the recorder stopped while its analysis was behind: packets from {} to {} (epoch "
      "seconds) are archived but may not all be analysed; {}",
      a, b, how);
  tell_admin("high", "Analysis lost at a crash: packets from " + a + " to " + b,
             "archived, not all analysed; run " + how);
}

void Recorder::snapshot_if_due(const capture::PacketSource& source) {
  const auto wall = std::chrono::steady_clock::now();
  if (wall - snapshot_at_ < std::chrono::seconds(1)) return;
  snapshot_at_ = wall;
  take_snapshot(source);
}

void Recorder::tick(TimeNs now) {
  last_tick_ = now;
  defrag_->expire(now);
  if (config_.workers == 0) {
    workers_[0]->on_tick(now);
  } else {
    for (std::size_t i = 0; i < workers_.size(); ++i)
      send_control(i, static_cast<std::uint8_t>(WorkerMessage::kTick), now);
  }
}

void Recorder::dispatch(const packet::Packet& p, std::span<const PacketLocation> locations,
                        bool rebuilt, bool fragment_conflict, int dlt) {
  // Pieces of a rebuilt datagram the archive could not keep have no place to point to.
  std::vector<PacketLocation> kept;
  if (rebuilt && std::any_of(locations.begin(), locations.end(),
                             [](const PacketLocation& l) { return l.file_id == 0; })) {
    for (const PacketLocation& l : locations)
      if (l.file_id != 0) kept.push_back(l);
    locations = kept;
  }
  if (config_.workers == 0) {
    workers_[0]->on_packet(p, locations, rebuilt, fragment_conflict);
    return;
  }
  bool src_is_a;
  flow::FlowKey key = flow::make_flow_key(p, src_is_a, config_.flow.vlan_in_key);
  // Shard by the pair of hosts, not the 5-tuple: connections between the same two hosts (an
  // FTP control connection and its data connections, active or passive) share a worker and
  // so meet in packet order. The price: one busy pair of hosts cannot use two workers.
  key.port_a = key.port_b = 0;
  const std::uint64_t hash = flow::hash_flow_key(key);
  const std::size_t w = static_cast<std::size_t>((hash >> 32) % workers_.size());
  ByteRing& ring = workers_[w]->ring();
  const ByteView bytes = p.frame;  // a rebuilt datagram's frame starts at its IP header
  const std::size_t size =
      sizeof(WorkerMessageHeader) + locations.size() * sizeof(PacketLocation) + bytes.size();
  if (size > ring.max_message() || locations.size() > UINT16_MAX) {
    ++counters_.oversize;
    return;
  }
  // While a worker's backlog is active its messages go there, in order, until it has read
  // them all; a live capture whose ring is full starts one (or drops, with none).
  AnalysisBacklog* backlog = workers_[w]->backlog();
  if (backlog != nullptr && backlog->active() && backlog->drained()) backlog->end();
  const bool to_backlog_already = backlog != nullptr && backlog->active();
  std::uint8_t* dst = to_backlog_already ? nullptr : ring.try_reserve(size);
  bool to_backlog = to_backlog_already;
  if (dst == nullptr && !to_backlog) {
    if (config_.live) {
      if (backlog == nullptr) {
        ++counters_.internal_drops;
        return;
      }
      backlog->begin();
      to_backlog = true;
    } else {
      Backoff backoff;
      while ((dst = ring.try_reserve(size)) == nullptr) backoff.wait();
    }
  }
  if (to_backlog && (dst = backlog->reserve(size)) == nullptr) {
    ++counters_.internal_drops;  // past the backlog's bound, or the disk refused it
    return;
  }
  WorkerMessageHeader h{};
  h.kind = rebuilt ? WorkerMessage::kRebuilt : WorkerMessage::kPacket;
  h.fragment_conflict = fragment_conflict;
  h.location_count = static_cast<std::uint16_t>(locations.size());
  h.dlt = dlt;
  h.ts = p.ts;
  h.wire_len = p.wire_len;
  h.caplen = static_cast<std::uint32_t>(bytes.size());
  h.src_mac = p.src_mac;
  h.dst_mac = p.dst_mac;
  h.vlan_outer = p.vlan_outer;
  h.vlan_inner = p.vlan_inner;
  h.vlan_count = p.vlan_count;
  std::memcpy(dst, &h, sizeof h);
  dst += sizeof h;
  std::memcpy(dst, locations.data(), locations.size() * sizeof(PacketLocation));
  dst += locations.size() * sizeof(PacketLocation);
  std::memcpy(dst, bytes.data(), bytes.size());
  if (!to_backlog) {
    ring.commit();
    return;
  }
  backlog->commit();
  ++counters_.backlogged;
  backlog_peak_bytes_ = std::max(backlog_peak_bytes_, backlog->waiting_bytes());
  // A worker that emptied its ring waits for this: hand it over now rather than at the tick.
  if (ring.empty()) (void)backlog->flush();
}

Status Recorder::run(capture::PacketSource& source) {
  int dlt = source.link_type();
  std::uint32_t snaplen = source.snaplen();
  if (!packet::link_type_supported(dlt))
    spdlog::warn("{}: link type {} is not decoded: its packets are archived but not analysed",
                 source.name(), dlt);
  capture::RawPacket raw;
  packet::Packet p;
  packet::Packet rebuilt;
  // A classic pcap file is archived as a byte-for-byte copy of itself, as long as it stays
  // whole records; after a damaged stretch the rest is archived frame by frame.
  bool verbatim = false;
  if (config_.archive.verbatim_import && !source.verbatim_path().empty()) {
    if (auto s = archive_->begin_verbatim(source.verbatim_path(), dlt, snaplen); s) {
      verbatim = true;
    } else {
      spdlog::warn("{}: archiving frame by frame: {}", source.name(), s.error().message);
    }
  }
  auto last_flush = std::chrono::steady_clock::now();
  Status result;
  take_snapshot(source);
  while (!stop_.load(std::memory_order_relaxed)) {
    if (stats_requested_.exchange(false, std::memory_order_relaxed)) {
      current_source_ = source.stats();
      print_counters(std::cerr);
    }
    // Each second or so (a clock read per 1024 packets): the metrics' copy.
    if ((counters_.packets.get() & 1023) == 0) snapshot_if_due(source);
    const capture::NextStatus st = source.next(raw);
    if (st == capture::NextStatus::kTimeout) {
      snapshot_if_due(source);
      // An idle live capture: let time pass by the clock so idle flows still end and the
      // archive reaches the disk. It passes from the last packet's time as much as the clock
      // has since the idling began (the first timeout after a packet: no clock read per
      // packet), not to the clock's time: a stream of packets from another clock (an old
      // capture sent over pcap-over-IP) would otherwise see every flow expire at each pause.
      const auto wall = std::chrono::steady_clock::now();
      if (counters_.packets.get() != idle_after_packets_ || now_ != idle_from_) {
        idle_after_packets_ = counters_.packets.get();
        idle_from_ = now_;
        idle_since_ = wall;
      }
      const TimeNs now =
          now_ == 0
              ? wall_clock_ns()
              : now_ + std::chrono::duration_cast<std::chrono::nanoseconds>(wall - idle_since_)
                           .count();
      if (now - last_tick_ >= kNsPerSec) tick(now);
      if (auto s = archive_->rotate_if_old(now); !s) {
        result = s;
        break;
      }
      (void)archive_->flush();
      continue;
    }
    if (st == capture::NextStatus::kEnd) break;
    if (st == capture::NextStatus::kError) {
      ++counters_.source_errors;
      result = make_error("{}: {}", source.name(), source.error());
      break;
    }
    if (raw.link_type >= 0 && raw.link_type != dlt) {
      // A stream that said its link type only once it began (pcap-over-IP).
      dlt = raw.link_type;
      snaplen = source.snaplen();
      if (!packet::link_type_supported(dlt))
        spdlog::warn("{}: link type {} is not decoded: its packets are archived but not analysed",
                     source.name(), dlt);
    }
    ++counters_.packets;
    counters_.bytes += raw.data.size();
    if (verbatim && !archive_->verbatim()) verbatim = false;  // the copy failed: frame by frame
    if (verbatim && raw.file_offset == capture::RawPacket::kNoOffset) {
      verbatim = false;
      if (auto s = archive_->end_verbatim(); !s) {
        result = make_error("packet archive failed: {}", s.error().message);
        stop();
        break;
      }
    }
    // A packet read back from the archive is there already (past a damaged stretch of its
    // file it has no place to point at: analysed, not archived twice).
    auto loc = raw.archived.file_id != 0
                   ? Result<PacketLocation>(raw.archived.offset != capture::RawPacket::kNoOffset
                                                ? raw.archived
                                                : PacketLocation{})
               : verbatim ? archive_->write_verbatim(raw.ts, raw.file_offset,
                                                     raw.file_offset + 16 + raw.data.size())
                          : archive_->write(dlt, snaplen, raw.ts, raw.data, raw.wire_len);
    if (!loc) {
      // Losing the archive is losing evidence: stop recording rather than pretend.
      result = make_error("packet archive failed: {}", loc.error().message);
      stop();
      break;
    }
    if (raw.ts > now_) now_ = raw.ts;

    const packet::DecodeResult res =
        packet::Decoder::decode(dlt, raw.ts, raw.data, raw.wire_len, p);
    if (res.status != packet::DecodeStatus::kOk) {
      count_decode_failure(res.problem, res.status == packet::DecodeStatus::kNotIp);
    } else if (p.is_fragment) {
      ++counters_.decoded;
      // A fragment the archive could not keep still helps rebuild its datagram (file id 0:
      // dispatch leaves such locations out of the session's).
      if (const auto* done = defrag_->add(p, loc.value())) {
        rebuilt = p;
        const packet::DecodeResult r2 = packet::Decoder::decode_ip(done->ip_packet, 0, rebuilt);
        if (r2.status == packet::DecodeStatus::kOk && !rebuilt.is_fragment) {
          dispatch(rebuilt, done->pieces, true, done->overlap_conflict, dlt);
        } else {
          count_decode_failure(r2.problem ? r2.problem : "defrag.rebuilt_malformed", false);
        }
      }
    } else {
      ++counters_.decoded;
      dispatch(p, std::span<const PacketLocation>(&loc.value(), loc->file_id != 0 ? 1 : 0), false,
               false, dlt);
    }

    if (now_ - last_tick_ >= kNsPerSec) tick(now_);
    if (config_.live && (counters_.packets.get() & 1023) == 0) {
      const auto wall = std::chrono::steady_clock::now();
      if (wall - last_flush >= std::chrono::seconds(1)) {
        (void)archive_->flush();
        last_flush = wall;
      }
    }
  }
  if (verbatim && archive_->verbatim()) {
    // The next source gets files of its own; this copy is complete.
    if (auto s = archive_->end_verbatim(); !s) {
      if (result) result = s;
    } else {
      const auto& f = archive_->last_sealed();
      std::error_code ec;
      if (f.bytes == std::filesystem::file_size(source.verbatim_path(), ec))
        spdlog::info("{}: archived byte for byte as packets/{} (SHA-256 {}, the input's own)",
                     source.name(), f.name, to_hex(f.sha256));
    }
  }
  const auto st = source.stats();
  if (st.resyncs > 0)
    spdlog::warn("{}: {} damaged record header(s); {} bytes skipped to reach the next valid record",
                 source.name(), st.resyncs, st.skipped_bytes);
  finished_sources_.resyncs += st.resyncs;
  finished_sources_.streams += st.streams;
  finished_sources_.streams_refused += st.streams_refused;
  finished_sources_.records_cut += st.records_cut;
  finished_sources_.skipped_bytes += st.skipped_bytes;
  finished_sources_.received += st.received;
  finished_sources_.kernel_dropped += st.kernel_dropped;
  finished_sources_.interface_dropped += st.interface_dropped;
  current_source_ = {};
  publish_counters();
  return result;
}

Status Recorder::finish() {
  if (finished_) return {};
  finished_ = true;
  // A recorder whose start failed part way has fewer parts to end (no workers, no archive).
  if (!workers_.empty() && config_.workers == 0) {
    workers_[0]->on_end();
  } else if (!workers_.empty()) {
    for (std::size_t i = 0; i < workers_.size(); ++i)
      send_control(i, static_cast<std::uint8_t>(WorkerMessage::kEnd), now_);
    for (auto& w : workers_) w->join();
    // Every worker read all it was sent: nothing waits, nothing lags.
    clear_behind();
    lag_ = 0;
    backlog_bytes_ = 0;
    for (auto& w : workers_)
      if (const AnalysisBacklog* b = w->backlog()) backlog_bytes_ += b->waiting_bytes();
  }
  if (inspection_) inspection_->stop();  // what the workers handed over is inspected first
  if (alerts_) alerts_->stop();          // one last delivery; the rest waits on disk
  Status archive_status = archive_ ? archive_->close() : Status{};
  push_capture_batch();
  Status store_status = writer_->stop();
  // The last pass sees every session written: what it evicts is flagged in them.
  Status retention_status = retention_ ? retention_->finish() : Status{};
  publish_counters();  // everything has stopped: the last copy is the final count
  if (!archive_status) return archive_status;
  if (!store_status) return store_status;
  return retention_status;
}

std::vector<std::pair<std::string, std::uint64_t>> Recorder::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  auto add = [&out](const char* name, const Counter& c) { out.emplace_back(name, c.get()); };
  counters_.visit(add);
  out.emplace_back("source.received", finished_sources_.received + current_source_.received);
  out.emplace_back("source.kernel_dropped",
                   finished_sources_.kernel_dropped + current_source_.kernel_dropped);
  out.emplace_back("source.interface_dropped",
                   finished_sources_.interface_dropped + current_source_.interface_dropped);
  out.emplace_back("source.resyncs", finished_sources_.resyncs + current_source_.resyncs);
  out.emplace_back("source.streams", finished_sources_.streams + current_source_.streams);
  out.emplace_back("source.streams_refused",
                   finished_sources_.streams_refused + current_source_.streams_refused);
  out.emplace_back("source.records_cut",
                   finished_sources_.records_cut + current_source_.records_cut);
  out.emplace_back("source.skipped_bytes",
                   finished_sources_.skipped_bytes + current_source_.skipped_bytes);
  if (archive_) archive_->counters().visit(add);
  if (defrag_) defrag_->counters().visit(add);
  std::map<std::string, std::uint64_t> summed;
  std::vector<std::string> order;
  auto sum = [&](const char* name, const Counter& c) {
    if (!summed.count(name)) order.emplace_back(name);
    summed[name] += c.get();
  };
  std::uint64_t peak = 0, decode_errors = 0;
  for (const auto& w : workers_) {
    w->table().counters().visit(sum);
    w->table().reassembly_counters().visit(sum);
    w->analyzer_counters().visit(sum);
    peak += w->table().reassembly_budget().peak.get();
    decode_errors += w->decode_errors().get();
  }
  for (const auto& name : order) out.emplace_back(name, summed[name]);
  out.emplace_back("tcp.reassembly_peak_bytes", peak);
  out.emplace_back("worker.decode_errors", decode_errors);
  if (writer_) writer_->counters().visit(add);
  if (retention_) retention_->counters().visit(add);
  out.emplace_back("files.not_stored", shared_.files_not_stored.load(std::memory_order_relaxed));
  // How far behind the capture the analysis is (packet time), and what waits for it on disk.
  out.emplace_back("analysis.lag_ms", static_cast<std::uint64_t>(lag_ / 1'000'000));
  out.emplace_back("analysis.lag_peak_ms", static_cast<std::uint64_t>(lag_peak_ / 1'000'000));
  out.emplace_back("analysis.backlog_bytes", backlog_bytes_);
  out.emplace_back("analysis.backlog_peak_bytes", backlog_peak_bytes_);
  std::uint64_t lost = 0;  // written to a backlog the disk then refused, or not read back
  for (const auto& w : workers_)
    if (const AnalysisBacklog* b = w->backlog()) lost += b->lost() + b->unreadable();
  out.emplace_back("analysis.backlog_lost", lost);
  if (file_store_) {
    // Objects and mails written to disk early because what waits in memory reached its bound.
    const MemoryBudget& m = file_store_->writer_memory();
    out.emplace_back("content.memory_bytes",
                     static_cast<std::uint64_t>(std::max<std::int64_t>(m.held(), 0)));
    out.emplace_back("content.written_through", m.times_pressed());
  }
  if (inspection_)
    for (auto& c : inspection_->counters()) out.push_back(std::move(c));
  if (ppap_) ppap_->visit(add);
  if (shared_.expected != nullptr) {
    out.emplace_back("expected.claimed", expected_.claimed());
    out.emplace_back("expected.expired", expected_.expired());
    out.emplace_back("expected.evicted", expected_.evicted());
  }
  if (alerts_)
    for (auto& c : alerts_->counters()) out.push_back(std::move(c));
  return out;
}

void Recorder::print_counters(std::ostream& out) const {
  for (const auto& [name, value] : counters()) out << name << ' ' << value << '\n';
  out.flush();
}

}  // namespace kagami::recorder
