// SMTP and ESMTP (RFC 5321): envelope, AUTH user, every message (DATA, BDAT) parsed and kept;
// PIPELINING (RFC 2920) by pairing replies with commands in order; STARTTLS hands the rest of
// the session to detection (TLS, or plaintext when it came decrypted through the proxy).
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kagami/analyzers/line_analyzer.h"
#include "kagami/analyzers/mail/mail_builder.h"
#include "kagami/wire/dot_stuffing.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/text_line.h"

namespace kagami::analyzers {
namespace {

// "<a@b> SIZE=10" -> "a@b"; "a@b" -> "a@b"; "<>" -> "" (the null sender of bounces).
std::string path_address(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (!arg.empty() && arg.front() == '<') {
    const auto close = arg.find('>');
    return std::string(arg.substr(1, close == std::string_view::npos ? arg.npos : close - 1));
  }
  return std::string(arg.substr(0, arg.find(' ')));
}

class SmtpAnalyzer final : public LineAnalyzer {
 public:
  SmtpAnalyzer(SessionState& s, AnalyzerContext& cx) : LineAnalyzer(s, cx, "smtp") {}

  ~SmtpAnalyzer() override { end_message(false); }

  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    now_ = ts;
    if (dir == Direction::kServerToClient) {
      // Replies were lost: which command they answered is unknown from here on.
      commands_.clear();
      resync(dir);
      return;
    }
    if (mode_ == Mode::kData) {
      // The message goes on after the hole; it is kept, flagged partial.
      message_gap_ = true;
      unstuffer_.reset();
      return;
    }
    if (mode_ == Mode::kBdat) {
      message_gap_ = true;
      if (bytes < bdat_left_) {
        bdat_left_ -= bytes;
        return;
      }
      end_message(false);
    }
    mode_ = Mode::kCommand;
    resync(dir);
  }

  void on_end(Direction dir, TimeNs ts) override {
    now_ = ts;
    if (dir == Direction::kClientToServer) end_message(false);
  }

  void on_close(TimeNs ts) override {
    now_ = ts;
    end_message(false);
  }

 private:
  enum class Mode { kCommand, kAuth, kData, kBdat };
  enum class Cmd { kOther, kAuth, kRcpt, kData, kBdat, kStartTls };
  struct Pending {
    Cmd cmd = Cmd::kOther;
    std::size_t rcpt = 0;  // kRcpt: index into rcpts_
  };
  struct Rcpt {
    std::string address;
    bool refused = false;
  };

  void line(Direction dir, std::string_view text) override {
    if (dir == Direction::kServerToClient)
      reply_line(text);
    else if (mode_ == Mode::kAuth)
      auth_response(text);
    else
      command(text);
  }

  // A message's body is read as bytes: DATA to its final dot, BDAT by its announced size.
  std::size_t raw(Direction dir, ByteView bytes) override {
    if (dir != Direction::kClientToServer) return kLines;
    if (mode_ == Mode::kData) {
      const std::size_t took = unstuffer_.feed(bytes, message());
      if (unstuffer_.done()) {
        end_message(!message_gap_);
        mode_ = Mode::kCommand;
      }
      return took;
    }
    if (mode_ == Mode::kBdat) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bdat_left_, bytes.size()));
      message().write(bytes.first(n));
      bdat_left_ -= n;
      if (bdat_left_ == 0) {
        if (bdat_last_) end_message(!message_gap_);
        mode_ = Mode::kCommand;
      }
      return n;
    }
    return kLines;
  }

  void command(std::string_view line) {
    std::string_view arg;
    const std::string_view verb = wire::first_word(line, &arg);
    Pending p;
    if (iequals(verb, "EHLO") || iequals(verb, "HELO") || iequals(verb, "LHLO")) {
      helo_ = std::string(arg);
      reset_envelope();
    } else if (iequals(verb, "MAIL") && istarts_with(arg, "FROM:")) {
      reset_envelope();
      mail_from_ = path_address(arg.substr(5));
      in_transaction_ = true;
    } else if (iequals(verb, "RCPT") && istarts_with(arg, "TO:")) {
      if (rcpts_.size() < kMaxRecipients) {
        p.cmd = Cmd::kRcpt;
        p.rcpt = rcpts_.size();
        rcpts_.push_back(Rcpt{path_address(arg.substr(3)), false});
      }
    } else if (iequals(verb, "DATA")) {
      // The client waits for 354 before sending the message (RFC 2920 3.1), so the bytes
      // that follow are the message unless the reply says otherwise (see reply()).
      p.cmd = Cmd::kData;
      begin_message();
      mode_ = Mode::kData;
      unstuffer_.reset();
    } else if (iequals(verb, "BDAT")) {
      std::string_view rest;
      const std::string_view size = wire::first_word(arg, &rest);
      std::uint64_t n = 0;
      bool ok = !size.empty();
      for (char c : size) {
        if (c < '0' || c > '9' || n > (1ull << 50)) ok = false;
        n = n * 10 + static_cast<unsigned>(c - '0');
      }
      if (!ok) {
        violation("BDAT without a size");
      } else {
        p.cmd = Cmd::kBdat;
        if (message_ == nullptr) begin_message();
        bdat_left_ = n;
        bdat_last_ = iequals(wire::first_word(rest), "LAST");
        mode_ = Mode::kBdat;
        if (n == 0) {
          if (bdat_last_) end_message(!message_gap_);
          mode_ = Mode::kCommand;
        }
      }
    } else if (iequals(verb, "RSET")) {
      end_message(false);  // a BDAT message given up half way is still evidence
      reset_envelope();
    } else if (iequals(verb, "AUTH")) {
      std::string_view initial;
      sasl_.start(wire::first_word(arg, &initial));
      p.cmd = Cmd::kAuth;
      mode_ = Mode::kAuth;
      if (!initial.empty()) auth_response(initial);
    } else if (iequals(verb, "STARTTLS")) {
      p.cmd = Cmd::kStartTls;
    }
    if (commands_.size() < cx_.limits->max_pipelined_requests) commands_.push_back(p);
  }

  void auth_response(std::string_view line) {
    if (!sasl_.response(line, s_.user)) mode_ = Mode::kCommand;  // cancelled
  }

  void reply_line(std::string_view line) {
    // "250-..." continues a reply, "250 ..." (or a bare "250") ends it.
    if (line.size() < 3 || line[0] < '1' || line[0] > '5') {
      violation("not a reply");
      return;
    }
    if (line.size() > 3 && line[3] == '-') return;
    reply((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  }

  void reply(int code) {
    if (commands_.empty()) return;  // the greeting, or a reply to something not seen
    const Pending p = commands_.front();
    if (p.cmd == Cmd::kAuth && code == 334) return;  // a challenge: the exchange goes on
    commands_.pop_front();
    switch (p.cmd) {
      case Cmd::kAuth:
        if (mode_ == Mode::kAuth) mode_ = Mode::kCommand;
        break;
      case Cmd::kRcpt:
        if (code >= 400 && p.rcpt < rcpts_.size()) rcpts_[p.rcpt].refused = true;
        break;
      case Cmd::kData:
        if (code != 354 && mode_ == Mode::kData && message_ && message_->size() == 0) {
          // Refused: the client sends no message, and what comes next are commands.
          message_->discard();
          message_.reset();
          mode_ = Mode::kCommand;
        }
        break;
      case Cmd::kStartTls:
        if (code == 220) {
          s_.redetect = true;
          s_.upgraded_from = "smtp";
        }
        break;
      default:
        break;
    }
  }

  void begin_message() {
    end_message(false);
    records::MailRecord r;
    r.ts = now_;
    r.protocol = "smtp";
    r.direction = "sent";
    r.mail_from = mail_from_;
    r.helo = helo_;
    r.user = s_.user;
    message_ = std::make_unique<MailBuilder>(cx_, s_, std::move(r));
    message_gap_ = false;
  }

  MailBuilder& message() {
    if (message_ == nullptr) begin_message();
    return *message_;
  }

  void end_message(bool complete) {
    if (message_ == nullptr) return;
    // Recipients the server refused are not part of the envelope; those whose reply was
    // not seen are kept.
    for (const Rcpt& r : rcpts_)
      if (!r.refused) message_->record().rcpt_to.push_back(r.address);
    if (!in_transaction_ && mail_from_.empty()) message_->record().flags |= records::kMailPartial;
    message_->finish(complete);
    message_.reset();
    reset_envelope();
  }

  void reset_envelope() {
    mail_from_.clear();
    rcpts_.clear();
    in_transaction_ = false;
    for (Pending& p : commands_)
      if (p.cmd == Cmd::kRcpt) p.cmd = Cmd::kOther;
  }

  static constexpr std::size_t kMaxRecipients = 10000;

  Mode mode_ = Mode::kCommand;
  std::deque<Pending> commands_;
  std::string helo_, mail_from_;
  std::vector<Rcpt> rcpts_;
  bool in_transaction_ = false;
  wire::SaslExchange sasl_;
  wire::DotUnstuffer unstuffer_;
  std::uint64_t bdat_left_ = 0;
  bool bdat_last_ = false;
  std::unique_ptr<MailBuilder> message_;
  bool message_gap_ = false;
};

bool is_smtp_port(std::uint16_t p) { return p == 25 || p == 587 || p == 2525 || p == 465; }

// A "220" greeting that names SMTP, or a client that opens with EHLO/HELO (or, picked up
// mid-stream, MAIL FROM). A bare "220" greeting is FTP's too: the port or the client decides.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const std::string_view c = as_chars(in.c2s), s = as_chars(in.s2c);
  if (istarts_with(c, "EHLO ") || istarts_with(c, "HELO ") || istarts_with(c, "LHLO ") ||
      istarts_with(c, "MAIL FROM:"))
    return Verdict::kYes;
  if (s.empty()) return c.size() < 5 ? Verdict::kMaybe : Verdict::kNo;
  if (s.size() < 4)
    return std::string_view("220").substr(0, s.size()) == s ? Verdict::kMaybe : Verdict::kNo;
  if (s.substr(0, 3) != "220" || (s[3] != ' ' && s[3] != '-')) return Verdict::kNo;
  const std::string_view greeting = s.substr(0, s.find('\n'));
  for (std::size_t i = 0; i + 4 <= greeting.size(); ++i)
    if (iequals(greeting.substr(i, 4), "SMTP")) return Verdict::kYes;
  for (std::size_t i = 0; i + 3 <= greeting.size(); ++i)
    if (iequals(greeting.substr(i, 3), "FTP")) return Verdict::kNo;
  if (c.size() >= 5) return Verdict::kNo;  // the client spoke and it was not EHLO/HELO
  return is_smtp_port(in.server_port) ? Verdict::kYes : Verdict::kMaybe;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<SmtpAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kSmtpAnalyzer{"smtp", detect, create};

}  // namespace kagami::analyzers
