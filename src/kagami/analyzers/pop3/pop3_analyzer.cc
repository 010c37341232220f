// POP3 (RFC 1939, RFC 2449, RFC 5034): who logged in (USER, APOP, AUTH) and every message
// retrieved (RETR, TOP) parsed and kept; STLS hands the rest of the session to detection.
#include <deque>
#include <memory>
#include <string>

#include "kagami/analyzers/line_analyzer.h"
#include "kagami/analyzers/mail/mail_builder.h"
#include "kagami/wire/dot_stuffing.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/text_line.h"

namespace kagami::analyzers {
namespace {

// Discards a multi-line response that carries no message (LIST, UIDL, CAPA).
struct NullSink final : content::ByteSink {
  void write(ByteView) override {}
};

class Pop3Analyzer final : public LineAnalyzer {
 public:
  Pop3Analyzer(SessionState& s, AnalyzerContext& cx) : LineAnalyzer(s, cx, "pop3") {}

  ~Pop3Analyzer() override { end_message(false); }

  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    (void)bytes;
    now_ = ts;
    if (dir == Direction::kClientToServer) {
      resync(dir);
      return;
    }
    if (multiline_) {
      message_gap_ = true;  // the message goes on after the hole, flagged partial
      unstuffer_.reset();
      return;
    }
    commands_.clear();
    resync(dir);
  }

  void on_end(Direction dir, TimeNs ts) override {
    now_ = ts;
    if (dir == Direction::kServerToClient) end_message(false);
  }

  void on_close(TimeNs ts) override {
    now_ = ts;
    end_message(false);
  }

 private:
  enum class Cmd { kOther, kMultiline, kRetr, kTop, kAuth, kStls };
  struct Pending {
    Cmd cmd = Cmd::kOther;
    bool headers_only = false;  // TOP n 0
    bool cut = false;           // TOP n m with m > 0: the body is cut after m lines
  };

  void line(Direction dir, std::string_view text) override {
    if (dir == Direction::kServerToClient)
      status(text);
    else if (in_auth_)
      auth_response(text);
    else
      command(text);
  }

  // A multi-line response (a message, a listing) is read as bytes until its final dot.
  std::size_t raw(Direction dir, ByteView bytes) override {
    if (dir != Direction::kServerToClient || !multiline_) return kLines;
    content::ByteSink& sink = message_ ? static_cast<content::ByteSink&>(*message_) : null_;
    const std::size_t took = unstuffer_.feed(bytes, sink);
    if (unstuffer_.done()) {
      multiline_ = false;
      end_message(!message_gap_);
    }
    return took;
  }

  void command(std::string_view line) {
    std::string_view arg;
    const std::string_view verb = wire::first_word(line, &arg);
    Pending p;
    if (iequals(verb, "USER")) {
      s_.user = std::string(arg);
    } else if (iequals(verb, "APOP")) {
      s_.user = std::string(wire::first_word(arg));
    } else if (iequals(verb, "AUTH")) {
      std::string_view initial;
      const std::string_view mechanism = wire::first_word(arg, &initial);
      if (mechanism.empty()) {
        p.cmd = Cmd::kMultiline;  // lists the mechanisms
      } else {
        p.cmd = Cmd::kAuth;
        in_auth_ = true;
        sasl_.start(mechanism);
        if (!initial.empty()) auth_response(initial);
      }
    } else if (iequals(verb, "RETR")) {
      p.cmd = Cmd::kRetr;
    } else if (iequals(verb, "TOP")) {
      std::string_view lines;
      (void)wire::first_word(arg, &lines);
      p.cmd = Cmd::kTop;
      p.headers_only = wire::first_word(lines) == "0";
      p.cut = !p.headers_only;
    } else if ((iequals(verb, "LIST") || iequals(verb, "UIDL")) && arg.empty()) {
      p.cmd = Cmd::kMultiline;
    } else if (iequals(verb, "CAPA")) {
      p.cmd = Cmd::kMultiline;
    } else if (iequals(verb, "STLS")) {
      p.cmd = Cmd::kStls;
    }
    if (commands_.size() < cx_.limits->max_pipelined_requests) commands_.push_back(p);
  }

  void auth_response(std::string_view line) {
    if (!sasl_.response(line, s_.user)) in_auth_ = false;  // cancelled
  }

  void status(std::string_view line) {
    if (commands_.empty()) return;  // the greeting
    const Pending p = commands_.front();
    const bool ok = istarts_with(line, "+OK");
    if (p.cmd == Cmd::kAuth && !ok && !istarts_with(line, "-ERR")) return;  // "+ challenge"
    commands_.pop_front();
    if (!ok) {
      if (!istarts_with(line, "-ERR")) violation("not a status line");
      if (p.cmd == Cmd::kAuth) in_auth_ = false;
      return;
    }
    switch (p.cmd) {
      case Cmd::kAuth:
        in_auth_ = false;
        break;
      case Cmd::kMultiline:
        multiline_ = true;
        unstuffer_.reset();
        break;
      case Cmd::kRetr:
      case Cmd::kTop: {
        multiline_ = true;
        unstuffer_.reset();
        records::MailRecord r;
        r.ts = now_;
        r.protocol = "pop3";
        r.direction = "received";
        r.user = s_.user;
        if (p.headers_only) r.flags |= records::kMailHeadersOnly;
        message_cut_ = p.cut;
        message_ = std::make_unique<MailBuilder>(cx_, s_, std::move(r));
        message_gap_ = false;
        break;
      }
      case Cmd::kStls:
        s_.redetect = true;
        s_.upgraded_from = "pop3";
        break;
      default:
        break;
    }
  }

  void end_message(bool complete) {
    if (message_ == nullptr) return;
    // TOP with lines: the message is cut by the request, not by the capture.
    if (message_cut_) message_->record().flags |= records::kMailPartial;
    message_->finish(complete);
    message_.reset();
  }

  std::deque<Pending> commands_;
  wire::SaslExchange sasl_;
  bool in_auth_ = false;
  bool multiline_ = false;
  wire::DotUnstuffer unstuffer_;
  NullSink null_;
  std::unique_ptr<MailBuilder> message_;
  bool message_gap_ = false, message_cut_ = false;
};

// "+OK" opens every POP3 session; nothing else starts that way.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const std::string_view s = as_chars(in.s2c), c = as_chars(in.c2s);
  if (s.size() >= 3) return istarts_with(s, "+OK") ? Verdict::kYes : Verdict::kNo;
  if (!s.empty()) return istarts_with("+OK", s) ? Verdict::kMaybe : Verdict::kNo;
  return c.size() < 5 ? Verdict::kMaybe : Verdict::kNo;  // POP3 clients wait for the greeting
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<Pop3Analyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kPop3Analyzer{"pop3", detect, create};

}  // namespace kagami::analyzers
