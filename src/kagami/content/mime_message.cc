#include "kagami/content/mime_message.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <gmime/gmime.h>
#include <strings.h>
#include <unistd.h>

#include "kagami/content/encoded_words.h"
#include "kagami/content/header_params.h"

// A GMimeStream that hands what is written to it to a ByteSink: GMime decodes a part's
// transfer encoding straight into our file writer, with no copy of the part in memory.
struct KagamiSinkStream {
  GMimeStream parent;
  kagami::content::ByteSink* sink;
};
struct KagamiSinkStreamClass {
  GMimeStreamClass parent_class;
};

G_DEFINE_TYPE(KagamiSinkStream, kagami_sink_stream, GMIME_TYPE_STREAM)

namespace {

ssize_t sink_read(GMimeStream*, char*, size_t) { return -1; }
ssize_t sink_write(GMimeStream* stream, const char* buf, size_t len) {
  auto* self = reinterpret_cast<KagamiSinkStream*>(stream);
  if (self->sink != nullptr && len > 0)
    self->sink->write(kagami::ByteView(reinterpret_cast<const std::uint8_t*>(buf), len));
  return static_cast<ssize_t>(len);
}
int sink_flush(GMimeStream*) { return 0; }
int sink_close(GMimeStream*) { return 0; }
gboolean sink_eos(GMimeStream*) { return TRUE; }
int sink_reset(GMimeStream*) { return 0; }
gint64 sink_seek(GMimeStream*, gint64, GMimeSeekWhence) { return -1; }
gint64 sink_tell(GMimeStream*) { return -1; }
gint64 sink_length(GMimeStream*) { return -1; }
GMimeStream* sink_substream(GMimeStream*, gint64, gint64) { return nullptr; }

}  // namespace

static void kagami_sink_stream_class_init(KagamiSinkStreamClass* klass) {
  GMimeStreamClass* s = &klass->parent_class;
  s->read = sink_read;
  s->write = sink_write;
  s->flush = sink_flush;
  s->close = sink_close;
  s->eos = sink_eos;
  s->reset = sink_reset;
  s->seek = sink_seek;
  s->tell = sink_tell;
  s->length = sink_length;
  s->substream = sink_substream;
}
static void kagami_sink_stream_init(KagamiSinkStream* self) { self->sink = nullptr; }

namespace kagami::content {
namespace {

void mime_init() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// GObject references, released on scope exit.
template <typename T>
struct GRef {
  T* p = nullptr;
  explicit GRef(T* x) : p(x) {}
  ~GRef() {
    if (p) g_object_unref(p);
  }
  GRef(const GRef&) = delete;
  GRef& operator=(const GRef&) = delete;
};

std::string take_string(char* s) {
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

// Header text that reached us undecoded: raw ISO-2022-JP (7-bit escapes, common in Japanese
// mail that skips RFC 2047) or CP932 becomes UTF-8 here.
std::string fix_text(std::string s) {
  if (s.find("\x1b$B") != std::string::npos || s.find("\x1b$@") != std::string::npos ||
      s.find("\x1b(J") != std::string::npos)
    return japanese_to_utf8(s, "iso-2022-jp");
  if (!is_valid_utf8(s)) return japanese_to_utf8(s, "cp932");
  return s;
}

// A header of `o` as the sender wrote it, decoded here rather than by GMime: encoded-words
// are joined before decoding and Japanese charsets keep their vendor characters
// (encoded_words.h). Empty when there is none.
std::string header_text(GMimeObject* o, const char* name, bool* present = nullptr) {
  GMimeHeaderList* list = g_mime_object_get_header_list(o);
  GMimeHeader* h = list != nullptr ? g_mime_header_list_get_header(list, name) : nullptr;
  const char* raw = h != nullptr ? g_mime_header_get_raw_value(h) : nullptr;
  if (present != nullptr) *present = raw != nullptr;
  if (raw == nullptr) return {};
  std::string text = decode_header_text(raw);
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> addresses(InternetAddressList* list) {
  std::vector<std::string> out;
  if (list == nullptr) return out;
  const int n = std::min(internet_address_list_length(list), 1000);
  for (int i = 0; i < n; ++i)
    out.push_back(fix_text(take_string(
        internet_address_to_string(internet_address_list_get_address(list, i), nullptr, FALSE))));
  return out;
}

// An address header decoded as text first (display names in split encoded-words or vendor
// characters), then parsed; GMime's own list when the header is not there.
std::vector<std::string> address_header(GMimeMessage* m, const char* name,
                                        InternetAddressList* parsed) {
  bool present = false;
  const std::string text = header_text(GMIME_OBJECT(m), name, &present);
  if (!present || text.find("=?") != std::string::npos) return addresses(parsed);
  GRef<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  return list.p != nullptr ? addresses(list.p) : addresses(parsed);
}

// An attachment's name from its own headers: Content-Disposition's filename, else
// Content-Type's name, RFC 2231 and RFC 2047 (in quotes too, as mailers do) both read.
std::string part_name(GMimeObject* o, const char* gmime_name) {
  for (const auto& [header, param] :
       {std::pair{"Content-Disposition", "filename"}, std::pair{"Content-Type", "name"}}) {
    GMimeHeaderList* list = g_mime_object_get_header_list(o);
    GMimeHeader* h = list != nullptr ? g_mime_header_list_get_header(list, header) : nullptr;
    const char* raw = h != nullptr ? g_mime_header_get_raw_value(h) : nullptr;
    if (raw == nullptr) continue;
    std::string unfolded;
    for (const char* c = raw; *c != '\0'; ++c)
      if (*c != '\r' && *c != '\n') unfolded.push_back(*c);
    const HeaderValue v = parse_header_value(unfolded);
    if (const std::string* name = v.param(param); name != nullptr && !name->empty())
      return decode_header_text(*name);
  }
  return gmime_name != nullptr ? fix_text(gmime_name) : std::string();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Counts "multipart/" (any case): GMime parses nesting recursively, so a message with
// thousands of nested multiparts (a nesting bomb) must not reach it whole.
std::size_t count_multiparts(std::string_view text, std::size_t stop_at) {
  static constexpr std::string_view kNeedle = "multipart/";
  std::size_t n = 0;
  for (std::size_t i = 0; i + kNeedle.size() <= text.size(); ++i) {
    if ((text[i] | 0x20) != 'm') continue;
    if (strncasecmp(text.data() + i, kNeedle.data(), kNeedle.size()) == 0 && ++n > stop_at)
      return n;
  }
  return n;
}

std::size_t count_multiparts(const Spool& s, std::size_t stop_at) {
  if (s.in_memory()) return count_multiparts(s.memory(), stop_at);
  std::size_t n = 0;
  std::string buf(1u << 16, '\0');
  off_t off = 0;
  for (;;) {
    const ssize_t got = ::pread(s.fd(), buf.data(), buf.size(), off);
    if (got <= 0) break;
    // Overlap reads by the needle's length so a match across two reads is seen once.
    const std::size_t len = static_cast<std::size_t>(got);
    n += count_multiparts(std::string_view(buf.data(), len), stop_at);
    if (n > stop_at || len < buf.size()) break;
    off += static_cast<off_t>(len) - 9;
  }
  return n;
}

// The end of the top-level header block, for parsing the headers alone.
std::int64_t header_end(const Spool& s) {
  std::string head;
  if (s.in_memory()) {
    head = std::string(s.memory().substr(0, 1u << 20));
  } else {
    head.resize(1u << 20);
    const ssize_t got = ::pread(s.fd(), head.data(), head.size(), 0);
    head.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  }
  for (const char* sep : {"\r\n\r\n", "\n\n"}) {
    const auto p = head.find(sep);
    if (p != std::string::npos) return static_cast<std::int64_t>(p + std::strlen(sep));
  }
  return static_cast<std::int64_t>(head.size());
}

// Whether the message's lines end in CRLF, as mail on the wire does: an embedded message is
// written back the same way (GMime writes LF unless told otherwise).
bool crlf_lines(const Spool& s) {
  std::string head;
  if (s.in_memory()) {
    head = std::string(s.memory().substr(0, 4096));
  } else {
    head.resize(4096);
    const ssize_t got = ::pread(s.fd(), head.data(), head.size(), 0);
    head.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  }
  const auto nl = head.find('\n');
  return nl != std::string::npos && nl > 0 && head[nl - 1] == '\r';
}

// Bytes [at, at + n) of the spooled message.
std::string spool_bytes(const Spool& s, std::uint64_t at, std::size_t n) {
  if (at >= s.size()) return {};
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, s.size() - at));
  if (s.in_memory()) return std::string(s.memory().substr(at, n));
  std::string out(n, '\0');
  const ssize_t got = ::pread(s.fd(), out.data(), n, static_cast<off_t>(at));
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

// Where the part that starts at `from` ends: at the line end before the next "--boundary"
// (RFC 2046 5.1.1: that CRLF belongs to the delimiter), or at the end of the message.
std::uint64_t part_end(const Spool& s, std::uint64_t from, const std::string& boundary) {
  if (boundary.empty()) return s.size();
  const std::string delimiter = "\n--" + boundary;
  constexpr std::size_t kChunk = 256u << 10;
  for (std::uint64_t at = from; at < s.size(); at += kChunk) {
    // Overlap the next chunk by a delimiter's length, so none is missed across chunks.
    const std::string bytes = spool_bytes(s, at, kChunk + delimiter.size());
    std::size_t hit = bytes.find(delimiter);
    // A delimiter right at the start of the part (an empty part) has its line end before it.
    if (hit == std::string::npos) continue;
    std::uint64_t end = at + hit;
    if (end > from && spool_bytes(s, end - 1, 1) == "\r") --end;
    return end;
  }
  return s.size();
}

class Walker {
 public:
  Walker(const MimeLimits& limits, MimePartSink& sink, MimeSummary& out, const Spool& message,
         bool crlf)
      : limits_(limits),
        sink_(sink),
        out_(out),
        message_(message),
        format_(g_mime_format_options_new()) {
    g_mime_format_options_set_newline_format(
        format_, crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
  }
  ~Walker() { g_mime_format_options_free(format_); }
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  // An embedded message exactly as it travelled (a forwarded mail is evidence: GMime would
  // write it back re-encoded, an epilogue's CRLF as LF), from its first header to the
  // delimiter after it. False when its bytes are not there to take.
  bool raw_message(GMimeObject* part, GMimeMessage* inner, ByteSink& s) {
    if (const char* cte = g_mime_object_get_header(part, "Content-Transfer-Encoding")) {
      const std::string e = lower(cte);
      if (e.find("base64") != std::string::npos || e.find("quoted") != std::string::npos)
        return false;
    }
    GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(inner));
    if (headers == nullptr || g_mime_header_list_get_count(headers) == 0) return false;
    GMimeHeader* first = g_mime_header_list_get_header_at(headers, 0);
    const gint64 begin = first != nullptr ? g_mime_header_get_offset(first) : -1;
    const char* name = first != nullptr ? g_mime_header_get_name(first) : nullptr;
    if (begin < 0 || name == nullptr || static_cast<std::uint64_t>(begin) >= message_.size())
      return false;
    const std::uint64_t from = static_cast<std::uint64_t>(begin);
    if (lower(spool_bytes(message_, from, std::strlen(name))) != lower(name)) return false;
    const std::uint64_t end = part_end(message_, from, boundary_);
    constexpr std::size_t kChunk = 256u << 10;
    for (std::uint64_t at = from; at < end; at += kChunk) {
      const std::string bytes = spool_bytes(
          message_, at, static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, end - at)));
      if (bytes.empty()) break;
      s.write(as_bytes(bytes));
    }
    return true;
  }

  void object(GMimeObject* o, int depth) {
    if (o == nullptr) return;
    if (depth > limits_.max_depth) {
      out_.depth_limit = true;
      return;
    }
    if (GMIME_IS_MULTIPART(o)) {
      GMimeMultipart* m = GMIME_MULTIPART(o);
      const int n = g_mime_multipart_get_count(m);
      const char* b = g_mime_multipart_get_boundary(m);
      const std::string outer = boundary_;
      boundary_ = b != nullptr ? b : "";
      for (int i = 0; i < n; ++i) {
        if (out_.parts >= limits_.max_parts) {
          out_.parts_limit = true;
          break;
        }
        object(g_mime_multipart_get_part(m, i), depth + 1);
      }
      boundary_ = outer;
      return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
      if (inner == nullptr) return;
      ++out_.parts;
      MimePartInfo info;
      const std::string subject = header_text(GMIME_OBJECT(inner), "Subject");
      info.name = (subject.empty() ? std::string("message") : subject) + ".eml";
      info.content_type = "message/rfc822";
      info.role = "message";
      info.depth = depth;
      if (const char* d = g_mime_object_get_disposition(o)) info.disposition = lower(d);
      if (ByteSink* s = sink_.begin_part(info)) {
        if (raw_message(o, inner, *s)) {
          sink_.end_part(true);
        } else {
          // Not where its headers say (an encoded message part, against RFC 2046): written
          // back by GMime instead, with the message's line ends.
          GRef<GMimeStream> stream(
              GMIME_STREAM(g_object_new(kagami_sink_stream_get_type(), nullptr)));
          reinterpret_cast<KagamiSinkStream*>(stream.p)->sink = s;
          const ssize_t n = g_mime_object_write_to_stream(GMIME_OBJECT(inner), format_, stream.p);
          sink_.end_part(n >= 0);
        }
      }
      object(g_mime_message_get_mime_part(inner), depth + 1);
      return;
    }
    if (!GMIME_IS_PART(o)) return;
    ++out_.parts;
    GMimePart* part = GMIME_PART(o);
    const std::string type =
        lower(take_string(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o))));
    const char* disposition = g_mime_object_get_disposition(o);
    const std::string disp = disposition ? lower(disposition) : std::string();
    const char* filename = g_mime_part_get_filename(part);
    const bool named = filename != nullptr && *filename != '\0';
    const std::string name = named ? part_name(o, filename) : std::string();
    if (!named && disp != "attachment" && type.rfind("text/", 0) == 0) {
      // A body, not a file: the first plain (else HTML) text goes into the record.
      text_body(part, type);
      return;
    }
    MimePartInfo info;
    info.name = name;
    info.content_type = type;
    info.disposition = disp;
    info.role = disp == "inline" ? "inline" : "attachment";
    info.depth = depth;
    ByteSink* s = sink_.begin_part(info);
    if (s == nullptr) return;
    bool complete = false;
    if (GMimeDataWrapper* content = g_mime_part_get_content(part)) {
      GRef<GMimeStream> stream(GMIME_STREAM(g_object_new(kagami_sink_stream_get_type(), nullptr)));
      reinterpret_cast<KagamiSinkStream*>(stream.p)->sink = s;
      complete = g_mime_data_wrapper_write_to_stream(content, stream.p) >= 0;
    }
    if (!complete) out_.encoding_error = true;
    sink_.end_part(complete);
  }

 private:
  void text_body(GMimePart* part, const std::string& type) {
    const bool plain = type == "text/plain";
    if (!out_.body_text.empty() && !(plain && !body_is_plain_)) return;
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content == nullptr) return;
    const gint64 len = g_mime_stream_length(g_mime_data_wrapper_get_stream(content));
    if (len < 0 || static_cast<std::uint64_t>(len) > limits_.max_text_part_bytes) {
      out_.body_text_truncated = true;
      return;
    }
    // GMime converts from the part's charset to UTF-8 (iconv), ISO-2022-JP included.
    std::string text = fix_text(take_string(g_mime_text_part_get_text(GMIME_TEXT_PART(part))));
    // format=flowed (RFC 3676): the soft line breaks a mailer put in go, so a number or a word
    // wrapped across them reads whole again.
    const char* format = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "format");
    if (plain && format != nullptr && lower(format) == "flowed") {
      const char* delsp = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "delsp");
      text = unflow(text, delsp != nullptr && lower(delsp) == "yes");
    }
    body_is_plain_ = plain;
    if (text.size() > limits_.max_body_text_bytes) {
      std::size_t cut = limits_.max_body_text_bytes;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
      text.resize(cut);
      out_.body_text_truncated = true;
    }
    out_.body_text = std::move(text);
  }

  const MimeLimits& limits_;
  MimePartSink& sink_;
  MimeSummary& out_;
  const Spool& message_;
  std::string boundary_;  // of the multipart whose parts are being walked
  bool body_is_plain_ = false;
  GMimeFormatOptions* format_;
};

}  // namespace

std::string unflow(std::string_view text, bool delsp) {
  std::string out;
  out.reserve(text.size());
  std::size_t open_depth = 0;  // quote depth of the paragraph still going on
  bool open = false;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t nl = text.find('\n', at);
    const bool last = nl == std::string_view::npos;
    if (last) nl = text.size();
    std::string_view line = text.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t depth = 0;
    while (depth < line.size() && line[depth] == '>') ++depth;
    std::string_view content = line.substr(depth);
    if (!content.empty() && content.front() == ' ') content.remove_prefix(1);  // stuffing
    const bool signature = content == "-- ";
    const bool flowed = !signature && !content.empty() && content.back() == ' ';
    if (open && depth != open_depth) out += '\n';  // a paragraph cannot change its depth
    if (!open || depth != open_depth) out.append(depth, '>').append(depth ? " " : "");
    if (flowed && delsp) content.remove_suffix(1);
    out.append(content);
    open = flowed;
    open_depth = depth;
    if (!flowed && !(last && line.empty())) out += '\n';
    if (last) break;
    at = nl + 1;
  }
  return out;
}

Result<MimeSummary> parse_mime_message(const Spool& message, const MimeLimits& limits,
                                       MimePartSink& sink) {
  mime_init();
  if (message.size() == 0) return make_error("empty message");
  GMimeStream* raw = nullptr;
  if (message.in_memory()) {
    raw = g_mime_stream_mem_new_with_buffer(message.memory().data(), message.memory().size());
  } else {
    const int fd = ::dup(message.fd());
    if (fd < 0) return make_error("cannot read the spooled message");
    raw = g_mime_stream_fs_new_with_bounds(fd, 0, static_cast<gint64>(message.size()));
  }
  GRef<GMimeStream> stream(raw);
  MimeSummary out;
  const bool bomb = count_multiparts(message, limits.max_multiparts) > limits.max_multiparts;
  GRef<GMimeStream> headers_only(bomb ? g_mime_stream_substream(stream.p, 0, header_end(message))
                                      : nullptr);
  if (bomb) out.parts_limit = true;

  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(bomb ? headers_only.p : stream.p));
  // Parts refer to ranges of the stream instead of copies: large attachments stay on disk.
  g_mime_parser_set_persist_stream(parser.p, TRUE);
  GMimeParserOptions* options = g_mime_parser_options_new();
  // Header bytes that are not ASCII and not encoded words: tried in this order.
  const char* fallback[] = {"UTF-8", "CP932", "EUC-JP", "ISO-8859-1", nullptr};
  g_mime_parser_options_set_fallback_charsets(options, fallback);
  g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  GRef<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, options));
  g_mime_parser_options_free(options);
  if (msg.p == nullptr) return make_error("not an RFC 5322 message");

  const auto from = address_header(msg.p, "From", g_mime_message_get_from(msg.p));
  for (const auto& f : from) out.from += (out.from.empty() ? "" : ", ") + f;
  out.to = address_header(msg.p, "To", g_mime_message_get_to(msg.p));
  out.cc = address_header(msg.p, "Cc", g_mime_message_get_cc(msg.p));
  out.reply_to = address_header(msg.p, "Reply-To", g_mime_message_get_reply_to(msg.p));
  bool has_subject = false;
  out.subject = header_text(GMIME_OBJECT(msg.p), "Subject", &has_subject);
  if (!has_subject)
    if (const char* s = g_mime_message_get_subject(msg.p)) out.subject = fix_text(s);
  if (const char* d = g_mime_object_get_header(GMIME_OBJECT(msg.p), "Date")) out.date = fix_text(d);
  if (const char* id = g_mime_message_get_message_id(msg.p))
    out.message_id = "<" + std::string(id) + ">";
  Walker(limits, sink, out, message, crlf_lines(message))
      .object(g_mime_message_get_mime_part(msg.p), 0);
  return out;
}

}  // namespace kagami::content
