#include "kagami/capture/archive_source.h"

namespace kagami::capture {

NextStatus ArchiveSource::next(RawPacket& out) {
  for (;;) {
    if (current_) {
      const NextStatus st = current_->next(out);
      if (st == NextStatus::kPacket) {
        out.link_type = current_->link_type();
        // The reader knows each record's offset while the file is whole records; a sealed
        // file is, unless damaged since (which verify reports): a packet past damage has no
        // place to point at (offset kNoOffset): it is analysed, not archived again.
        out.archived = PacketLocation{current_id_, out.file_offset};
        return st;
      }
      if (st == NextStatus::kError) {
        error_ = current_->name() + ": " + current_->error();
        return st;
      }
      if (st == NextStatus::kTimeout) return st;
      const SourceStats s = current_->stats();
      done_.received += s.received;
      done_.resyncs += s.resyncs;
      done_.skipped_bytes += s.skipped_bytes;
      current_.reset();
    }
    if (at_ >= files_.size()) return NextStatus::kEnd;
    const File& f = files_[at_++];
    auto opened = PcapFileSource::open(f.path);
    if (!opened) {
      error_ = opened.error().message;
      return NextStatus::kError;
    }
    current_ = std::move(opened.value());
    current_id_ = f.file_id;
  }
}

SourceStats ArchiveSource::stats() const {
  SourceStats s = done_;
  if (current_) {
    const SourceStats c = current_->stats();
    s.received += c.received;
    s.resyncs += c.resyncs;
    s.skipped_bytes += c.skipped_bytes;
  }
  return s;
}

}  // namespace kagami::capture
