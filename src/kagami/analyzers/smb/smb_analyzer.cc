// SMB2 and SMB3 on file shares (MS-SMB2), over direct TCP (445) or the NetBIOS session service
// (139): who (the NTLMSSP user of the session setup), which share (tree connect), which files
// opened, read, written, renamed, deleted and folders listed; the content read or written is
// put together by offset into files named \\server\share\path (holes flagged partial). A
// record per file action. Reads and writes larger than a buffered message stream straight into
// their file. Encrypted SMB3 (the transform header) is flagged: what is encrypted is not
// inspected. Named pipes of IPC$ carry DCE/RPC: each call is a record of its own
// (pipe_calls.h). SMB1 is recognized and flagged, not yet read.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/smb/pipe_calls.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/smb2.h"

namespace kagami::analyzers {
namespace {

using wire::Smb2FileId;
using wire::Smb2Header;
namespace smb2 = wire::smb2;

constexpr std::size_t kWholeMessageBytes = 256u << 10;  // buffered whole; larger ones stream
constexpr std::size_t kMaxMessageBytes = 16u << 20;     // SMB2 reads and writes are <= 8 MiB
constexpr std::size_t kMaxAheadBytes = 16u << 20;       // out-of-order content held per file
constexpr std::size_t kMaxPending = 4096;               // requests awaiting their response
constexpr std::size_t kMaxOpenFiles = 4096;
constexpr std::size_t kMaxCompound = 64;

// A file's content read or written, put together by offset as it comes.
class Assembly {
 public:
  void add(FileSink& files, std::uint64_t offset, ByteView data) {
    if (data.empty()) return;
    if (!writer_) writer_ = files.open();
    bytes_ += data.size();
    if (offset < next_) {
      // Read again (or overlapping): only what lies past what was written counts.
      if (offset + data.size() <= next_) return;
      data = data.subspan(static_cast<std::size_t>(next_ - offset));
      offset = next_;
    }
    if (offset > next_) {
      if (ahead_bytes_ + data.size() > kMaxAheadBytes) {
        dropped_ = true;
        return;
      }
      ahead_bytes_ += data.size();
      ahead_[offset].assign(data.begin(), data.end());
      return;
    }
    writer_->write(data);
    next_ += data.size();
    drain();
  }
  bool empty() const { return writer_ == nullptr; }
  std::uint64_t bytes() const { return bytes_; }
  // What came, with the holes between it zero-filled (and flagged).
  records::FileRecord finish(bool& partial) {
    partial = dropped_ || !ahead_.empty();
    static const std::vector<std::uint8_t> zeros(64u << 10, 0);
    for (auto& [offset, data] : ahead_) {
      while (next_ < offset) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), offset - next_));
        writer_->write(ByteView(zeros.data(), n));
        next_ += n;
      }
      if (offset + data.size() > next_) {
        const auto skip = static_cast<std::size_t>(next_ - offset);
        writer_->write(ByteView(data.data() + skip, data.size() - skip));
        next_ = offset + data.size();
      }
    }
    ahead_.clear();
    records::FileRecord f = writer_->finish();
    writer_.reset();
    return f;
  }

 private:
  void drain() {
    while (!ahead_.empty() && ahead_.begin()->first <= next_) {
      auto it = ahead_.begin();
      const std::uint64_t offset = it->first;
      std::vector<std::uint8_t> data = std::move(it->second);
      ahead_bytes_ -= data.size();
      ahead_.erase(it);
      if (offset + data.size() > next_) {
        const auto skip = static_cast<std::size_t>(next_ - offset);
        writer_->write(ByteView(data.data() + skip, data.size() - skip));
        next_ = offset + data.size();
      }
    }
  }

  std::unique_ptr<FileWriter> writer_;
  std::uint64_t next_ = 0, bytes_ = 0;
  std::map<std::uint64_t, std::vector<std::uint8_t>> ahead_;
  std::size_t ahead_bytes_ = 0;
  bool dropped_ = false;
};

struct OpenFile {
  TimeNs ts = 0;
  std::string share, path;
  bool directory = false, listed = false, delete_on_close = false, deleted = false;
  bool pipe = false;                 // a named pipe of IPC$: DCE/RPC calls, not a file's content
  std::unique_ptr<PipeCalls> calls;  // a pipe's
  Assembly read, written;
};

// A request awaiting its response.
struct Pending {
  std::uint16_t command = 0;
  TimeNs ts = 0;
  std::string name;  // tree connect: the share; create: the file
  wire::Smb2Create create;
  Smb2FileId file;
  std::uint64_t offset = 0;               // read
  std::uint64_t compound_create = ~0ull;  // a related request's CREATE (its message id)
  std::uint32_t create_tree = 0;          // create: the tree it opens in
  bool delete_pending = false;            // set info: a delete mark
};

class SmbAnalyzer final : public Analyzer {
 public:
  SmbAnalyzer(SessionState& s, AnalyzerContext& cx) : s_(s), cx_(cx) {}

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    Side& side = sides_[dir == Direction::kClientToServer ? 0 : 1];
    std::size_t used = 0;
    while (used < bytes.size()) {
      if (side.stopped) return {bytes.size(), 0};
      const std::size_t avail = bytes.size() - used;
      if (side.skip > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(side.skip, avail));
        side.skip -= n;
        used += n;
        continue;
      }
      if (side.stream_left > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(side.stream_left, avail));
        if (side.target != nullptr)
          side.target->add(*cx_.files, side.stream_offset, bytes.subspan(used, n));
        side.stream_offset += n;
        side.stream_left -= n;
        used += n;
        if (side.stream_left == 0) side.skip = side.after_stream;
        continue;
      }
      wire::NbssHeader nb;
      if (!wire::parse_nbss_header(bytes.subspan(used), nb)) return {used, wire::kNbssHeaderBytes};
      if (nb.type != 0) {  // session request, keepalive, ...: no SMB inside
        side.skip = nb.length;
        used += wire::kNbssHeaderBytes;
        continue;
      }
      if (nb.length > kMaxMessageBytes) {
        violation(side, "an SMB message longer than any read or write");
        return {bytes.size(), 0};
      }
      const std::size_t whole = wire::kNbssHeaderBytes + nb.length;
      if (nb.length <= kWholeMessageBytes) {
        if (avail < whole) return {used, whole};
        message(dir, ts, bytes.subspan(used + wire::kNbssHeaderBytes, nb.length));
        used += whole;
        continue;
      }
      // A large message: a read's answer or a write, streamed into its file.
      constexpr std::size_t kFixed = wire::kNbssHeaderBytes + wire::kSmb2HeaderBytes + 48;
      if (avail < kFixed) return {used, kFixed};
      const std::size_t prefix = large_message(
          side, dir, ts,
          bytes.subspan(used + wire::kNbssHeaderBytes, kFixed - wire::kNbssHeaderBytes), nb.length);
      used += wire::kNbssHeaderBytes + prefix;
    }
    return {used, 0};
  }

  void on_gap(Direction dir, TimeNs, std::uint64_t) override {
    // Message boundaries are lost: what was open is kept as it is, flagged.
    Side& side = sides_[dir == Direction::kClientToServer ? 0 : 1];
    gap_ = true;
    side.stopped = true;
  }

  void on_end(Direction, TimeNs) override {}

  void on_close(TimeNs) override {
    for (auto& [id, f] : files_) finish_file(f, "session ended before the file was closed");
    files_.clear();
  }

 private:
  struct Side {
    bool stopped = false;
    std::uint64_t skip = 0;
    std::uint64_t stream_left = 0, stream_offset = 0, after_stream = 0;
    Assembly* target = nullptr;
  };

  void violation(Side& side, const char* what) {
    ++cx_.counters->violations;
    s_.analyzer_violation = true;
    (void)cx_.log_once->first(std::string("smb: ") + what);
    side.stopped = true;
  }

  // Returns how many of the message's bytes were used (the rest streams or is skipped).
  std::size_t large_message(Side& side, Direction dir, TimeNs ts, ByteView head,
                            std::size_t length) {
    Smb2Header h;
    side.target = nullptr;
    std::size_t data_offset = 0;
    std::uint64_t data_length = 0;
    if (wire::parse_smb2_header(head, h) && h.next_command == 0) {
      const std::size_t b = wire::kSmb2HeaderBytes;
      if (!h.response() && h.command == smb2::kWrite && dir == Direction::kClientToServer) {
        data_offset = load_le16(head.data() + b + 2);
        data_length = load_le32(head.data() + b + 4);
        side.stream_offset = static_cast<std::uint64_t>(load_le32(head.data() + b + 8)) |
                             static_cast<std::uint64_t>(load_le32(head.data() + b + 12)) << 32;
        const Smb2FileId id{static_cast<std::uint64_t>(load_le32(head.data() + b + 16)) |
                                static_cast<std::uint64_t>(load_le32(head.data() + b + 20)) << 32,
                            static_cast<std::uint64_t>(load_le32(head.data() + b + 24)) |
                                static_cast<std::uint64_t>(load_le32(head.data() + b + 28)) << 32};
        if (auto it = files_.find(id); it != files_.end() && !it->second.pipe)
          side.target = &it->second.written;
        Pending p;
        p.command = h.command;
        pending_add(h, ts, std::move(p));
      } else if (h.response() && h.command == smb2::kRead &&
                 (h.status == smb2::kStatusSuccess || h.status == smb2::kStatusBufferOverflow)) {
        data_offset = head[b + 2];
        data_length = load_le32(head.data() + b + 4);
        if (auto p = take(h)) {
          side.stream_offset = p->offset;
          if (auto it = files_.find(p->file); it != files_.end() && !it->second.pipe)
            side.target = &it->second.read;
        }
      }
    }
    if (data_offset < wire::kSmb2HeaderBytes || data_offset > length ||
        data_length > length - data_offset) {
      side.skip = length;
      return 0;
    }
    side.skip = data_offset;  // the header and the body before the data
    side.stream_left = data_length;
    side.after_stream = length - data_offset - data_length;
    (void)ts;
    return 0;
  }

  void message(Direction dir, TimeNs ts, ByteView m) {
    switch (wire::smb_message_kind(m)) {
      case wire::SmbMessage::kSmb2:
        break;
      case wire::SmbMessage::kTransform:
        // SMB3 encryption (MS-SMB2 2.2.41): the session's content is not visible.
        if (!s_.encrypted)
          (void)cx_.log_once->first("smb: encrypted SMB3 sessions are not inspected");
        s_.encrypted = true;
        return;
      case wire::SmbMessage::kSmb1:
        if (!smb1_) (void)cx_.log_once->first("smb: SMB1 is recognized, not yet read");
        smb1_ = true;
        return;
      case wire::SmbMessage::kCompressed:
      case wire::SmbMessage::kUnknown:
        return;
    }
    // A compound: each header says where the next one starts (MS-SMB2 3.2.4.1.4).
    std::size_t at = 0;
    std::uint64_t last_create = ~0ull;
    for (std::size_t n = 0; n < kMaxCompound && at < m.size(); ++n) {
      Smb2Header h;
      ByteView rest = m.subspan(at);
      if (!wire::parse_smb2_header(rest, h)) return;
      ByteView one =
          h.next_command != 0 && h.next_command <= rest.size() ? rest.first(h.next_command) : rest;
      if (dir == Direction::kClientToServer && !h.response())
        request(h, ts, one, last_create);
      else if (h.response())
        response(h, ts, one);
      emit_calls();
      if (h.command == smb2::kCreate) last_create = h.message_id;
      if (h.next_command == 0 || h.next_command > rest.size() ||
          h.next_command < wire::kSmb2HeaderBytes)
        return;
      at += h.next_command;
    }
  }

  // The DCE/RPC calls the last message completed: who, when (the request's) and where.
  void emit_calls() {
    for (records::DceRpcRecord& r : calls_done_) {
      r.id = cx_.records->new_id<records::DceRpcRecord>();
      r.session_id = s_.session_id;
      r.endpoints = s_.endpoints;
      r.user = s_.user;
      cx_.records->emit(std::move(r));
    }
    calls_done_.clear();
  }

  void pending_add(const Smb2Header& h, TimeNs ts, Pending p) {
    if (pending_.size() >= kMaxPending) {
      // Answers that never came (a capture of one direction): the oldest request is let go.
      (void)cx_.log_once->first("smb: more requests awaiting answers than are tracked");
      pending_.erase(pending_.begin());
    }
    p.ts = ts;
    pending_[h.message_id] = std::move(p);
  }

  std::optional<Pending> take(const Smb2Header& h) {
    // An interim answer (STATUS_PENDING, async) leaves the request waiting for the final one.
    if (h.status == smb2::kStatusPending) return std::nullopt;
    auto it = pending_.find(h.message_id);
    if (it == pending_.end()) return std::nullopt;
    Pending p = std::move(it->second);
    pending_.erase(it);
    return p;
  }

  Smb2FileId resolve(const Pending& p) const {
    if (!p.file.from_compound()) return p.file;
    auto it = compound_ids_.find(p.compound_create);
    return it == compound_ids_.end() ? p.file : it->second;
  }

  void request(const Smb2Header& h, TimeNs ts, ByteView m, std::uint64_t last_create) {
    Pending p;
    p.command = h.command;
    if (h.related()) p.compound_create = last_create;
    switch (h.command) {
      case smb2::kSessionSetup: {
        ByteView blob;
        if (!wire::smb2_session_setup_request(m, blob)) return;
        const ByteView ntlm = wire::ntlmssp_in(blob);
        if (ntlm.empty()) return;
        std::string user = wire::sasl_user(
            "NTLM", std::string_view(reinterpret_cast<const char*>(ntlm.data()), ntlm.size()), 0);
        if (!user.empty()) s_.user = user;
        return;
      }
      case smb2::kTreeConnect:
        if (!wire::smb2_tree_connect_request(m, p.name)) return;
        break;
      case smb2::kCreate:
        if (!wire::smb2_create_request(m, p.create)) return;
        p.name = p.create.name;
        p.create_tree = h.tree_id;
        break;
      case smb2::kRead: {
        std::uint32_t length = 0;
        if (!wire::smb2_read_request(m, p.file, p.offset, length)) return;
        break;
      }
      case smb2::kWrite: {
        ByteView data;
        std::uint64_t offset = 0;
        if (!wire::smb2_write_request(m, p.file, offset, data)) return;
        const Smb2FileId id = resolve(p);
        if (auto it = files_.find(id); it != files_.end() && !it->second.pipe)
          it->second.written.add(*cx_.files, offset, data);
        else if (it != files_.end() && it->second.calls)
          it->second.calls->from_client(ts, data, calls_done_);
        break;
      }
      case smb2::kIoctl: {
        wire::Smb2Ioctl io;
        if (!wire::smb2_ioctl_request(m, io) || io.code != smb2::kFsctlPipeTransceive) return;
        p.file = io.id;
        if (auto it = files_.find(resolve(p)); it != files_.end() && it->second.calls)
          it->second.calls->from_client(ts, io.data, calls_done_);
        break;
      }
      case smb2::kClose:
        if (!wire::smb2_close_request(m, p.file)) return;
        break;
      case smb2::kQueryDirectory: {
        std::string pattern;
        if (!wire::smb2_query_directory_request(m, p.file, pattern)) return;
        break;
      }
      case smb2::kSetInfo: {
        wire::Smb2SetInfo si;
        if (!wire::smb2_set_info_request(m, si)) return;
        p.file = si.id;
        p.name = si.rename_to;
        p.delete_pending = si.delete_pending;
        break;
      }
      default:
        return;
    }
    pending_add(h, ts, std::move(p));
  }

  void response(const Smb2Header& h, TimeNs ts, ByteView m) {
    if (h.command == smb2::kNegotiate) {
      std::uint16_t d = 0;
      if (h.status == smb2::kStatusSuccess && wire::smb2_negotiate_response(m, d))
        dialect_ = wire::smb2_dialect_name(d);
      return;
    }
    auto taken = take(h);
    if (!taken) return;
    Pending& p = *taken;
    const bool ok = h.status == smb2::kStatusSuccess;
    switch (p.command) {
      case smb2::kTreeConnect:
        if (ok) trees_[h.tree_id] = p.name;
        return;
      case smb2::kCreate: {
        wire::Smb2Created c;
        if (!ok || !wire::smb2_create_response(m, c)) {
          if (!ok) {
            records::SmbRecord r = base(p.ts, "open", share_of(p.create_tree), p.name);
            r.status = status_text(h.status);
            emit(std::move(r));
          }
          return;
        }
        compound_ids_[h.message_id] = c.id;
        if (compound_ids_.size() > kMaxPending) compound_ids_.erase(compound_ids_.begin());
        if (files_.size() >= kMaxOpenFiles) {
          (void)cx_.log_once->first("smb: more files open at once than are tracked");
          return;
        }
        OpenFile& f = files_[c.id];
        f.ts = p.ts;
        f.share = share_of(p.create_tree);
        f.path = p.name;
        f.directory = (p.create.options & smb2::kCreateDirectory) != 0;
        f.delete_on_close = (p.create.options & smb2::kCreateDeleteOnClose) != 0;
        f.pipe = f.share.size() >= 5 && f.share.compare(f.share.size() - 5, 5, "\\IPC$") == 0;
        if (f.pipe) f.calls = std::make_unique<PipeCalls>(f.share + "\\" + f.path);
        return;
      }
      case smb2::kRead: {
        ByteView data;
        if ((!ok && h.status != smb2::kStatusBufferOverflow) || !wire::smb2_read_response(m, data))
          return;
        if (auto it = files_.find(resolve(p)); it != files_.end() && !it->second.pipe)
          it->second.read.add(*cx_.files, p.offset, data);
        else if (it != files_.end() && it->second.calls)
          it->second.calls->from_server(data, calls_done_);
        return;
      }
      case smb2::kIoctl: {
        wire::Smb2Ioctl io;
        // A transceive whose answer is longer than the client's buffer says so and goes on in
        // READs (STATUS_BUFFER_OVERFLOW).
        if ((!ok && h.status != smb2::kStatusBufferOverflow) || !wire::smb2_ioctl_response(m, io))
          return;
        if (auto it = files_.find(resolve(p)); it != files_.end() && it->second.calls)
          it->second.calls->from_server(io.data, calls_done_);
        return;
      }
      case smb2::kQueryDirectory:
        if (auto it = files_.find(resolve(p)); it != files_.end() && ok) it->second.listed = true;
        return;
      case smb2::kSetInfo: {
        if (!ok) return;
        auto it = files_.find(resolve(p));
        if (it == files_.end()) return;
        if (!p.name.empty()) {
          records::SmbRecord r = base(ts, "rename", it->second.share, it->second.path);
          r.new_path = p.name;
          emit(std::move(r));
          it->second.path = p.name;
        } else if (p.delete_pending) {
          it->second.deleted = true;
        }
        return;
      }
      case smb2::kClose: {
        auto it = files_.find(resolve(p));
        if (it == files_.end()) return;
        finish_file(it->second, "");
        files_.erase(it);
        return;
      }
      default:
        return;
    }
  }

  std::string share_of(std::uint32_t tree) const {
    auto it = trees_.find(tree);
    return it == trees_.end() ? std::string() : it->second;
  }

  records::SmbRecord base(TimeNs ts, const char* action, const std::string& share,
                          const std::string& path) {
    records::SmbRecord r;
    r.id = cx_.records->new_id<records::SmbRecord>();
    r.session_id = s_.session_id;
    r.endpoints = s_.endpoints;
    r.ts = ts;
    r.user = s_.user;
    r.dialect = dialect_;
    r.action = action;
    r.share = share;
    r.path = path;
    return r;
  }

  void emit(records::SmbRecord r) { cx_.records->emit(std::move(r)); }

  // A file closed (or left open at the end): its record, and its content read and written.
  void finish_file(OpenFile& f, const char* note) {
    if (f.calls) {
      f.calls->finish(calls_done_);
      if (f.calls->violated())
        (void)cx_.log_once->first("smb: a named pipe carried something other than DCE/RPC");
      emit_calls();
    }
    const char* action = f.deleted || f.delete_on_close ? "delete"
                         : !f.written.empty()           ? "write"
                         : !f.read.empty()              ? "read"
                         : f.listed                     ? "listing"
                                                        : "open";
    records::SmbRecord r = base(f.ts, action, f.share, f.path);
    r.bytes_read = f.read.bytes();
    r.bytes_written = f.written.bytes();
    const std::string name = f.share + (f.path.empty() || f.path[0] == '\\' ? "" : "\\") + f.path;
    for (const bool write : {false, true}) {
      Assembly& a = write ? f.written : f.read;
      if (a.empty()) continue;
      bool partial = false;
      records::FileRecord file = a.finish(partial);
      records::FileEvent e;
      e.id = cx_.records->new_file_event_id();
      e.session_id = s_.session_id;
      e.endpoints = s_.endpoints;
      e.ts = f.ts;
      e.protocol = "smb";
      e.record_kind = "smb";
      e.record_id = r.id;
      e.field = "file";
      e.name = name;
      e.direction = write ? "sent" : "received";
      e.partial = partial || gap_ || *note != '\0';
      if (partial) e.note = "parts of the file were not read or written";
      if (*note != '\0') e.note += (e.note.empty() ? "" : "; ") + std::string(note);
      r.sha256 = file.sha256;
      ++cx_.counters->files;
      cx_.counters->file_bytes += file.size;
      cx_.records->emit(std::move(file), std::move(e));
    }
    emit(std::move(r));
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  Side sides_[2];
  std::string dialect_;
  std::map<std::uint32_t, std::string> trees_;
  std::map<std::uint64_t, Pending> pending_;
  std::map<std::uint64_t, Smb2FileId> compound_ids_;  // a CREATE's message id: its handle
  std::map<Smb2FileId, OpenFile> files_;
  std::vector<records::DceRpcRecord> calls_done_;
  bool smb1_ = false, gap_ = false;
};

// A NetBIOS session message holding an SMB message, or a session request (139).
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const ByteView c = in.c2s;
  if (c.size() < 8)
    return c.empty() || c[0] == 0x00 || c[0] == 0x81 ? Verdict::kMaybe : Verdict::kNo;
  if (c[0] == 0x81)
    return in.server_port == 139 ? Verdict::kYes : Verdict::kMaybe;  // session request
  if (c[0] != 0x00) return Verdict::kNo;
  return wire::smb_message_kind(c.subspan(4)) != wire::SmbMessage::kUnknown ? Verdict::kYes
                                                                            : Verdict::kNo;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<SmbAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kSmbAnalyzer{"smb", detect, create};

}  // namespace kagami::analyzers
