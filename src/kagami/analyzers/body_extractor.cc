#include "kagami/analyzers/body_extractor.h"

#include "kagami/base/ascii.h"
#include "kagami/content/header_params.h"
#include "kagami/wire/http1_parser.h"

namespace kagami::analyzers {
namespace {
constexpr std::size_t kRawCopyBytes = 1u << 20;
}

BodyExtractor::BodyExtractor(AnalyzerContext& cx, Meta meta) : cx_(cx), meta_(std::move(meta)) {
  if (!meta_.content_encoding.empty() &&
      !content::parse_content_codings(meta_.content_encoding).empty()) {
    decoder_ = content::BodyDecoder::create(meta_.content_encoding, cx_.limits->decode);
    if (!decoder_) unknown_coding_ = true;  // kept as it came, noted
  }
  if (!meta_.multipart_boundary.empty())
    multipart_ = std::make_unique<content::MultipartParser>(meta_.multipart_boundary,
                                                            cx_.limits->multipart, *this);
}

BodyExtractor::~BodyExtractor() = default;

void BodyExtractor::body(ByteView raw) {
  if (raw.empty()) return;
  raw_bytes_ += raw.size();
  if (decoder_ && !decode_error_ && !limit_hit_) {
    if (raw_copy_.size() + raw.size() <= kRawCopyBytes) {
      raw_copy_.append(as_chars(raw));
    } else {
      raw_copy_complete_ = false;
    }
    const auto st = decoder_->feed(raw, *this);
    if (st == content::BodyDecoder::State::kError) decode_error_ = true;
    if (st == content::BodyDecoder::State::kLimit) limit_hit_ = true;
    return;
  }
  if (decoder_) return;  // decoding stopped: the raw copy is what is kept
  write(raw);
}

void BodyExtractor::gap(std::uint64_t bytes) {
  (void)bytes;
  partial_ = true;
  // A compressed stream cannot go on across missing bytes.
  if (decoder_ && !decode_error_) decode_error_ = true;
  if (!decoder_) raw_copy_complete_ = false;
}

void BodyExtractor::write(ByteView decoded) {
  if (decoded.empty()) return;
  if (!whole_.writer) {
    whole_.writer = cx_.files->open();
    whole_.event.name = meta_.name;
    whole_.event.field = "body";
    whole_.event.claimed_type = meta_.claimed_type;
  }
  whole_.writer->write(decoded);
  if (multipart_) multipart_->feed(decoded);
}

void BodyExtractor::on_part_begin(const content::PartHeaders& headers) {
  part_ = Open{};
  // A form's text fields stay in the body they came in, read there with their names.
  if (!content::is_file_part(headers)) return;
  part_.writer = cx_.files->open();
  if (const std::string* cd = headers.find("Content-Disposition")) {
    const content::HeaderValue v = content::parse_header_value(*cd);
    if (const std::string* f = v.param("filename")) part_.event.name = *f;
    if (const std::string* n = v.param("name")) part_.event.field = *n;
  }
  if (const std::string* ct = headers.find("Content-Type")) part_.event.claimed_type = *ct;
}

void BodyExtractor::on_part_data(ByteView bytes) {
  if (part_.writer) part_.writer->write(bytes);
}

void BodyExtractor::on_part_end(bool complete) {
  if (part_.writer) close(part_, !complete, complete ? "" : "part cut short");
}

void BodyExtractor::close(Open& o, bool partial, const std::string& note) {
  ExtractedFile f;
  f.file = o.writer->finish();
  f.event = std::move(o.event);
  f.event.session_id = meta_.session_id;
  f.event.endpoints = meta_.endpoints;
  f.event.ts = meta_.ts;
  f.event.protocol = meta_.protocol;
  f.event.direction = meta_.direction;
  f.event.partial = partial;
  f.event.note = note;
  ++cx_.counters->files;
  cx_.counters->file_bytes += f.file.size;
  done_.push_back(std::move(f));
  o.writer.reset();
}

std::vector<ExtractedFile> BodyExtractor::finish(bool complete) {
  if (!complete) partial_ = true;
  if (decoder_ && !decode_error_ && !limit_hit_) {
    const auto st = decoder_->finish(*this);
    if (st == content::BodyDecoder::State::kError) decode_error_ = true;
    if (st == content::BodyDecoder::State::kLimit) limit_hit_ = true;
  }
  if (multipart_) multipart_->finish();
  if (part_.writer) close(part_, true, "part cut short");
  std::string note;
  if (decoder_ && !decode_error_)
    note = "decoded " + meta_.content_encoding +
           (decoder_->oddities() & content::kOddUnended ? " (the stream did not end)" : "");
  if (unknown_coding_) note = "unknown content coding " + meta_.content_encoding + ": kept as sent";
  if (limit_hit_) note = "decoded output exceeded its bound (possible compression bomb)";
  if (whole_.writer) close(whole_, partial_ || decode_error_ || limit_hit_, note);
  if (decoder_ && (decode_error_ || limit_hit_) && !raw_copy_.empty()) {
    // What could not be decoded is evidence too: keep the body as it was sent.
    Open raw;
    raw.writer = cx_.files->open();
    raw.writer->write(as_bytes(raw_copy_));
    raw.event.name = meta_.name;
    raw.event.field = "body (encoded)";
    raw.event.claimed_type = meta_.claimed_type;
    close(raw, partial_ || !raw_copy_complete_,
          decode_error_ ? "could not undo " + meta_.content_encoding + ": kept as sent"
                        : "kept as sent because decoding hit its bound");
  }
  return std::move(done_);
}

std::uint32_t BodyExtractor::evasions() const {
  std::uint32_t e = 0;
  const std::vector<std::string_view> codings = list_members(meta_.content_encoding);
  for (std::string_view c : codings)
    if (codings.size() > 1 ||
        (c != "gzip" && c != "deflate" && c != "br" && c != "zstd" && c != "identity"))
      e |= wire::kEvasionContentEncoding;
  const std::uint32_t odd = decoder_ ? decoder_->oddities() : 0;
  if (odd & (content::kOddRawDeflate | content::kOddUnended | content::kOddAfterEnd))
    e |= wire::kEvasionContentEncoding;
  if (odd & content::kOddGzipHeaderFields) e |= wire::kEvasionGzipHeader;
  return e;
}

std::string multipart_boundary(const std::string& content_type) {
  if (content_type.empty()) return {};
  const content::HeaderValue ct = content::parse_header_value(content_type);
  if (ct.value != "multipart/form-data" && ct.value != "multipart/mixed") return {};
  const std::string* b = ct.param("boundary");
  return b ? *b : std::string();
}

}  // namespace kagami::analyzers
