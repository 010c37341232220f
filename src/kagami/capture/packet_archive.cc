#include "kagami/capture/packet_archive.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "kagami/capture/pcap_format.h"
#include "kagami/capture/pcap_reader.h"

namespace kagami::capture {

PacketArchive::PacketArchive(std::string dir, ArchiveLimits limits, std::uint32_t next_file_id,
                             ArchiveListener& listener)
    : dir_(std::move(dir)), limits_(limits), next_file_id_(next_file_id), listener_(listener) {}

PacketArchive::~PacketArchive() {
  if (writer_ || verbatim_) (void)close();
}

Status PacketArchive::begin_verbatim(const std::string& input_path, int dlt,
                                     std::uint32_t snaplen) {
  if (auto s = close(); !s) return s;
  char name[32];
  std::snprintf(name, sizeof name, "%08u.pcap", next_file_id_);
  VerbatimCopier::Options o;
  o.chunk_bytes = limits_.write_block_bytes;
  o.direct_io = limits_.direct_io;
  auto c = VerbatimCopier::create(dir_ + "/" + name, input_path, o);
  if (!c) return c.error();
  verbatim_ = std::move(c.value());
  current_ = ArchiveFileInfo{};
  current_.file_id = next_file_id_++;
  current_.name = name;
  current_.linktype = dlt_to_linktype(dlt);
  current_.snaplen = snaplen;
  current_.note = "verbatim";
  current_dlt_ = dlt;
  listener_.on_archive_opened(current_);
  return {};
}

Result<PacketLocation> PacketArchive::write_verbatim(TimeNs ts, std::uint64_t record_offset,
                                                     std::uint64_t record_end) {
  if (current_.packets == 0 || ts < current_.first_ts) current_.first_ts = ts;
  if (current_.packets == 0 || ts > current_.last_ts) current_.last_ts = ts;
  ++current_.packets;
  ++counters_.packets;
  counters_.bytes += record_end - record_offset;
  verbatim_->advance(record_end);
  if (verbatim_->failed()) {
    // The copy broke (no room): what reached the disk is sealed; the caller archives the
    // rest frame by frame once it can (verbatim() is false now).
    // (this record is counted in current_.packets: if the copy did not reach it, fail()
    // counts it as dropped)
    fail("the verbatim copy of the input failed");
    return PacketLocation{};
  }
  return PacketLocation{current_.file_id, record_offset};
}

Status PacketArchive::end_verbatim() {
  if (!verbatim_) return {};
  if (verbatim_->failed()) {
    fail("the verbatim copy of the input failed");
    return {};
  }
  current_.bytes = verbatim_->size();
  auto digest = verbatim_->close();
  verbatim_.reset();
  current_dlt_ = -1;
  if (!digest) {
    fail(digest.error().message);
    return {};
  }
  current_.sha256 = digest.value();
  current_.sealed = true;
  ++counters_.files_sealed;
  last_sealed_ = current_;
  return listener_.on_archive_sealed(current_);
}

Status PacketArchive::open_file(int dlt, std::uint32_t snaplen, TimeNs ts) {
  char name[32];
  std::snprintf(name, sizeof name, "%08u.pcap", next_file_id_);
  current_ = ArchiveFileInfo{};
  current_.file_id = next_file_id_++;
  current_.name = name;
  current_.linktype = dlt_to_linktype(dlt);
  current_.snaplen = snaplen > kPcapDefaultSnaplen ? snaplen : kPcapDefaultSnaplen;
  current_.first_ts = current_.last_ts = ts;
  PcapWriterOptions o;
  o.block_bytes = limits_.write_block_bytes;
  o.blocks = limits_.write_blocks;
  o.background = true;
  o.direct_io = limits_.direct_io;
  auto w = PcapWriter::create(dir_ + "/" + current_.name, current_.linktype, current_.snaplen, o);
  if (!w) return w.error();
  writer_ = std::move(w.value());
  current_dlt_ = dlt;
  listener_.on_archive_opened(current_);
  return {};
}

Status PacketArchive::seal() {
  if (!writer_) return {};
  current_.packets = writer_->packets();
  if (writer_->failed()) {
    fail("write failed");
    return {};
  }
  current_.bytes = writer_->size();
  counters_.write_stalls += writer_->stalls();
  auto digest = writer_->close();
  writer_.reset();
  current_dlt_ = -1;
  if (!digest) {
    // The last blocks found no room: what reached the disk is sealed instead.
    fail(digest.error().message);
    return {};
  }
  current_.sha256 = digest.value();
  current_.sealed = true;
  ++counters_.files_sealed;
  last_sealed_ = current_;
  return listener_.on_archive_sealed(current_);
}

void PacketArchive::fail(const std::string& why) {
  ++counters_.write_failures;
  std::string error = why;
  if (writer_) {
    current_.packets = writer_->packets();
    counters_.write_stalls += writer_->stalls();
    if (auto closed = writer_->close(); !closed) error = closed.error().message;
    writer_.reset();
  } else if (verbatim_) {
    if (auto closed = verbatim_->close(); !closed) error = closed.error().message;
    verbatim_.reset();
  }
  current_dlt_ = -1;
  if (!suspended_) dropped_at_suspend_ = counters_.dropped.get();
  suspended_ = true;
  retry_at_ms_ = monotonic_ms() + 1000;
  if (!current_.name.empty() && !current_.sealed) {
    // Keep every complete record on disk and seal them; records handed out past them are
    // lost (counted). A file with none is removed.
    const std::string path = dir_ + "/" + current_.name;
    auto scan = scan_pcap_file(path, /*truncate_tail=*/true);
    if (scan && scan->packets > 0) {
      if (current_.packets > scan->packets) counters_.dropped += current_.packets - scan->packets;
      current_.packets = scan->packets;
      current_.bytes = scan->valid_bytes;
      current_.sha256 = scan->sha256;
      current_.first_ts = scan->first_ts;
      current_.last_ts = scan->last_ts;
      current_.note = "cut short: " + error;
      current_.sealed = true;
      pending_seal_ = std::make_unique<ArchiveFileInfo>(current_);
      (void)seal_pending();
    } else {
      counters_.dropped += current_.packets;
      current_.sealed = true;  // nothing of it to seal
      std::remove(path.c_str());
    }
  }
  listener_.on_archive_failed(error);
}

bool PacketArchive::seal_pending() {
  if (!pending_seal_) return true;
  if (auto s = listener_.on_archive_sealed(*pending_seal_); !s) return false;
  ++counters_.files_sealed;
  last_sealed_ = *pending_seal_;
  pending_seal_.reset();
  return true;
}

Result<PacketLocation> PacketArchive::write(int dlt, std::uint32_t snaplen, TimeNs ts,
                                            ByteView data, std::uint32_t wire_len) {
  if (verbatim_) {
    if (auto s = end_verbatim(); !s) return s.error();
  }
  if (suspended_) {
    // Once a second: seal what the failure left, then try a new file.
    if (monotonic_ms() < retry_at_ms_ || !seal_pending()) {
      retry_at_ms_ = std::max(retry_at_ms_, monotonic_ms() + 1000);
      ++counters_.dropped;
      return PacketLocation{};
    }
    suspended_ = false;
    resuming_ = true;
  }
  const std::uint64_t record = data.size() + 16;
  if (writer_ &&
      (dlt != current_dlt_ || writer_->size() + record > limits_.max_file_bytes ||
       ts - current_.first_ts >= limits_.max_file_duration_ns || data.size() > current_.snaplen)) {
    if (auto s = seal(); !s) return s.error();
  }
  if (!writer_) {
    // A frame longer than any snap length we could declare still gets archived whole.
    const std::uint32_t need = static_cast<std::uint32_t>(data.size());
    if (auto s = open_file(dlt, need > snaplen ? need : snaplen, ts); !s) {
      fail(s.error().message);
      ++counters_.dropped;
      return PacketLocation{};
    }
    if (resuming_) {
      resuming_ = false;
      listener_.on_archive_resumed(counters_.dropped.get() - dropped_at_suspend_);
    }
  }
  const std::uint64_t offset = writer_->write(ts, data, wire_len);
  if (writer_->failed()) {
    fail("write failed");  // counts this frame too if it did not reach the disk
    return PacketLocation{};
  }
  if (ts > current_.last_ts) current_.last_ts = ts;
  if (ts < current_.first_ts) current_.first_ts = ts;
  ++counters_.packets;
  counters_.bytes += record;
  return PacketLocation{current_.file_id, offset};
}

Status PacketArchive::rotate_if_old(TimeNs now) {
  if (verbatim_ || suspended_) return {};
  if (writer_ && now - current_.first_ts >= limits_.max_file_duration_ns) return seal();
  return {};
}

Status PacketArchive::flush() {
  if (writer_) {
    if (auto s = writer_->flush(); !s) fail(s.error().message);
  }
  return {};
}

Status PacketArchive::close() {
  if (verbatim_) return end_verbatim();
  Status s = seal();
  if (!seal_pending())
    return make_error(
        "archive: {} could not be sealed (no room for the manifest); the next "
        "start recovers it",
        pending_seal_->name);
  return s;
}

}  // namespace kagami::capture
