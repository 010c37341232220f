#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/analyzers/context.h"
#include "kagami/content/body_decoder.h"
#include "kagami/content/byte_sink.h"
#include "kagami/content/multipart_parser.h"

namespace kagami::analyzers {

// An object a message body produced, ready to emit (ids and record links still to fill).
struct ExtractedFile {
  records::FileRecord file;
  records::FileEvent event;
};

// The boundary of a multipart/form-data or multipart/mixed Content-Type (the parts a body
// extractor splits out), or empty.
std::string multipart_boundary(const std::string& content_type);

// Turns one message body into files, streaming: undoes its content codings (bounded), keeps
// the decoded body as one object and, for multipart bodies, each file part as another object
// with its field and file name. A body that cannot be decoded is kept as it came.
class BodyExtractor final : public content::ByteSink, public content::MultipartEvents {
 public:
  struct Meta {
    std::uint64_t session_id = 0;
    records::Endpoints endpoints;
    TimeNs ts = 0;
    std::string protocol;   // "http"
    std::string direction;  // "sent" / "received"
    std::string name;       // the object's name, if the protocol gave one
    std::string claimed_type;
    std::string content_encoding;
    std::string multipart_boundary;  // non-empty: also split into parts
  };

  BodyExtractor(AnalyzerContext& cx, Meta meta);
  ~BodyExtractor() override;

  void body(ByteView raw);
  void gap(std::uint64_t bytes);
  // Ends the body. `complete`: it arrived whole.
  std::vector<ExtractedFile> finish(bool complete);

  std::uint64_t raw_bytes() const { return raw_bytes_; }
  bool decode_error() const { return decode_error_; }
  bool limit_hit() const { return limit_hit_; }
  // wire::HttpEvasion bits of its content codings: spelled as only an evasion would (odd case,
  // x- aliases, stacks, unknown names), or streams a plain encoder never writes (raw deflate,
  // no end, a second gzip member, gzip header fields). After finish().
  std::uint32_t evasions() const;

  // content::ByteSink: decoded bytes.
  void write(ByteView decoded) override;
  // content::MultipartEvents
  void on_part_begin(const content::PartHeaders& headers) override;
  void on_part_data(ByteView bytes) override;
  void on_part_end(bool complete) override;

 private:
  struct Open {
    std::unique_ptr<FileWriter> writer;
    records::FileEvent event;
  };
  void close(Open& o, bool partial, const std::string& note);

  AnalyzerContext& cx_;
  Meta meta_;
  std::unique_ptr<content::BodyDecoder> decoder_;
  std::unique_ptr<content::MultipartParser> multipart_;
  Open whole_;
  Open part_;
  std::vector<ExtractedFile> done_;
  std::string raw_copy_;  // the encoded body, kept (bounded) in case decoding fails
  bool raw_copy_complete_ = true;
  std::uint64_t raw_bytes_ = 0;
  bool partial_ = false;
  bool decode_error_ = false;
  bool limit_hit_ = false;
  bool unknown_coding_ = false;
};

}  // namespace kagami::analyzers
