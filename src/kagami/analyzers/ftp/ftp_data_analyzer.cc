// FTP data connections: a connection announced on a control connection (see ftp_analyzer.cc,
// and ExpectedConnections in context.h) carries one file or listing; its bytes become a file named
// by the transfer command, linked to that command's record. Recognized by the announcement, never
// by content.
#include <memory>
#include <string>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/ftp/ftp_data_channel.h"

namespace kagami::analyzers {
namespace {

// The last path segment of a RETR/STOR argument: the file's name.
std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class FtpDataAnalyzer final : public Analyzer {
 public:
  FtpDataAnalyzer(SessionState& s, AnalyzerContext& cx) : s_(s), cx_(cx) {}
  ~FtpDataAnalyzer() override { finish(); }

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    if (!writer_ && !finished_) {
      writer_ = cx_.files->open();
      ts_ = ts;
      dir_ = dir;
      // The server sends (or accepts) data only after the transfer command: it is known
      // now, before a later command can announce the same port again.
      known_ = take();
    }
    if (dir != dir_) {
      // Data flows one way; bytes the other way are not part of the file.
      if (!other_way_) (void)cx_.log_once->first("ftp-data: bytes in both directions");
      other_way_ = true;
    } else if (writer_) {
      writer_->write(bytes);
    }
    return {bytes.size(), 0};
  }
  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    (void)ts;
    (void)bytes;
    if (writer_ && dir == dir_) gap_ = true;
  }
  void on_end(Direction dir, TimeNs ts) override {
    (void)ts;
    if (writer_ && dir == dir_) finish();
  }
  void on_close(TimeNs ts) override {
    (void)ts;
    finish();
  }

 private:
  void finish() {
    if (!writer_) return;
    records::FileRecord file = writer_->finish();
    writer_.reset();
    finished_ = true;
    if (!known_) known_ = take();  // another worker may have seen the command late
    const bool known = known_;
    const FtpTransfer& t = transfer_;
    records::FileEvent e;
    e.id = cx_.records->new_file_event_id();
    e.session_id = s_.session_id;
    e.endpoints = s_.endpoints;
    e.ts = ts_;
    e.protocol = "ftp";
    e.record_kind = "ftp";
    e.partial = gap_;
    if (gap_) e.note = "gap in the data connection";
    if (known) {
      e.direction = t.direction;
      e.name = base_name(t.file_name);
      e.field =
          t.command == "LIST" || t.command == "NLST" || t.command == "MLSD" ? "listing" : "file";
      e.record_id = t.control_record;
      if (s_.user.empty()) s_.user = t.user;
    } else {
      // The command was not seen (capture started late, or its reply is still on its way):
      // the bytes are kept all the same.
      e.field = "file";
      e.note += e.note.empty() ? "transfer command not seen" : "; transfer command not seen";
    }
    ++cx_.counters->files;
    cx_.counters->file_bytes += file.size;
    cx_.records->emit(std::move(file), std::move(e));
  }

  bool take() {
    auto* channel = dynamic_cast<FtpDataChannel*>(s_.expected ? s_.expected->state.get() : nullptr);
    return channel != nullptr && channel->take(s_.client_port, s_.server_port, transfer_);
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  std::unique_ptr<FileWriter> writer_;
  FtpTransfer transfer_;
  bool known_ = false, finished_ = false;
  Direction dir_ = Direction::kClientToServer;
  TimeNs ts_ = 0;
  bool gap_ = false, other_way_ = false;
};

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<FtpDataAnalyzer>(s, cx);
}

}  // namespace

// Never recognized by its bytes: only an announcement on a control connection starts it.
extern const AnalyzerSpec kFtpDataAnalyzer{"ftp-data", nullptr, create};

}  // namespace kagami::analyzers
