#include "kagami/capture/packet_archive.h"

#include <cstdio>

#include "kagami/capture/pcap_format.h"

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
    auto s = end_verbatim();
    return s ? make_error("verbatim archive copy failed") : s.error();
  }
  return PacketLocation{current_.file_id, record_offset};
}

Status PacketArchive::end_verbatim() {
  if (!verbatim_) return {};
  current_.bytes = verbatim_->size();
  auto digest = verbatim_->close();
  verbatim_.reset();
  current_dlt_ = -1;
  if (!digest) return digest.error();
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
  current_.bytes = writer_->size();
  counters_.write_stalls += writer_->stalls();
  auto digest = writer_->close();
  writer_.reset();
  current_dlt_ = -1;
  if (!digest) return digest.error();
  current_.sha256 = digest.value();
  current_.sealed = true;
  ++counters_.files_sealed;
  last_sealed_ = current_;
  return listener_.on_archive_sealed(current_);
}

Result<PacketLocation> PacketArchive::write(int dlt, std::uint32_t snaplen, TimeNs ts,
                                            ByteView data, std::uint32_t wire_len) {
  if (verbatim_) {
    if (auto s = end_verbatim(); !s) return s.error();
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
    if (auto s = open_file(dlt, need > snaplen ? need : snaplen, ts); !s) return s.error();
  }
  const std::uint64_t offset = writer_->write(ts, data, wire_len);
  if (writer_->failed()) {
    if (auto s = writer_->flush(); !s) return s.error();
  }
  if (ts > current_.last_ts) current_.last_ts = ts;
  if (ts < current_.first_ts) current_.first_ts = ts;
  ++counters_.packets;
  counters_.bytes += record;
  return PacketLocation{current_.file_id, offset};
}

Status PacketArchive::rotate_if_old(TimeNs now) {
  if (verbatim_) return {};
  if (writer_ && now - current_.first_ts >= limits_.max_file_duration_ns) return seal();
  return {};
}

Status PacketArchive::flush() {
  if (writer_) return writer_->flush();
  return {};
}

Status PacketArchive::close() {
  if (verbatim_) return end_verbatim();
  return seal();
}

}  // namespace kagami::capture
