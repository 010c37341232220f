#include "kagami/recorder/ppap_correlator.h"

#include <algorithm>

#include "kagami/base/ascii.h"
#include "kagami/recorder/inspection_pool.h"

namespace kagami::recorder {
namespace {

bool share_a_recipient(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) return true;
    if (a[i] < b[j])
      ++i;
    else
      ++j;
  }
  return false;
}

}  // namespace

void PpapCorrelator::pair(const MailSighting& archives, const MailSighting& passwords,
                          std::vector<PpapJob>& out) {
  if (archives.archives.empty() || passwords.passwords.empty()) return;
  std::shared_ptr<PpapTry> t;
  for (const auto& [file, event] : archives.archives) {
    auto key = std::make_pair(file.sha256, passwords.mail_id);
    if (!tried_.insert(key).second) continue;
    tried_order_.push_back(std::move(key));
    if (tried_order_.size() > options_.max_tried) {
      tried_.erase(tried_order_.front());
      tried_order_.pop_front();
    }
    if (!t) {
      t = std::make_shared<PpapTry>();
      t->passwords = passwords.passwords;
      t->password_mail_id = passwords.mail_id;
      t->archive_mail_id = archives.mail_id;
      t->password_message = passwords.message;
    }
    out.push_back(PpapJob{file, event, t});
    ++pairs_;
  }
}

namespace {

bool before(const MailSighting* a, const MailSighting* b) {
  return a->ts != b->ts ? a->ts < b->ts : a->mail_id < b->mail_id;
}

// The archive mails a password mail is for, among one conversation's mails in time order:
// those since the conversation's previous password mail (PPAP: zips, then their password;
// more zips, then theirs), within the window. A password mail with none of its own repeats
// or corrects the previous one and is for that one's archives.
std::vector<const MailSighting*> archives_for(const std::vector<const MailSighting*>& conversation,
                                              const MailSighting* password, TimeNs window,
                                              int depth = 0) {
  const MailSighting* previous = nullptr;
  for (const MailSighting* m : conversation)
    if (m != password && !m->passwords.empty() && before(m, password)) previous = m;
  std::vector<const MailSighting*> out;
  for (const MailSighting* m : conversation) {
    if (m == password || m->archives.empty() || !before(m, password)) continue;
    if (previous != nullptr && !before(previous, m)) continue;
    if (m->ts + window < password->ts) continue;
    out.push_back(m);
  }
  if (out.empty() && previous != nullptr && depth < 3)
    return archives_for(conversation, previous, window, depth + 1);
  return out;
}

}  // namespace

std::vector<PpapJob> PpapCorrelator::observe(MailSighting&& mail) {
  std::vector<PpapJob> out;
  if (!options_.enabled || (mail.archives.empty() && mail.passwords.empty())) return out;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!mail.passwords.empty()) ++password_mails_;
  if (!mail.archives.empty()) ++archive_mails_;
  recent_.push_back(std::move(mail));
  const MailSighting& now = recent_.back();  // a deque keeps references on push_back
  // A password in the mail that carries the archive is PPAP done wrong, and still a password.
  pair(now, now, out);
  // The conversation: the same sender, a recipient in common, near in packet time (workers
  // may hand mails over slightly out of order, so it is judged by time, not arrival).
  std::vector<const MailSighting*> conversation;
  if (!now.sender.empty()) {
    for (const MailSighting& m : recent_) {
      if (&m != &now &&
          (m.sender != now.sender || !share_a_recipient(m.recipients, now.recipients)))
        continue;
      const TimeNs gap = m.ts > now.ts ? m.ts - now.ts : now.ts - m.ts;
      if (gap <= 2 * options_.window_ns) conversation.push_back(&m);
    }
    std::sort(conversation.begin(), conversation.end(), before);
  }
  if (!now.passwords.empty())
    for (const MailSighting* a : archives_for(conversation, &now, options_.window_ns))
      pair(*a, now, out);
  if (!now.archives.empty()) {
    for (const MailSighting* p : conversation) {
      if (p == &now || p->passwords.empty() || !before(&now, p)) continue;
      const auto for_p = archives_for(conversation, p, options_.window_ns);
      if (std::find(for_p.begin(), for_p.end(), &now) != for_p.end()) pair(now, *p, out);
    }
  }
  latest_ = std::max(latest_, now.ts);
  // Forget what no later mail can pair with: older than twice the window before the latest
  // seen (packet time), or beyond the bound.
  while (!recent_.empty() && (recent_.size() > options_.max_messages ||
                              recent_.front().ts + 2 * options_.window_ns < latest_)) {
    recent_.pop_front();
    ++forgotten_;
  }
  return out;
}

void PpapObserver::observe(MailSighting&& mail) {
  for (PpapJob& j : ppap_.observe(std::move(mail)))
    inspection_.submit(worker_,
                       InspectionJob{std::move(j.file), std::move(j.event), std::move(j.ppap), {}});
}

}  // namespace kagami::recorder
