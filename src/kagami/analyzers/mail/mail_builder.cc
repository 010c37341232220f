#include "kagami/analyzers/mail/mail_builder.h"

#include "kagami/analyzers/mail/mail_sighting.h"
#include "kagami/analyzers/mail/password_notice.h"
#include "kagami/content/mime_message.h"

namespace kagami::analyzers {
namespace {

// Each file part GMime finds goes into the file store as it is decoded.
class PartFiles final : public content::MimePartSink {
 public:
  struct Part {
    records::FileRecord file;
    content::MimePartInfo info;
    bool complete = false;
  };

  explicit PartFiles(AnalyzerContext& cx) : cx_(cx) {}

  content::ByteSink* begin_part(const content::MimePartInfo& info) override {
    writer_ = cx_.files->open();
    if (!writer_) return nullptr;
    info_ = info;
    return &adapter_;
  }
  void end_part(bool complete) override {
    if (!writer_) return;
    parts.push_back(Part{writer_->finish(), info_, complete});
    writer_.reset();
  }

  std::vector<Part> parts;

 private:
  struct Adapter final : content::ByteSink {
    PartFiles* self;
    explicit Adapter(PartFiles* s) : self(s) {}
    void write(ByteView b) override { self->writer_->write(b); }
  };
  AnalyzerContext& cx_;
  std::unique_ptr<FileWriter> writer_;
  content::MimePartInfo info_;
  Adapter adapter_{this};
};

content::Spool::Options spool_options(const AnalyzerContext& cx) {
  content::Spool::Options o;
  o.dir = cx.spool_dir;
  o.memory_bytes = cx.limits->message_memory_bytes;
  o.max_bytes = cx.limits->max_message_bytes;
  o.budget = cx.content_memory;
  return o;
}

}  // namespace

MailBuilder::MailBuilder(AnalyzerContext& cx, SessionState& session, records::MailRecord envelope)
    : cx_(cx), session_(session), rec_(std::move(envelope)), spool_(spool_options(cx)) {
  rec_.session_id = session.session_id;
  rec_.endpoints = session.endpoints;
}

MailBuilder::~MailBuilder() {
  if (!finished_) finish(false);
}

void MailBuilder::write(ByteView bytes) {
  if (bytes.empty()) return;
  if (size_ == 0) eml_ = cx_.files->open();  // not before: a refused DATA leaves no file
  size_ += bytes.size();
  if (eml_) eml_->write(bytes);
  spool_.write(bytes);
}

void MailBuilder::discard() {
  finished_ = true;
  eml_.reset();
}

void MailBuilder::finish(bool complete) {
  if (finished_) return;
  finished_ = true;
  rec_.id = cx_.records->new_id<records::MailRecord>();
  rec_.size = size_;
  if (rec_.user.empty()) rec_.user = session_.user;
  if (!complete) rec_.flags |= records::kMailPartial;
  if (spool_.dropped() > 0) {
    rec_.flags |= records::kMailSizeLimit;
    session_.analyzer_limit = true;
  }

  PartFiles parts(cx_);
  auto parsed = content::parse_mime_message(spool_, cx_.limits->mime, parts);
  if (parsed) {
    content::MimeSummary& m = parsed.value();
    rec_.from = std::move(m.from);
    rec_.to = std::move(m.to);
    rec_.cc = std::move(m.cc);
    rec_.reply_to = std::move(m.reply_to);
    rec_.subject = std::move(m.subject);
    rec_.date = std::move(m.date);
    rec_.message_id = std::move(m.message_id);
    rec_.body_text = std::move(m.body_text);
    if (m.body_text_truncated) rec_.flags |= records::kMailBodyTruncated;
    if (m.depth_limit || m.parts_limit) {
      rec_.flags |= records::kMailMimeLimit;
      session_.analyzer_limit = true;
    }
    if (m.encoding_error) rec_.flags |= records::kMailEncodingError;
  } else if (size_ > 0) {
    rec_.flags |= records::kMailMalformed;
    ++cx_.counters->violations;
    (void)cx_.log_once->first(parsed.error().message);
  }

  auto event = [&](const std::string& name, const std::string& field, const std::string& type,
                   bool whole) {
    records::FileEvent e;
    e.id = cx_.records->new_file_event_id();
    e.session_id = rec_.session_id;
    e.endpoints = rec_.endpoints;
    e.ts = rec_.ts;
    e.protocol = rec_.protocol;
    e.direction = rec_.direction;
    e.name = name;
    e.field = field;
    e.claimed_type = type;
    e.record_kind = "mail";
    e.record_id = rec_.id;
    e.partial = !whole;
    if (!whole) e.note = complete ? "encoding error" : "message cut short";
    return e;
  };

  // What PPAP needs of the message: the archives it carried, itself as an object, the
  // passwords it gives (asked for only when the recorder pairs mails).
  MailObserver* observer = cx_.services != nullptr ? cx_.services->find<MailObserver>() : nullptr;
  MailSighting sighting;
  // The file and its sighting as the recorder will have them (the session's user and host,
  // the object's hash), for what the observer hands to inspection.
  auto seen = [&](records::FileRecord& f, records::FileEvent& e) {
    records::complete_sighting(f, e, session_.user, session_.host);
    if (observer == nullptr || f.sha256.empty()) return;
    if (e.field == "message")
      sighting.message = e;
    else if (may_be_archive(f, e))
      sighting.archives.emplace_back(f, e);
  };
  for (PartFiles::Part& p : parts.parts) {
    const bool whole = complete && p.complete;
    rec_.attachments.push_back(
        records::MailAttachment{p.file.sha256, p.info.name, p.info.content_type, p.file.size});
    ++cx_.counters->files;
    cx_.counters->file_bytes += p.file.size;
    records::FileEvent e = event(p.info.name, p.info.role, p.info.content_type, whole);
    seen(p.file, e);
    cx_.records->emit(std::move(p.file), std::move(e));
  }
  if (eml_) {
    records::FileRecord f = eml_->finish();
    rec_.eml_sha256 = f.sha256;
    const std::string name =
        (rec_.subject.empty() ? std::string("message") : rec_.subject) + ".eml";
    ++cx_.counters->files;
    cx_.counters->file_bytes += f.size;
    records::FileEvent e = event(name, "message", "message/rfc822", complete);
    seen(f, e);
    cx_.records->emit(std::move(f), std::move(e));
  }
  // A password given in a mail is a credential: masked in the record as FTP's PASS is (the
  // message as sent stays in the file store).
  for (std::string* text : {&rec_.subject, &rec_.body_text}) {
    const auto found = find_passwords(*text);
    if (found.empty()) continue;
    for (const auto& p : found) sighting.passwords.push_back(p.value);
    *text = mask_passwords(*text, found);
  }
  if (observer != nullptr) {
    sighting.mail_id = rec_.id;
    sighting.ts = rec_.ts;
    mail_addresses(rec_, sighting.sender, sighting.recipients);
    observer->observe(std::move(sighting));
  }
  rec_.decrypted = session_.decrypted;
  cx_.records->emit(std::move(rec_));
}

}  // namespace kagami::analyzers
