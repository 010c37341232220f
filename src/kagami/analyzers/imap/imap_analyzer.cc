// IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051): who logged in (LOGIN, AUTHENTICATE), the
// mailbox selected, every message fetched (BODY[], RFC822, BINARY[]; header fetches flagged
// headers-only) or appended, read from the literals that carry them. STARTTLS hands the rest
// of the session to detection.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kagami/analyzers/line_analyzer.h"
#include "kagami/analyzers/mail/mail_builder.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/text_line.h"

namespace kagami::analyzers {
namespace {

constexpr std::size_t kMaxTokens = 64;
constexpr std::size_t kMaxCapturedLiteral = 8192;  // a literal argument (user, mailbox) kept

// Command arguments: atoms, "quoted strings" (unescaped), and (lists) or [sections] whole.
void tokenize(std::string_view s, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < s.size() && out.size() < kMaxTokens) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    if (s[i] == '"') {
      std::string t;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        t += s[i];
      }
      ++i;
      out.push_back(std::move(t));
      continue;
    }
    const std::size_t start = i;
    int depth = 0;
    bool quoted = false;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (quoted) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '(' || c == '[') {
        ++depth;
      } else if ((c == ')' || c == ']') && depth > 0) {
        --depth;
      } else if (c == ' ' && depth == 0) {
        break;
      }
    }
    out.emplace_back(s.substr(start, i - start));
  }
}

// A line ending in "{123}", "{123+}" or "~{123}" announces a literal of that many bytes.
struct Literal {
  std::uint64_t size = 0;
  bool sync = true;         // the sender waits for "+" (not a LITERAL+ "{n+}")
  std::string_view before;  // the line up to the literal
};
bool literal_at_end(std::string_view line, Literal& lit) {
  if (line.empty() || line.back() != '}') return false;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return false;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  lit.sync = true;
  if (!digits.empty() && (digits.back() == '+' || digits.back() == '-')) {
    lit.sync = false;
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 15) return false;
  std::uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  lit.size = n;
  lit.before = line.substr(0, open);
  if (!lit.before.empty() && lit.before.back() == '~') lit.before.remove_suffix(1);  // literal8
  return true;
}

// What a FETCH literal is, from the item that names it ("BODY[]", "RFC822.HEADER",
// "BODY[HEADER.FIELDS (FROM TO)]", "BODY[]<0>", "BODY[2]").
enum class FetchItem { kOther, kMessage, kHeader };
FetchItem fetch_item(std::string_view before, bool& chunk, std::uint64_t& origin) {
  while (!before.empty() && before.back() == ' ') before.remove_suffix(1);
  chunk = false;
  origin = 0;
  if (!before.empty() && before.back() == '>') {  // a partial fetch: "<origin>"
    const std::size_t lt = before.rfind('<');
    if (lt == std::string_view::npos) return FetchItem::kOther;
    chunk = true;
    for (char c : before.substr(lt + 1, before.size() - lt - 2)) {
      if (c < '0' || c > '9' || origin > (1ull << 50)) return FetchItem::kOther;
      origin = origin * 10 + static_cast<unsigned>(c - '0');
    }
    before = before.substr(0, lt);
  }
  std::string_view section;
  bool has_section = false;
  if (!before.empty() && before.back() == ']') {
    int depth = 0;
    std::size_t i = before.size();
    while (i > 0) {
      --i;
      if (before[i] == ']') ++depth;
      if (before[i] == '[' && --depth == 0) break;
    }
    if (depth != 0) return FetchItem::kOther;
    section = before.substr(i + 1, before.size() - i - 2);
    has_section = true;
    before = before.substr(0, i);
  }
  const std::size_t start = before.find_last_of(" (");
  const std::string_view name = start == std::string_view::npos ? before : before.substr(start + 1);
  if (!has_section) {
    if (iequals(name, "RFC822")) return FetchItem::kMessage;
    if (iequals(name, "RFC822.HEADER")) return FetchItem::kHeader;
    return FetchItem::kOther;
  }
  if (!iequals(name, "BODY") && !iequals(name, "BODY.PEEK") && !iequals(name, "BINARY") &&
      !iequals(name, "BINARY.PEEK"))
    return FetchItem::kOther;
  if (section.empty()) return FetchItem::kMessage;
  if (istarts_with(section, "HEADER")) return FetchItem::kHeader;
  return FetchItem::kOther;
}

class ImapAnalyzer final : public LineAnalyzer {
 public:
  ImapAnalyzer(SessionState& s, AnalyzerContext& cx) : LineAnalyzer(s, cx, "imap") {}

  ~ImapAnalyzer() override { end_messages(false); }

  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    now_ = ts;
    Side& side = dir == Direction::kClientToServer ? client_ : server_;
    if (side.literal_left > 0) {
      if (side.message || side.use == Use::kPiece) side.message_gap = true;
      if (bytes < side.literal_left) {
        side.literal_left -= bytes;
        return;
      }
      finish_literal(side, false);
    }
    side.tokens.clear();
    resync(dir);
  }

  void on_end(Direction dir, TimeNs ts) override {
    now_ = ts;
    Side& side = dir == Direction::kClientToServer ? client_ : server_;
    if (side.message) {
      side.message->finish(false);
      side.message.reset();
    }
    if (dir == Direction::kServerToClient) finish_pieces(false);
  }

  void on_close(TimeNs ts) override {
    now_ = ts;
    end_messages(false);
  }

 private:
  enum class Use { kDiscard, kCapture, kMessage, kPiece };
  // One direction: the line being assembled and the literal being read.
  struct Side {
    std::vector<std::string> tokens;  // client: the command so far
    bool in_response = false;         // server: a line continues a response after a literal
    std::uint64_t literal_left = 0;
    std::uint64_t literal_seen = 0;
    bool literal_sync = false;
    Use use = Use::kDiscard;
    std::string captured;
    std::unique_ptr<MailBuilder> message;
    bool message_gap = false;
  };
  enum class Cmd { kOther, kLogin, kAuthenticate, kSelect, kAppend, kStartTls, kCompress };
  struct Pending {
    std::string tag;
    Cmd cmd = Cmd::kOther;
    std::string arg;
  };

  // --- client -------------------------------------------------------------------------------

  void line(Direction dir, std::string_view text) override {
    if (dir == Direction::kServerToClient)
      response_line(text);
    else
      client_line(text);
  }

  // Literals ({n} after a line) are read as bytes; after COMPRESS nothing is readable.
  std::size_t raw(Direction dir, ByteView bytes) override {
    if (compressed_) return bytes.size();
    Side& side = dir == Direction::kClientToServer ? client_ : server_;
    return side.literal_left > 0 ? literal_bytes(side, bytes) : kLines;
  }

  void line_too_long(Direction dir) override {
    if (dir == Direction::kClientToServer)
      client_.tokens.clear();
    else
      server_.in_response = false;
  }

  bool stop_reading() const override { return compressed_; }

  void client_line(std::string_view line) {
    if (!auth_tag_.empty() && client_.tokens.empty()) {
      auth_response(line);
      return;
    }
    Literal lit;
    if (literal_at_end(line, lit)) {
      tokenize(lit.before, client_.tokens);
      const bool append = client_.tokens.size() >= 3 && iequals(client_.tokens[1], "APPEND");
      if (append) {
        records::MailRecord rec;
        rec.ts = now_;
        rec.protocol = "imap";
        rec.direction = "sent";
        rec.folder = client_.tokens[2];
        rec.user = s_.user;
        start_literal(client_, lit, Use::kMessage, std::move(rec));
        append_tag_ = client_.tokens[0];
      } else {
        start_literal(client_, lit, lit.size <= kMaxCapturedLiteral ? Use::kCapture : Use::kDiscard,
                      {});
      }
      return;
    }
    tokenize(line, client_.tokens);
    command(client_.tokens);
    client_.tokens.clear();
  }

  void command(const std::vector<std::string>& t) {
    if (t.size() < 2) return;
    Pending p;
    p.tag = t[0];
    std::string_view verb = t[1];
    std::size_t a = 2;  // first argument
    if (iequals(verb, "UID") && t.size() > 2) verb = t[a++];
    if (iequals(verb, "LOGIN") && t.size() > a) {
      p.cmd = Cmd::kLogin;
      s_.user = t[a];
    } else if (iequals(verb, "AUTHENTICATE") && t.size() > a) {
      p.cmd = Cmd::kAuthenticate;
      sasl_.start(t[a]);
      auth_tag_ = p.tag;
      if (t.size() > a + 1) auth_response(t[a + 1]);  // SASL-IR (RFC 4959)
    } else if ((iequals(verb, "SELECT") || iequals(verb, "EXAMINE")) && t.size() > a) {
      p.cmd = Cmd::kSelect;
      p.arg = t[a];
    } else if (iequals(verb, "APPEND")) {
      p.cmd = Cmd::kAppend;
    } else if (iequals(verb, "STARTTLS")) {
      p.cmd = Cmd::kStartTls;
    } else if (iequals(verb, "COMPRESS")) {
      p.cmd = Cmd::kCompress;
    } else {
      return;  // nothing to learn from its completion
    }
    if (pending_.size() >= cx_.limits->max_pipelined_requests) pending_.pop_front();
    pending_.push_back(std::move(p));
  }

  void auth_response(std::string_view line) {
    if (!sasl_.response(line, s_.user)) auth_tag_.clear();  // cancelled
  }

  // --- server -------------------------------------------------------------------------------

  // "* 12 FETCH (...": the message the response is about; its RFC822.SIZE when given.
  void note_fetch(std::string_view line) {
    if (line.size() < 3 || line.substr(0, 2) != "* ") return;
    std::string_view rest;
    const std::string_view n = wire::first_word(line.substr(2), &rest);
    if (!istarts_with(rest, "FETCH")) return;
    fetch_seq_ = 0;
    for (char c : n) {
      if (c < '0' || c > '9' || fetch_seq_ > (1ull << 40)) return;
      fetch_seq_ = fetch_seq_ * 10 + static_cast<unsigned>(c - '0');
    }
    const std::size_t at = line.find("RFC822.SIZE ");
    if (at == std::string_view::npos) return;
    std::uint64_t size = 0;
    for (std::size_t i = at + 12; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i)
      size = size * 10 + static_cast<unsigned>(line[i] - '0');
    if (sizes_.size() >= kMaxSizes) sizes_.erase(sizes_.begin());
    sizes_[fetch_seq_] = size;
  }

  void response_line(std::string_view line) {
    if (!server_.in_response) note_fetch(line);
    Literal lit;
    if (literal_at_end(line, lit)) {
      bool chunk = false;
      std::uint64_t origin = 0;
      const FetchItem item = fetch_item(lit.before, chunk, origin);
      if (item == FetchItem::kMessage && chunk && continue_pieces(origin, lit)) {
        server_.in_response = true;
        return;
      }
      if (item == FetchItem::kOther) {
        start_literal(server_, lit, Use::kDiscard, {});
      } else {
        records::MailRecord rec;
        rec.ts = now_;
        rec.protocol = "imap";
        rec.direction = "received";
        rec.folder = folder_;
        rec.user = s_.user;
        if (item == FetchItem::kHeader) rec.flags |= records::kMailHeadersOnly;
        if (chunk && origin == 0 && item == FetchItem::kMessage) {
          // The first piece of a message fetched in pieces (Thunderbird fetches large
          // messages 64 KiB at a time): the pieces that follow are joined to it.
          finish_pieces(false);
          pieces_.seq = fetch_seq_;
          pieces_.next_origin = 0;
          pieces_.piece_size = lit.size;
          pieces_.gap = false;
          pieces_.builder = std::make_unique<MailBuilder>(cx_, s_, std::move(rec));
          start_literal(server_, lit, Use::kPiece, {});
        } else {
          if (chunk) rec.flags |= records::kMailPartial;  // a piece without its beginning
          start_literal(server_, lit, Use::kMessage, std::move(rec));
        }
      }
      server_.in_response = true;
      return;
    }
    const bool continued = server_.in_response;
    server_.in_response = false;
    if (continued || line.empty() || line[0] == '*' || line[0] == '+') return;
    std::string_view status;
    const std::string_view tag = wire::first_word(line, &status);
    tagged(tag, wire::first_word(status));
  }

  void tagged(std::string_view tag, std::string_view status) {
    const bool ok = iequals(status, "OK");
    if (tag == auth_tag_) auth_tag_.clear();
    if (tag == append_tag_) {
      append_tag_.clear();
      if (client_.use == Use::kMessage && client_.literal_left > 0 && client_.literal_seen == 0 &&
          client_.literal_sync) {
        // Refused before the client sent the message (it waits for "+"): none will come.
        client_.message->discard();
        client_.message.reset();
        client_.literal_left = 0;
        client_.tokens.clear();
      }
    }
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->tag != tag) continue;
      const Pending p = std::move(*it);
      pending_.erase(it);
      if (!ok) return;
      switch (p.cmd) {
        case Cmd::kSelect:
          folder_ = p.arg;
          break;
        case Cmd::kStartTls:
          s_.redetect = true;
          s_.upgraded_from = "imap";
          break;
        case Cmd::kCompress:
          // DEFLATE from here on (RFC 4978): the rest cannot be read without inflating.
          compressed_ = true;
          s_.analyzer_limit = true;
          (void)cx_.log_once->first("imap: COMPRESS=DEFLATE sessions are not inflated");
          break;
        default:
          break;
      }
      return;
    }
  }

  // --- messages fetched in pieces ("BODY[]<0>", "BODY[]<65536>", ...) -------------------------

  bool continue_pieces(std::uint64_t origin, const Literal& lit) {
    if (!pieces_.builder || pieces_.seq != fetch_seq_ || origin != pieces_.next_origin ||
        origin == 0)
      return false;
    start_literal(server_, lit, Use::kPiece, {});
    return true;
  }

  // A piece ended: a short one (or the size announced) is the message's end.
  void piece_done(std::uint64_t bytes, bool gap) {
    pieces_.next_origin += bytes;
    pieces_.gap = pieces_.gap || gap;
    auto size = sizes_.find(pieces_.seq);
    const bool whole =
        size != sizes_.end() ? pieces_.next_origin >= size->second : bytes < pieces_.piece_size;
    if (whole) finish_pieces(true);
  }

  void finish_pieces(bool ended) {
    if (!pieces_.builder) return;
    pieces_.builder->finish(ended && !pieces_.gap);
    pieces_.builder.reset();
  }

  // --- literals -----------------------------------------------------------------------------

  void start_literal(Side& side, const Literal& lit, Use use, records::MailRecord rec) {
    side.literal_left = lit.size;
    side.literal_seen = 0;
    side.literal_sync = lit.sync;
    side.use = use;
    side.captured.clear();
    side.message_gap = false;
    if (use == Use::kMessage) {
      if (side.message) side.message->finish(false);
      side.message = std::make_unique<MailBuilder>(cx_, s_, std::move(rec));
    }
    if (lit.size == 0) finish_literal(side, true);
  }

  std::size_t literal_bytes(Side& side, ByteView bytes) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(side.literal_left, bytes.size()));
    const ByteView part = bytes.first(n);
    if (side.use == Use::kMessage && side.message) side.message->write(part);
    if (side.use == Use::kPiece && pieces_.builder) pieces_.builder->write(part);
    if (side.use == Use::kCapture) side.captured.append(as_chars(part));
    side.literal_left -= n;
    side.literal_seen += n;
    if (side.literal_left == 0) finish_literal(side, !side.message_gap);
    return n;
  }

  void finish_literal(Side& side, bool complete) {
    side.literal_left = 0;
    if (side.use == Use::kPiece) piece_done(side.literal_seen, !complete);
    if (side.use == Use::kCapture && side.tokens.size() < kMaxTokens)
      side.tokens.push_back(std::move(side.captured));
    if (side.message) {
      side.message->finish(complete);
      side.message.reset();
    }
    side.captured.clear();
    side.use = Use::kDiscard;
  }

  void end_messages(bool complete) {
    finish_pieces(false);  // the session ended before the last piece
    for (Side* side : {&client_, &server_}) {
      if (!side->message) continue;
      side->message->finish(complete);
      side->message.reset();
    }
  }

  Side client_, server_;
  std::deque<Pending> pending_;
  std::string folder_, auth_tag_, append_tag_;
  wire::SaslExchange sasl_;
  struct Pieces {
    std::uint64_t seq = 0, next_origin = 0, piece_size = 0;
    bool gap = false;
    std::unique_ptr<MailBuilder> builder;
  } pieces_;
  std::uint64_t fetch_seq_ = 0;
  static constexpr std::size_t kMaxSizes = 4096;
  std::map<std::uint64_t, std::uint64_t> sizes_;  // RFC822.SIZE by message number
  bool compressed_ = false;
};

// The greeting ("* OK", "* PREAUTH", "* BYE") or a tagged first command.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const std::string_view s = as_chars(in.s2c), c = as_chars(in.c2s);
  for (std::string_view g : {"* OK", "* PREAUTH", "* BYE"}) {
    if (s.size() >= g.size() && istarts_with(s, g)) return Verdict::kYes;
    if (s.size() < g.size() && !s.empty() && istarts_with(g, s)) return Verdict::kMaybe;
  }
  if (!s.empty()) return Verdict::kNo;
  // Picked up after the greeting: "a001 CAPABILITY", "A1 LOGIN ...".
  std::string_view rest;
  const std::string_view tag = wire::first_word(c.substr(0, c.find('\n')), &rest);
  if (tag.empty() || rest.empty()) return c.size() < 16 ? Verdict::kMaybe : Verdict::kNo;
  const std::string_view verb = wire::first_word(rest);
  for (std::string_view v : {"CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "SELECT", "ID"})
    if (iequals(verb.substr(0, verb.find('\r')), v)) return Verdict::kYes;
  return Verdict::kNo;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<ImapAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kImapAnalyzer{"imap", detect, create};

}  // namespace kagami::analyzers
