// FTP control connections (RFC 959, RFC 2428): every command with its final reply, the user,
// and the data connections announced (PORT, EPRT, PASV, EPSV) with the transfer each is for,
// so that the data connection's bytes become a file with its name (ftp_data_analyzer.cc).
// AUTH TLS hands the rest of the session to detection.
#include <deque>
#include <memory>
#include <string>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/ftp/ftp_data_channel.h"
#include "kagami/analyzers/line_analyzer.h"
#include "kagami/wire/ftp_address.h"
#include "kagami/wire/text_line.h"

namespace kagami::analyzers {
namespace {

constexpr std::size_t kMaxArg = 1024;  // of a command argument kept in the record

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

bool is_transfer(std::string_view cmd) {
  return cmd == "RETR" || cmd == "STOR" || cmd == "STOU" || cmd == "APPE" || cmd == "LIST" ||
         cmd == "NLST" || cmd == "MLSD";
}

class FtpAnalyzer final : public LineAnalyzer {
 public:
  FtpAnalyzer(SessionState& s, AnalyzerContext& cx) : LineAnalyzer(s, cx, "ftp") {}

  ~FtpAnalyzer() override { flush(); }

  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    (void)bytes;
    now_ = ts;
    resync(dir);
    if (dir == Direction::kServerToClient) in_multiline_ = false;
  }

  void on_end(Direction dir, TimeNs ts) override {
    (void)dir;
    now_ = ts;
  }

  void on_close(TimeNs ts) override {
    now_ = ts;
    flush();
  }

 private:
  struct Pending {
    records::FtpRecord rec;
  };

  void line(Direction dir, std::string_view text) override {
    if (dir == Direction::kClientToServer)
      command(text);
    else
      reply_line(text);
  }

  void command(std::string_view line) {
    std::string_view arg;
    const std::string verb = upper(wire::first_word(line, &arg));
    if (verb.empty()) return;
    Pending p;
    p.rec.id = cx_.records->new_id<records::FtpRecord>();
    p.rec.session_id = s_.session_id;
    p.rec.endpoints = s_.endpoints;
    p.rec.ts = now_;
    p.rec.command = verb.substr(0, 16);
    p.rec.arg = std::string(arg.substr(0, kMaxArg));
    if (verb == "USER") {
      s_.user = p.rec.arg;
    } else if (verb == "PASS") {
      p.rec.arg = p.rec.arg.empty() ? "" : "********";  // never kept
    } else if (verb == "PORT" || verb == "EPRT") {
      auto a = verb == "PORT" ? wire::parse_ftp_host_port(arg) : wire::parse_ftp_eprt(arg);
      if (a) {
        announce(a->ip, a->port, p.rec);
      } else {
        violation("unreadable PORT/EPRT");
      }
    } else if (is_transfer(verb)) {
      FtpTransfer t;
      t.control_record = p.rec.id;
      t.data_port = data_port_;
      t.command = verb;
      t.file_name = p.rec.arg;
      t.direction = verb == "RETR" || verb == "LIST" || verb == "NLST" || verb == "MLSD"
                        ? "received"
                        : "sent";
      t.user = s_.user;
      t.ts = now_;
      if (!channel()->queue(std::move(t))) violation("more transfers waiting than kept");
    }
    if (p.rec.user.empty()) p.rec.user = s_.user;
    if (pending_.size() >= cx_.limits->max_pipelined_requests) {
      emit(pending_.front());
      pending_.pop_front();
    }
    pending_.push_back(std::move(p));
  }

  FtpDataChannel* channel() {
    if (!channel_) channel_ = std::make_shared<FtpDataChannel>();
    return channel_.get();
  }

  void announce(const std::string& ip, std::uint16_t port, records::FtpRecord& rec) {
    data_port_ = port;
    IpAddress addr = s_.server_ip;  // EPSV names no address: the server's is meant
    if (!ip.empty()) {
      auto parsed = IpAddress::parse(ip);
      if (!parsed) {
        violation("unreadable data address");
        return;
      }
      addr = parsed.value();
    }
    rec.data = (addr.is_v4() ? addr.to_string() : "[" + addr.to_string() + "]") + ":" +
               std::to_string(port);
    channel()->announced(port);
    const Expectation e{"ftp-data", s_.session_id, 6, now_, channel_};
    cx_.expected->expect(addr, port, e);
    // Behind NAT the server announces an address the client never uses; the data
    // connection still goes to the control connection's server (PASV) or client (PORT).
    const bool passive = rec.command == "PASV" || rec.command == "EPSV";
    const IpAddress& listener = passive ? s_.server_ip : s_.client_ip;
    if (!(addr == listener)) cx_.expected->expect(listener, port, e);
  }

  void reply_line(std::string_view line) {
    // "150-..." starts a multi-line reply that ends with "150 ..." (RFC 959 4.2).
    if (in_multiline_) {
      if (line.size() >= 4 && line.substr(0, 3) == multiline_code_ && line[3] == ' ')
        in_multiline_ = false;
      else
        return;
    } else if (line.size() >= 4 && line[3] == '-') {
      in_multiline_ = true;
      multiline_code_ = std::string(line.substr(0, 3));
      return;
    }
    if (line.size() < 3 || line[0] < '1' || line[0] > '6' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9') {
      violation("not a reply");
      return;
    }
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
    if (pending_.empty()) return;  // the greeting, or a reply to a command not seen
    if (code < 200) return;        // preliminary ("150 Opening data connection")
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    p.rec.reply_code = code;
    p.rec.reply = std::string(text.substr(0, kMaxArg));
    if (code == 227 && p.rec.command == "PASV") {
      if (auto a = wire::parse_ftp_host_port(text)) announce(a->ip, a->port, p.rec);
    } else if (code == 229 && p.rec.command == "EPSV") {
      if (auto a = wire::parse_ftp_epsv_reply(text)) announce(a->ip, a->port, p.rec);
    } else if (code == 234 && p.rec.command == "AUTH") {
      s_.redetect = true;  // TLS from here on (RFC 4217)
      s_.upgraded_from = "ftp";
    }
    emit(p);
  }

  void emit(Pending& p) { cx_.records->emit(std::move(p.rec)); }

  void flush() {
    for (Pending& p : pending_) emit(p);
    pending_.clear();
  }

  std::deque<Pending> pending_;
  std::uint16_t data_port_ = 0;
  std::shared_ptr<FtpDataChannel> channel_;  // made at the first announcement or transfer
  bool in_multiline_ = false;
  std::string multiline_code_;
};

// A "220" greeting that names FTP or comes from port 21, or a client that logs in with USER
// after a greeting.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const std::string_view s = as_chars(in.s2c), c = as_chars(in.c2s);
  if (s.empty()) return c.size() < 5 ? Verdict::kMaybe : Verdict::kNo;
  if (s.size() < 4)
    return std::string_view("220").substr(0, s.size()) == s ? Verdict::kMaybe : Verdict::kNo;
  if (s.substr(0, 3) != "220" || (s[3] != ' ' && s[3] != '-')) return Verdict::kNo;
  const std::string_view greeting = s.substr(0, s.find('\n'));
  for (std::size_t i = 0; i + 3 <= greeting.size(); ++i)
    if (iequals(greeting.substr(i, 3), "FTP")) return Verdict::kYes;
  if (istarts_with(c, "USER ") || istarts_with(c, "AUTH TLS") || istarts_with(c, "AUTH SSL") ||
      istarts_with(c, "FEAT") || istarts_with(c, "OPTS "))
    return Verdict::kYes;
  if (in.server_port == 21) return Verdict::kYes;
  return c.size() < 5 ? Verdict::kMaybe : Verdict::kNo;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<FtpAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kFtpAnalyzer{"ftp", detect, create};

}  // namespace kagami::analyzers
