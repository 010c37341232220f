#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kagami/analyzers/context.h"
#include "kagami/content/byte_sink.h"
#include "kagami/content/spool.h"

namespace kagami::analyzers {

// One mail message on its way through SMTP, POP3 or IMAP: its raw bytes stream into an .eml
// file and a spool; at the end GMime parses it, every attachment becomes a file, and one
// MailRecord goes out. The protocol analyzers fill in the envelope and the session facts.
class MailBuilder final : public content::ByteSink {
 public:
  MailBuilder(AnalyzerContext& cx, SessionState& session, records::MailRecord envelope);
  ~MailBuilder() override;

  void write(ByteView bytes) override;
  std::uint64_t size() const { return size_; }
  // Ends the message; `complete` false when a gap or the close cut it. Emits the record.
  void finish(bool complete);
  // The message never started after all (the server refused it before any byte): no record.
  void discard();
  records::MailRecord& record() { return rec_; }

 private:
  AnalyzerContext& cx_;
  SessionState& session_;
  records::MailRecord rec_;
  std::unique_ptr<FileWriter> eml_;
  content::Spool spool_;
  std::uint64_t size_ = 0;
  bool finished_ = false;
};

}  // namespace kagami::analyzers
