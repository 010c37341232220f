#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/content/byte_sink.h"
#include "kagami/content/spool.h"

namespace kagami::content {

struct MimeLimits {
  int max_depth = 16;                            // multipart / message nesting
  std::size_t max_parts = 1000;                  // leaf parts looked at
  std::size_t max_multiparts = 256;              // multipart headers before GMime sees the body
  std::size_t max_body_text_bytes = 64u << 10;   // kept in the record
  std::uint64_t max_text_part_bytes = 8u << 20;  // a text part larger than this is a file only
};

// A part that is a file (an attachment, an inline image, an embedded message).
struct MimePartInfo {
  std::string name;          // decoded to UTF-8 (RFC 2047, RFC 2231, raw Shift_JIS/EUC-JP)
  std::string content_type;  // "application/pdf"
  std::string disposition;   // "attachment", "inline" or empty
  std::string role;          // "attachment", "inline" or "message" (message/rfc822)
  int depth = 0;
};

// Where parts' decoded bytes go (Content-Transfer-Encoding undone).
class MimePartSink {
 public:
  virtual ~MimePartSink() = default;
  // nullptr: do not extract this part.
  virtual ByteSink* begin_part(const MimePartInfo& info) = 0;
  virtual void end_part(bool complete) = 0;
};

struct MimeSummary {
  std::string from;
  std::vector<std::string> to, cc, reply_to;
  std::string subject, date, message_id;
  std::string body_text;  // the first text body, UTF-8, bounded
  bool body_text_truncated = false;
  std::size_t parts = 0;  // leaf parts seen
  bool depth_limit = false, parts_limit = false;
  bool encoding_error = false;  // a part's transfer encoding could not be undone whole
};

// Parses a whole RFC 5322 message with GMime: headers decoded to UTF-8 from encoded words in
// any charset (ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, ...), raw 8-bit or ISO-2022-JP header
// text recognized, every file part streamed to `sink`. Large messages are read from the
// spool's file, not copied into memory. Bounded in depth, parts and text.
// RFC 3676 format=flowed text with its soft line breaks undone: a line that ends in a space
// goes on in the next (with delsp=yes that space is the mailer's and goes too); quote depth,
// space-stuffing and the signature separator as the RFC says.
std::string unflow(std::string_view text, bool delsp);

Result<MimeSummary> parse_mime_message(const Spool& message, const MimeLimits& limits,
                                       MimePartSink& sink);

}  // namespace kagami::content
