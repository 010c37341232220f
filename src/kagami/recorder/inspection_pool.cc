#include "kagami/recorder/inspection_pool.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "kagami/base/backoff.h"
#include "kagami/content/archive_unlock.h"

namespace kagami::recorder {

bool searchable_text(std::string_view mime, std::string_view direction) {
  if (direction == "sent") return true;
  const auto semicolon = mime.find(';');
  if (semicolon != std::string_view::npos) mime = mime.substr(0, semicolon);
  for (const std::string_view web :
       {"text/html", "application/xhtml+xml", "text/css", "text/javascript",
        "application/javascript", "application/x-javascript", "application/ecmascript",
        "application/json", "text/xml", "application/xml", "image/svg+xml"})
    if (mime == web) return false;
  return !mime.ends_with("+json") && !mime.ends_with("+xml");
}

namespace {

// "jp_my_number x12 (high); keyword x1 (high)": what an alert's findings were, in one line.
std::string summary(const std::vector<inspect::ObjectFinding>& findings,
                    const std::vector<inspect::Severity>& severity) {
  std::string s;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (severity[i] == inspect::Severity::kInfo) continue;
    const auto& f = findings[i];
    if (!s.empty()) s += "; ";
    s += f.detector + " x" + std::to_string(f.count) + " (" +
         std::string(inspect::confidence_name(f.confidence)) + ")";
  }
  return s;
}

}  // namespace

InspectionPool::InspectionPool(std::shared_ptr<const inspect::Inspector> inspector,
                               inspect::AlertPolicy policy, store::FileStore& files,
                               StoreWriter& writer, std::size_t first_producer, std::size_t workers,
                               InspectionPoolOptions options, std::uint64_t next_finding_id,
                               std::uint64_t next_alert_id, alert::AlertDispatcher* dispatcher,
                               std::atomic<std::uint64_t>* next_event_id)
    : inspector_(std::move(inspector)),
      policy_(std::move(policy)),
      files_(files),
      writer_(writer),
      first_producer_(first_producer),
      options_(options),
      next_finding_id_(next_finding_id),
      next_alert_id_(next_alert_id),
      dispatcher_(dispatcher),
      next_event_id_(next_event_id) {
  if (options_.threads == 0) options_.threads = 1;
  for (std::size_t w = 0; w < workers; ++w) {
    queues_.push_back(std::make_unique<SpscQueue<InspectionJob>>(options_.queue_jobs));
    dropped_.push_back(std::make_unique<Counter>());
  }
  for (std::size_t t = 0; t < options_.threads; ++t) threads_.push_back(std::make_unique<Thread>());
  for (std::size_t w = 0; w < workers; ++w) threads_[w % options_.threads]->queues.push_back(w);
}

InspectionPool::~InspectionPool() { stop(); }

Status InspectionPool::start() {
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    auto w = inspector_->worker();
    if (!w) return w.error();
    threads_[i]->worker = std::move(w.value());
    threads_[i]->typer = std::make_unique<content::FileTyper>();
  }
  for (std::size_t i = 0; i < threads_.size(); ++i)
    threads_[i]->thread = std::thread([this, i] { run(*threads_[i], i); });
  return {};
}

void InspectionPool::submit(std::size_t worker, InspectionJob&& job) {
  SpscQueue<InspectionJob>& q = *queues_[worker];
  if (q.try_push(std::move(job))) return;
  if (options_.live) {
    // Capture must not wait on content inspection: the object stays stored and listed, and
    // `inspect.dropped` says how many were not inspected.
    ++*dropped_[worker];
    return;
  }
  Backoff b;
  while (!q.try_push(std::move(job))) b.wait();
}

void InspectionPool::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& t : threads_)
    if (t->thread.joinable()) t->thread.join();
}

void InspectionPool::run(Thread& t, std::size_t index) {
  Backoff backoff;
  InspectionJob job;
  for (;;) {
    bool any = false;
    for (std::size_t w : t.queues) {
      while (queues_[w]->try_pop(job)) {
        any = true;
        process(t, index, job);
      }
    }
    if (any) {
      backoff.reset();
      continue;
    }
    // Stopping: the workers have ended, so the queues, now empty, stay empty.
    if (stopping_.load(std::memory_order_acquire)) return;
    backoff.wait();
  }
}

const InspectionPool::Cached& InspectionPool::inspect_object(Thread& t, const InspectionJob& job,
                                                             StoreBatch& batch) {
  const std::string& sha = job.file.sha256;
  if (auto it = t.cache.find(sha); it != t.cache.end()) {
    ++t.counters.cache_hits;
    t.lru.splice(t.lru.begin(), t.lru, it->second.second);
    return it->second.first;
  }
  records::InspectionRecord rec;
  rec.sha256 = sha;
  rec.ts = job.event.ts;
  Cached c;
  if (job.file.size > options_.max_object_bytes) {
    ++t.counters.too_large;
    rec.flags = "too_large";
    rec.note = "larger than " + std::to_string(options_.max_object_bytes) + " bytes: not read";
  } else {
    Result<std::string> read = read_object(sha);
    if (!read) {
      ++t.counters.unreadable;
      rec.flags = "unreadable";
      rec.note = read.error().message;
    } else {
      const std::string& data = read.value();
      std::string text;
      inspect::Inspection in =
          inspector_->inspect(*t.worker, as_bytes(data), sha, job.event.name, job.file.mime, &text);
      rec.text_bytes = in.text_bytes;
      // The text is kept for later search, as an object of its own (unless it is the object).
      if (!text.empty() && text != data) {
        auto w = files_.open();
        w->write(as_bytes(text));
        const store::StoredFile stored = w->commit();
        if (stored.error.empty()) rec.text_sha256 = stored.sha256;
      }
      rec.flags = in.flags();
      rec.note = !in.extract.note.empty() ? in.extract.note : in.errors;
      if (searchable_text(job.file.mime, job.event.direction)) rec.search_text = std::move(text);
      if (rec.search_text.size() > options_.search_text_bytes) {
        // Cut on a character boundary: the index is text, half a character is not.
        std::size_t cut = options_.search_text_bytes;
        while (cut > 0 && (static_cast<unsigned char>(rec.search_text[cut]) & 0xC0) == 0x80) --cut;
        rec.search_text.resize(cut);
      }
      c.findings = std::move(in.findings);
    }
  }
  ++t.counters.inspected;
  if (!rec.flags.empty()) ++t.counters.flagged;
  rec.findings = static_cast<std::uint32_t>(c.findings.size());
  batch.inspections.push_back(std::move(rec));
  if (t.cache.size() >= options_.cache_entries && !t.lru.empty()) {
    t.cache.erase(t.lru.back());
    t.lru.pop_back();
  }
  t.lru.push_front(sha);
  auto [it, inserted] = t.cache.emplace(sha, std::make_pair(std::move(c), t.lru.begin()));
  return it->second.first;
}

Result<std::string> InspectionPool::read_object(const std::string& sha256) {
  // Straight into the string: an object may be hundreds of MiB, so no second copy.
  std::string out;
  cookie_io_functions_t io{};
  io.write = [](void* into, const char* buf, std::size_t n) -> ssize_t {
    static_cast<std::string*>(into)->append(buf, n);
    return static_cast<ssize_t>(n);
  };
  std::FILE* f = fopencookie(&out, "w", io);
  if (f == nullptr) return make_error("out of memory");
  const Status read = files_.read(sha256, f);
  std::fclose(f);
  if (!read) return read.error();
  return out;
}

void InspectionPool::record_findings(Thread& t, const records::FileEvent& e,
                                     const std::string& sha256,
                                     const std::vector<inspect::ObjectFinding>& findings,
                                     StoreBatch& batch, bool only_alerts) {
  if (findings.empty()) return;
  const inspect::AlertPolicy::Verdict v = policy_.judge(findings, e.direction, e.user, e.host);
  std::uint64_t alert_id = 0;
  const bool alerted = v.severity >= inspect::Severity::kLow;
  if (only_alerts && !alerted) return;
  auto& found = batch.of<records::FindingRecord>();
  auto& raised = batch.of<records::AlertRecord>();
  const std::size_t first_finding = found.size();
  if (alerted) {
    records::AlertRecord a;
    a.id = alert_id = next_alert_id_.fetch_add(1, std::memory_order_relaxed);
    a.ts = e.ts;
    a.severity = std::string(inspect::severity_name(v.severity));
    a.title = v.title;
    a.session_id = e.session_id;
    a.file_event_id = e.id;
    a.sha256 = sha256;
    a.endpoints = e.endpoints;
    a.protocol = e.protocol;
    a.direction = e.direction;
    a.file_name = e.name;
    a.user = e.user;
    a.host = e.host;
    a.findings = summary(findings, v.per_finding);
    raised.push_back(std::move(a));
    ++t.counters.alerts;
  }
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const inspect::ObjectFinding& f = findings[i];
    records::FindingRecord r;
    r.id = next_finding_id_.fetch_add(1, std::memory_order_relaxed);
    r.sha256 = sha256;
    r.session_id = e.session_id;
    r.file_event_id = e.id;
    r.endpoints = e.endpoints;
    r.ts = e.ts;
    r.protocol = e.protocol;
    r.direction = e.direction;
    r.file_name = e.name;
    r.detector = f.detector;
    r.confidence = std::string(inspect::confidence_name(f.confidence));
    r.count = f.count;
    r.severity = std::string(inspect::severity_name(v.per_finding[i]));
    r.sample = f.sample;
    r.member = f.member;
    r.alert_id = v.per_finding[i] >= inspect::Severity::kLow ? alert_id : 0;
    found.push_back(std::move(r));
    ++t.counters.findings;
  }
  if (dispatcher_ != nullptr && alerted) {
    const std::vector<records::FindingRecord> these(
        found.begin() + static_cast<std::ptrdiff_t>(first_finding), found.end());
    dispatcher_->post(raised.back(), these);
  }
}

void InspectionPool::process(Thread& t, std::size_t index, InspectionJob& job) {
  auto batch = std::make_unique<StoreBatch>();
  if (job.ppap) {
    open_ppap(t, job, *batch);
  } else if (!job.notable.empty()) {
    // The record already says what happened; only what the policy calls an alert is a finding
    // (the record itself is the rest's trace).
    record_findings(t, job.event, "", job.notable, *batch, true);
  } else {
    const Cached& c = inspect_object(t, job, *batch);
    record_findings(t, job.event, job.file.sha256, c.findings, *batch);
  }
  writer_.push(first_producer_ + index, std::move(batch));
}

void InspectionPool::open_ppap(Thread& t, const InspectionJob& job, StoreBatch& batch) {
  const PpapTry& p = *job.ppap;
  const records::FileEvent& archive = job.event;
  if (next_event_id_ == nullptr || job.file.size > options_.max_object_bytes) return;
  Result<std::string> bytes = read_object(job.file.sha256);
  if (!bytes) {
    ++t.counters.unreadable;
    return;
  }
  ++t.counters.ppap_tried;
  const std::string password_mail = "mail " + std::to_string(p.password_mail_id);
  const content::Unlock u = content::unlock_archive(
      as_bytes(bytes.value()), p.passwords, inspector_->extract_limits(),
      [&](const std::string& path, ByteView data) {
        // Each member, decrypted, is an object of the archive's mail: stored, listed and
        // inspected like an attachment.
        auto w = files_.open();
        w->write(data);
        const store::StoredFile stored = w->commit();
        if (!stored.error.empty()) {
          ++t.counters.unreadable;
          return;
        }
        InspectionJob member;
        member.file.sha256 = stored.sha256;
        member.file.md5 = stored.md5;
        member.file.size = stored.size;
        member.file.mime = t.typer->mime(data.first(std::min<std::size_t>(data.size(), 4096)));
        member.file.first_seen = archive.ts;
        member.event = archive;
        member.event.id = next_event_id_->fetch_add(1, std::memory_order_relaxed);
        member.event.sha256 = stored.sha256;
        member.event.name = archive.name + "/" + path;
        member.event.field = "decrypted";
        member.event.claimed_type.clear();
        member.event.partial = false;
        member.event.note = "decrypted with the password in " + password_mail;
        batch.objects.push_back(member.file);
        batch.object_events.push_back(member.event);
        ++t.counters.ppap_members;
        const Cached& c = inspect_object(t, member, batch);
        record_findings(t, member.event, member.file.sha256, c.findings, batch);
      });
  if (u.status == content::Unlock::Status::kNotEncrypted) return;  // nothing to link
  const bool opened = u.status == content::Unlock::Status::kOpened;
  ++(opened ? t.counters.ppap_opened : t.counters.ppap_not_opened);
  // The link, on both mails: on the archive, which mail's password opened it (or did not);
  // on the password mail, which archive it opens. Neither shows the password.
  inspect::ObjectFinding on_archive;
  on_archive.detector = opened ? "ppap_opened" : "ppap_not_opened";
  on_archive.confidence = opened ? inspect::Confidence::kHigh : inspect::Confidence::kLow;
  on_archive.count = opened ? u.members : 1;
  on_archive.sample = opened ? "password in " + password_mail + (u.truncated ? "; " + u.note : "")
                             : password_mail + ": " + u.note;
  record_findings(t, archive, job.file.sha256, {on_archive}, batch);
  if (p.password_message.id != 0) {
    inspect::ObjectFinding on_password;
    on_password.detector = "ppap_password";
    on_password.confidence = on_archive.confidence;
    on_password.count = 1;
    on_password.sample = std::string(opened ? "opens " : "does not open ") + archive.name +
                         " in mail " + std::to_string(p.archive_mail_id);
    record_findings(t, p.password_message, p.password_message.sha256, {on_password}, batch);
  }
}

std::vector<std::pair<std::string, std::uint64_t>> InspectionPool::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::vector<std::string> order;
  std::unordered_map<std::string, std::uint64_t> sum;
  for (const auto& t : threads_) {
    t->counters.visit([&](const char* name, const Counter& c) {
      if (!sum.count(name)) order.emplace_back(name);
      sum[name] += c.get();
    });
  }
  for (const auto& name : order) out.emplace_back(name, sum[name]);
  out.emplace_back("inspect.dropped", dropped());
  return out;
}

std::uint64_t InspectionPool::dropped() const {
  std::uint64_t n = 0;
  for (const auto& d : dropped_) n += d->get();
  return n;
}

}  // namespace kagami::recorder
