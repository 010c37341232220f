// SMB2 and SMB3 on file shares (MS-SMB2), over direct TCP (445) or the NetBIOS session service
// (139): who (the NTLMSSP user of the session setup), which share (tree connect), which files
// opened, read, written, renamed, deleted and folders listed; the content read or written is
// put together by offset into files named \\server\share\path (holes flagged partial). A
// record per file action. Reads and writes larger than a buffered message stream straight into
// their file. Encrypted SMB3 (the transform header) is flagged: what is encrypted is not
// inspected. Named pipes of IPC$ carry DCE/RPC: each call is a record of its own
// (pipe_calls.h). SMB1 (NT LM 0.12) gives the same records from its own commands.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/smb/channels.h"
#include "kagami/analyzers/smb/pipe_calls.h"
#include "kagami/base/utf8.h"
#include "kagami/wire/kerberos.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/smb1.h"
#include "kagami/wire/smb2.h"

namespace kagami::analyzers {
namespace {

using wire::Smb2FileId;
using wire::Smb2Header;
namespace smb2 = wire::smb2;

constexpr std::size_t kWholeMessageBytes = 256u << 10;  // buffered whole; larger ones stream
constexpr std::size_t kMaxMessageBytes = 16u << 20;     // SMB2 reads and writes are <= 8 MiB
constexpr std::size_t kMaxAheadBytes = 16u << 20;       // out-of-order content held per file
constexpr std::uint64_t kMaxHoleBytes = 64u << 20;      // zeros put in for what was not seen
constexpr std::size_t kMaxPending = 4096;               // requests awaiting their response
constexpr std::size_t kMaxOpenFiles = 4096;
constexpr std::size_t kMaxCompound = 64;

// A file's content read or written, put together by offset as it comes.
class Assembly {
 public:
  void add(FileSink& files, std::uint64_t offset, ByteView data) {
    if (data.empty()) return;
    // Content first met far into a file (a handle in use before the capture began) starts
    // where it is met, flagged; it is not put after that many zeros.
    if (!writer_ && ahead_.empty() && offset > next_ + kMaxHoleBytes) next_ = begins_ = offset;
    // Past a hole this large (a lying offset, or a sparse file written far out) nothing is
    // kept: the zeros between would be the file.
    if (offset > next_ + kMaxHoleBytes || offset > ~0ull - data.size()) {
      dropped_ = true;
      return;
    }
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
    partial = dropped_ || !ahead_.empty() || begins_ > 0;
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
  std::uint64_t begins_ = 0;  // the offset the kept content starts at (0: the file's start)
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
  // A handle this connection never saw opened (another channel of the session opened it, or
  // the capture began after): named when it ends, if by then some channel has said its name.
  bool orphan = false;
  std::uint64_t session = 0;
  Smb2FileId id;
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
  std::uint16_t subcommand = 0;           // SMB1 TRANSACTION(2): its setup's first word
  std::uint64_t session = 0;              // SMB2: the session it was asked in
  bool binding = false;                   // session setup: a further channel of a session
};

class SmbAnalyzer final : public Analyzer {
 public:
  SmbAnalyzer(SessionState& s, AnalyzerContext& cx)
      : s_(s),
        cx_(cx),
        channels_(cx.shared != nullptr ? &cx.shared->get<SmbChannels>() : nullptr) {}

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
        if (OpenFile* f = handle(id, h.session_id, ts, true); f != nullptr && !f->pipe)
          side.target = &f->written;
        Pending p;
        p.command = h.command;
        pending_add(h.message_id, ts, std::move(p));
      } else if (h.response() && h.command == smb2::kRead &&
                 (h.status == smb2::kStatusSuccess || h.status == smb2::kStatusBufferOverflow)) {
        data_offset = head[b + 2];
        data_length = load_le32(head.data() + b + 4);
        if (auto p = take(h)) {
          side.stream_offset = p->offset;
          if (OpenFile* f = handle(p->file, p->session, ts, true); f != nullptr && !f->pipe)
            side.target = &f->read;
        }
      }
    }
    std::size_t header_bytes = wire::kSmb2HeaderBytes;
    wire::Smb1Header h1;
    if (wire::parse_smb1_header(head, h1) && wire::smb1_commands(head, h1, smb1_commands_)) {
      header_bytes = wire::kSmb1HeaderBytes;
      const wire::Smb1Command& c = smb1_commands_.front();
      std::size_t at = 0, n = 0;
      std::uint16_t fid = 0;
      if (!h1.response() && c.command == wire::smb1::kWriteAndX &&
          dir == Direction::kClientToServer &&
          wire::smb1_write_data(c, fid, side.stream_offset, at, n)) {
        if (auto it = files_.find(smb1_file(fid)); it != files_.end() && !it->second.pipe)
          side.target = &it->second.written;
        data_offset = at;
        data_length = n;
      } else if (h1.response() && c.command == wire::smb1::kReadAndX &&
                 wire::smb1_read_data(c, at, n)) {
        if (auto it = pending_.find(smb1_key(h1, c.command)); it != pending_.end()) {
          side.stream_offset = it->second.offset;
          if (auto f = files_.find(it->second.file); f != files_.end() && !f->second.pipe)
            side.target = &f->second.read;
          pending_.erase(it);
        }
        data_offset = at;
        data_length = n;
      }
    }
    if (data_offset < header_bytes || data_offset > length || data_length > length - data_offset) {
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
        smb1_message(dir, ts, m);
        emit_calls();
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

  // A SESSION_SETUP's security blob: the NTLMSSP AUTHENTICATE's user and computer, when it
  // carries one; Kerberos hides its client in the encrypted authenticator, and only the
  // service its ticket is for is seen.
  void logon(ByteView blob) {
    const ByteView ntlm = wire::ntlmssp_in(blob);
    if (ntlm.empty()) {
      std::string service;
      if (!wire::kerberos_service_in(blob, service)) return;
      // A new logon whose client cannot be seen: not whoever logged on before.
      kerberos_ = std::move(service);
      s_.user.clear();
      workstation_.clear();
      return;
    }
    const std::string_view message(reinterpret_cast<const char*>(ntlm.data()), ntlm.size());
    std::string user = wire::sasl_user("NTLM", message, 0);
    if (user.empty()) return;
    s_.user = std::move(user);
    workstation_ = wire::ntlm_workstation(message);
    kerberos_.clear();
  }

  // The DCE/RPC calls the last message completed: who, when (the request's) and where.
  void emit_calls() {
    for (records::DceRpcRecord& r : calls_done_) {
      r.id = cx_.records->new_id<records::DceRpcRecord>();
      r.session_id = s_.session_id;
      r.endpoints = s_.endpoints;
      r.user = s_.user;
      r.workstation = workstation_;
      cx_.records->emit(std::move(r));
    }
    calls_done_.clear();
  }

  void pending_add(std::uint64_t key, TimeNs ts, Pending p) {
    if (pending_.size() >= kMaxPending) {
      // Answers that never came (a capture of one direction): the oldest request is let go.
      (void)cx_.log_once->first("smb: more requests awaiting answers than are tracked");
      pending_.erase(pending_.begin());
    }
    p.ts = ts;
    pending_[key] = std::move(p);
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
    p.session = h.session_id;
    if (h.related()) p.compound_create = last_create;
    switch (h.command) {
      case smb2::kSessionSetup: {
        ByteView blob;
        std::uint8_t flags = 0;
        if (!wire::smb2_session_setup_request(m, flags, blob)) return;
        p.binding = (flags & smb2::kSessionBinding) != 0;
        logon(blob);
        break;
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
        written(resolve(p), ts, offset, data, h.session_id);
        break;
      }
      case smb2::kIoctl: {
        wire::Smb2Ioctl io;
        if (!wire::smb2_ioctl_request(m, io) || io.code != smb2::kFsctlPipeTransceive) return;
        p.file = io.id;
        if (OpenFile* f = handle(resolve(p), h.session_id, ts, false); f != nullptr && f->calls)
          f->calls->from_client(ts, io.data, calls_done_);
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
    pending_add(h.message_id, ts, std::move(p));
  }

  void response(const Smb2Header& h, TimeNs ts, ByteView m) {
    if (h.command == smb2::kNegotiate) {
      std::uint16_t d = 0;
      std::uint32_t capabilities = 0;
      if (h.status == smb2::kStatusSuccess && wire::smb2_negotiate_response(m, d, capabilities)) {
        dialect_ = wire::smb2_dialect_name(d);
        // Only SMB 3 binds channels; an SMB 2 connection (or a server that cannot) is alone.
        alone_ = d < 0x0300 || d == 0x02FF || (capabilities & smb2::kCapMultiChannel) == 0;
      }
      return;
    }
    auto taken = take(h);
    if (!taken) return;
    Pending& p = *taken;
    const bool ok = h.status == smb2::kStatusSuccess;
    switch (p.command) {
      case smb2::kSessionSetup:
        if (ok) session_known(h.session_id, p.binding);
        return logged_on(p.ts, h.status);
      case smb2::kTreeConnect:
        if (!ok) return;
        trees_[h.tree_id] = p.name;
        if (shares()) channels_->tree(s_.server_ip, h.session_id, h.tree_id, p.name);
        return;
      case smb2::kCreate: {
        wire::Smb2Created c;
        if (!ok) return open_refused(p, h.status);
        if (!wire::smb2_create_response(m, c)) return;
        compound_ids_[h.message_id] = c.id;
        if (compound_ids_.size() > kMaxPending) compound_ids_.erase(compound_ids_.begin());
        return open_file(c.id, p);
      }
      case smb2::kRead: {
        ByteView data;
        if ((!ok && h.status != smb2::kStatusBufferOverflow) || !wire::smb2_read_response(m, data))
          return;
        read_back(resolve(p), p.offset, data, p.session, ts);
        return;
      }
      case smb2::kIoctl: {
        wire::Smb2Ioctl io;
        // A transceive whose answer is longer than the client's buffer says so and goes on in
        // READs (STATUS_BUFFER_OVERFLOW).
        if ((!ok && h.status != smb2::kStatusBufferOverflow) || !wire::smb2_ioctl_response(m, io))
          return;
        if (OpenFile* f = handle(resolve(p), p.session, ts, false); f != nullptr && f->calls)
          f->calls->from_server(io.data, calls_done_);
        return;
      }
      case smb2::kQueryDirectory:
        if (OpenFile* f = handle(resolve(p), p.session, ts, false); f != nullptr && ok)
          f->listed = true;
        return;
      case smb2::kSetInfo:
        if (ok) info_set(ts, p);
        return;
      case smb2::kClose:
        handle(resolve(p), p.session, ts, false);  // closed here, opened on another channel
        return closed(resolve(p));
      default:
        return;
    }
  }

  // Whether this connection tells the session's other channels what it learns.
  bool shares() const { return channels_ != nullptr && !alone_; }

  // A logon the server let in: told to the other channels; a channel that binds to the session
  // learns who it is from them when its own logon does not say (Kerberos).
  void session_known(std::uint64_t session, bool binding) {
    if (!shares() || session == 0) return;
    if (!binding) {
      channels_->logon(s_.server_ip, session, {s_.user, workstation_, kerberos_});
      return;
    }
    if (!s_.user.empty()) return;
    if (auto l = channels_->logon_of(s_.server_ip, session)) {
      s_.user = l->user;
      workstation_ = l->workstation;
      kerberos_ = l->kerberos;
    }
  }

  // The file behind an SMB2 handle: opened on this connection, or on another channel of its
  // session (asked once, then kept here). With `orphan`, a handle no channel has named yet
  // still gets a file, so what is read or written through it is kept; its name is asked for
  // again when it ends.
  OpenFile* handle(const Smb2FileId& id, std::uint64_t session, TimeNs ts, bool orphan) {
    if (auto it = files_.find(id); it != files_.end()) return &it->second;
    if (channels_ == nullptr || alone_ || session == 0) return nullptr;
    std::optional<SmbChannels::Name> name = channels_->file_of(s_.server_ip, session, id);
    if (!name && !orphan) return nullptr;
    if (files_.size() >= kMaxOpenFiles) {
      (void)cx_.log_once->first("smb: more files open at once than are tracked");
      return nullptr;
    }
    OpenFile& f = files_[id];
    f.ts = ts;
    f.session = session;
    f.id = id;
    if (name) {
      f.share = std::move(name->share);
      f.path = std::move(name->path);
      f.pipe = name->pipe;
      if (f.pipe) f.calls = std::make_unique<PipeCalls>(f.share + "\\" + f.path);
    } else {
      f.orphan = true;
    }
    return &f;
  }

  // A handle a CREATE (or SMB1's NT_CREATE_ANDX, OPEN_ANDX) returned for `p`.
  void open_file(const Smb2FileId& id, const Pending& p) {
    if (files_.size() >= kMaxOpenFiles) {
      (void)cx_.log_once->first("smb: more files open at once than are tracked");
      return;
    }
    OpenFile& f = files_[id];
    f.ts = p.ts;
    f.share = share_of(p.create_tree);
    if (f.share.empty() && shares()) {
      // A tree connected on another channel of the session.
      if (auto share = channels_->tree_of(s_.server_ip, p.session, p.create_tree)) {
        f.share = *share;
        trees_[p.create_tree] = std::move(*share);
      }
    }
    f.path = p.name;
    f.directory = (p.create.options & smb2::kCreateDirectory) != 0;
    f.delete_on_close = (p.create.options & smb2::kCreateDeleteOnClose) != 0;
    f.pipe = f.share.size() >= 5 && f.share.compare(f.share.size() - 5, 5, "\\IPC$") == 0;
    if (f.pipe) f.calls = std::make_unique<PipeCalls>(f.share + "\\" + f.path);
    if (shares() && p.session != 0)
      channels_->file(s_.server_ip, p.session, id, {f.share, f.path, f.pipe});
  }

  // The server's last word on a logon: in, or refused and why. An NTLMSSP or SPNEGO leg that
  // asks for more is not the end of it.
  void logged_on(TimeNs ts, std::uint32_t status) {
    if (status == smb2::kStatusMoreProcessingRequired) return;
    records::SmbRecord r = base(ts, "logon", "", "");
    if (status != smb2::kStatusSuccess) r.status = status_text(status);
    emit(std::move(r));
  }

  // An open the server refused: a record with why.
  void open_refused(const Pending& p, std::uint32_t status) {
    records::SmbRecord r = base(p.ts, "open", share_of(p.create_tree), p.name);
    r.status = status_text(status);
    emit(std::move(r));
  }

  // A rename or a delete mark the server accepted.
  void info_set(TimeNs ts, const Pending& p) {
    const Smb2FileId id = resolve(p);
    OpenFile* f = handle(id, p.session, ts, false);
    if (f == nullptr) return;
    if (!p.name.empty()) {
      records::SmbRecord r = base(ts, "rename", f->share, f->path);
      r.new_path = p.name;
      emit(std::move(r));
      f->path = p.name;
      if (shares() && p.session != 0 && !f->orphan)
        channels_->file(s_.server_ip, p.session, id, {f->share, f->path, f->pipe});
    } else if (p.delete_pending) {
      f->deleted = true;
    }
  }

  void closed(const Smb2FileId& id) {
    auto it = files_.find(id);
    if (it == files_.end()) return;
    finish_file(it->second, "");
    files_.erase(it);
  }

  // --- SMB1 (MS-CIFS): the same actions, from the NT LM 0.12 commands --------------------

  // SMB1 handles are 16-bit FIDs; kept among SMB2's with a volatile part no SMB2 server
  // makes up ("SMB1"), since one connection speaks one dialect.
  static Smb2FileId smb1_file(std::uint16_t fid) { return {fid, 0x534d423100000000ull}; }
  // A request's answer comes with the same PID and MID; each command of an AndX chain is
  // answered in the chain of the answer.
  static std::uint64_t smb1_key(const wire::Smb1Header& h, std::uint8_t command) {
    return 1ull << 63 | static_cast<std::uint64_t>(h.pid) << 24 |
           static_cast<std::uint64_t>(h.mid) << 8 | command;
  }

  void smb1_message(Direction dir, TimeNs ts, ByteView m) {
    wire::Smb1Header h;
    if (!wire::parse_smb1_header(m, h) || !wire::smb1_commands(m, h, smb1_commands_)) return;
    if (!smb1_) (void)cx_.log_once->first("smb: SMB1 read: a dialect to retire");
    smb1_ = true;
    for (const wire::Smb1Command& c : smb1_commands_) {
      if (!h.response() && dir == Direction::kClientToServer)
        smb1_request(h, ts, m, c);
      else if (h.response() && dir == Direction::kServerToClient)
        smb1_response(h, ts, m, c);
    }
  }

  void smb1_request(const wire::Smb1Header& h, TimeNs ts, ByteView m, const wire::Smb1Command& c) {
    namespace smb1 = wire::smb1;
    Pending p;
    p.command = c.command;
    p.create_tree = h.tid;
    const bool unicode = h.unicode();
    switch (c.command) {
      case smb1::kNegotiate:
        wire::smb1_negotiate_request(c, smb1_dialects_);
        return;
      case smb1::kSessionSetupAndX: {
        wire::Smb1SessionSetup setup;
        if (!wire::smb1_session_setup_request(c, unicode, setup)) return;
        if (!setup.security_blob.empty()) {
          logon(setup.security_blob);
        } else if (!setup.account.empty()) {
          s_.user = setup.domain.empty() ? setup.account : setup.domain + "\\" + setup.account;
        }
        break;
      }
      case smb1::kTreeConnectAndX:
        if (!wire::smb1_tree_connect_request(c, unicode, p.name)) return;
        break;
      case smb1::kNtCreateAndX:
        if (!wire::smb1_nt_create_request(c, unicode, p.name, p.create.options)) return;
        break;
      case smb1::kOpenAndX:
        if (!wire::smb1_open_request(c, unicode, p.name)) return;
        break;
      case smb1::kReadAndX: {
        std::uint16_t fid = 0;
        if (!wire::smb1_read_request(c, fid, p.offset)) return;
        p.file = smb1_file(fid);
        break;
      }
      case smb1::kWriteAndX: {
        std::uint16_t fid = 0;
        std::uint64_t offset = 0;
        ByteView data;
        if (!wire::smb1_write_request(m, c, fid, offset, data)) return;
        written(smb1_file(fid), ts, offset, data);
        return;
      }
      case smb1::kClose: {
        std::uint16_t fid = 0;
        if (!wire::smb1_close_request(c, fid)) return;
        p.file = smb1_file(fid);
        break;
      }
      case smb1::kDelete:
        if (!wire::smb1_delete_request(c, unicode, p.name)) return;
        break;
      case smb1::kRename:
        if (!wire::smb1_rename_request(c, unicode, p.create.name, p.name)) return;
        break;
      case smb1::kTransaction:
      case smb1::kTransaction2:
        if (!smb1_transaction(h, ts, m, c, p)) return;
        break;
      default:
        return;
    }
    pending_add(smb1_key(h, c.command), ts, std::move(p));
  }

  // TRANSACTION on a named pipe (TransactNmPipe: a DCE/RPC call); TRANSACTION2's
  // SET_FILE_INFORMATION (rename, delete mark) and FIND_FIRST2 (a listing).
  bool smb1_transaction(const wire::Smb1Header& h, TimeNs ts, ByteView m,
                        const wire::Smb1Command& c, Pending& p) {
    namespace smb1 = wire::smb1;
    wire::Smb1Transaction t;
    if (!wire::smb1_transaction_request(m, c, t) || t.setup.empty()) return false;
    p.subcommand = t.setup[0];
    if (c.command == smb1::kTransaction) {
      if (t.setup[0] != smb1::kTransactNmPipe || t.setup.size() < 2) return false;
      p.file = smb1_file(t.setup[1]);
      // A pipe's call; the same words on a file's handle write nothing into it.
      auto it = files_.find(p.file);
      if (it == files_.end() || !it->second.pipe) return false;
      written(p.file, ts, 0, t.data);
      return true;
    }
    if (t.setup[0] == smb1::kSetFileInformation && t.parameters.size() >= 4) {
      p.file = smb1_file(load_le16(t.parameters.data()));
      const std::uint16_t level = load_le16(t.parameters.data() + 2);
      if (level == smb1::kSetFileDispositionInfo || level == smb1::kPassFileDisposition) {
        p.delete_pending = !t.data.empty() && t.data[0] != 0;
        return true;
      }
      if (level == smb1::kPassFileRename && t.data.size() >= 12) {
        const std::size_t n = load_le32(t.data.data() + 8);
        if (n > t.data.size() - 12) return false;
        p.name =
            utf16le_to_utf8(std::string_view(reinterpret_cast<const char*>(t.data.data()) + 12, n));
        return true;
      }
      return false;
    }
    if (t.setup[0] == smb1::kFindFirst2 && t.parameters.size() > 12) {
      wire::Smb1Command params;
      params.bytes = t.parameters;
      params.bytes_at = static_cast<std::size_t>(t.parameters.data() - m.data());
      std::size_t at = 12;
      p.name = wire::smb1_string(params, at, h.unicode());
      return true;
    }
    return false;
  }

  void smb1_response(const wire::Smb1Header& h, TimeNs ts, ByteView m, const wire::Smb1Command& c) {
    namespace smb1 = wire::smb1;
    if (c.command == smb1::kNegotiate) {
      std::uint16_t index = 0;
      if (h.status == 0 && wire::smb1_negotiate_response(c, index) && index < smb1_dialects_.size())
        dialect_ = "SMB 1 (" + smb1_dialects_[index] + ")";
      return;
    }
    auto it = pending_.find(smb1_key(h, c.command));
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    const bool ok = h.status == smb2::kStatusSuccess;
    switch (c.command) {
      case smb1::kSessionSetupAndX:
        return logged_on(p.ts, h.status);
      case smb1::kTreeConnectAndX:
        if (ok) trees_[h.tid] = p.name;
        return;
      case smb1::kNtCreateAndX:
      case smb1::kOpenAndX: {
        std::uint16_t fid = 0;
        if (!ok) return open_refused(p, h.status);
        if (wire::smb1_created_fid(c, fid)) open_file(smb1_file(fid), p);
        return;
      }
      case smb1::kReadAndX: {
        ByteView data;
        if ((ok || h.status == smb2::kStatusBufferOverflow) && wire::smb1_read_response(m, c, data))
          read_back(p.file, p.offset, data);
        return;
      }
      case smb1::kClose:
        return closed(p.file);
      case smb1::kDelete:
        if (ok) emit(base(p.ts, "delete", share_of(p.create_tree), p.name));
        return;
      case smb1::kRename:
        if (ok) {
          records::SmbRecord r = base(p.ts, "rename", share_of(p.create_tree), p.create.name);
          r.new_path = p.name;
          emit(std::move(r));
        }
        return;
      case smb1::kTransaction: {
        wire::Smb1Transaction t;
        if ((ok || h.status == smb2::kStatusBufferOverflow) &&
            wire::smb1_transaction_response(m, c, t))
          read_back(p.file, 0, t.data);
        return;
      }
      case smb1::kTransaction2:
        if (!ok) return;
        if (p.subcommand == smb1::kSetFileInformation) return info_set(ts, p);
        if (p.subcommand == smb1::kFindFirst2) {
          // The pattern's folder ("\\dir\\*": \\dir) is what was listed.
          std::string folder = p.name;
          folder.resize(std::min(folder.size(), folder.find_last_of('\\')));
          emit(base(p.ts, "listing", share_of(p.create_tree), folder));
        }
        return;
      default:
        return;
    }
  }

  // Bytes the client wrote to a handle at `offset`: a file's content, or a pipe's calls.
  // `session`: SMB2's (0 for SMB1, whose handles are this connection's alone).
  void written(const Smb2FileId& id, TimeNs ts, std::uint64_t offset, ByteView data,
               std::uint64_t session = 0) {
    OpenFile* f = handle(id, session, ts, true);
    if (f == nullptr) return;
    if (!f->pipe)
      f->written.add(*cx_.files, offset, data);
    else if (f->calls)
      f->calls->from_client(ts, data, calls_done_);
  }

  // Bytes the server answered a read of a handle with.
  void read_back(const Smb2FileId& id, std::uint64_t offset, ByteView data,
                 std::uint64_t session = 0, TimeNs ts = 0) {
    OpenFile* f = handle(id, session, ts, true);
    if (f == nullptr) return;
    if (!f->pipe)
      f->read.add(*cx_.files, offset, data);
    else if (f->calls)
      f->calls->from_server(data, calls_done_);
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
    r.workstation = workstation_;
    r.kerberos = kerberos_;
    r.dialect = dialect_;
    r.action = action;
    r.share = share;
    r.path = path;
    return r;
  }

  void emit(records::SmbRecord r) { cx_.records->emit(std::move(r)); }

  // A file closed (or left open at the end): its record, and its content read and written.
  void finish_file(OpenFile& f, const char* note) {
    if (f.orphan) {
      // By now another channel may have said what it is.
      if (auto name = channels_->file_of(s_.server_ip, f.session, f.id)) {
        f.share = std::move(name->share);
        f.path = std::move(name->path);
        f.pipe = name->pipe;
        note = "opened on another channel of the session";
      } else {
        char id[64];
        std::snprintf(id, sizeof id, "<handle %016llx-%016llx>",
                      static_cast<unsigned long long>(f.id.persistent),
                      static_cast<unsigned long long>(f.id.volatile_id));
        f.path = id;
        note = "its open was not seen (before the capture, or on a channel not captured)";
      }
      if (f.pipe) return;  // a pipe's calls, not a file's content
    }
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
  SmbChannels* channels_;  // what the session's other connections learn; null: none
  bool alone_ = false;     // SMB 2, or a server that binds no channels
  Side sides_[2];
  std::string dialect_;
  std::string workstation_;  // the client's computer, as its NTLMSSP logon names it
  std::string kerberos_;     // the service a Kerberos logon's ticket is for
  std::map<std::uint32_t, std::string> trees_;
  std::map<std::uint64_t, Pending> pending_;
  std::map<std::uint64_t, Smb2FileId> compound_ids_;  // a CREATE's message id: its handle
  std::map<Smb2FileId, OpenFile> files_;
  std::vector<records::DceRpcRecord> calls_done_;
  std::vector<wire::Smb1Command> smb1_commands_;
  std::vector<std::string> smb1_dialects_;
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
