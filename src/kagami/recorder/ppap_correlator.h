#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kagami/analyzers/mail/mail_sighting.h"
#include "kagami/base/counter.h"
#include "kagami/base/time.h"
#include "kagami/records/file_record.h"

namespace kagami::recorder {

struct PpapOptions {
  bool enabled = true;
  TimeNs window_ns = 3600 * kNsPerSec;  // a password mail this near an archive mail is tried
  std::size_t max_messages = 4096;      // remembered mails (with an archive or a password)
  std::size_t max_tried = 1u << 16;     // remembered (archive, password mail) pairs
};

// A password mail's passwords to try on an archive another (or the same) mail carried, and
// where each side's finding goes.
struct PpapTry {
  std::vector<std::string> passwords;
  std::uint64_t password_mail_id = 0;
  std::uint64_t archive_mail_id = 0;
  records::FileEvent password_message;  // the password mail as an object (id 0: not kept)
};

struct PpapJob {
  records::FileRecord file;  // the archive
  records::FileEvent event;  // its sighting in the archive mail
  std::shared_ptr<const PpapTry> ppap;
};

using analyzers::MailSighting;

// PPAP (パスワード付きZIP + パスワード別送): pairs a mail that carried an archive with the
// password mail that follows it — from the same sender to a recipient in common, within a
// window of packet time, the first password mail after the archive (or, when that one had
// nothing new to unlock, a later one that corrects it) — or with itself when it gives its own
// password. Each pair is handed out once. Shared by the workers and touched once per mail,
// never per packet, so a mutex is cheap enough; bounded in messages and pairs, oldest first
// out.
class PpapCorrelator {
 public:
  explicit PpapCorrelator(PpapOptions options) : options_(options) {}

  // The archives to try, with the passwords to try on each, that this mail makes possible.
  std::vector<PpapJob> observe(MailSighting&& mail);

  template <typename F>
  void visit(F&& f) const {
    f("ppap.password_mails", password_mails_);
    f("ppap.archive_mails", archive_mails_);
    f("ppap.pairs", pairs_);
    f("ppap.forgotten", forgotten_);
  }

 private:
  void pair(const MailSighting& archives, const MailSighting& passwords, std::vector<PpapJob>& out);

  PpapOptions options_;
  std::mutex mutex_;
  std::deque<MailSighting> recent_;                        // in arrival order
  std::set<std::pair<std::string, std::uint64_t>> tried_;  // (archive sha256, password mail)
  std::deque<std::pair<std::string, std::uint64_t>> tried_order_;
  TimeNs latest_ = 0;
  Counter password_mails_, archive_mails_, pairs_, forgotten_;
};

// The mail analyzers' observer on one worker (analyzers::Services): each mail's sighting goes
// to the correlator, and the archives it can now try go to content inspection as this
// worker's jobs.
class PpapObserver final : public analyzers::MailObserver {
 public:
  PpapObserver(PpapCorrelator& ppap, class InspectionPool& inspection, std::size_t worker)
      : ppap_(ppap), inspection_(inspection), worker_(worker) {}
  void observe(MailSighting&& mail) override;

 private:
  PpapCorrelator& ppap_;
  class InspectionPool& inspection_;
  std::size_t worker_;
};

}  // namespace kagami::recorder
