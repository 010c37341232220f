#include "kagami/alert/alert_dispatcher.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "kagami/alert/alert_event.h"

namespace kagami::alert {

struct AlertDispatcher::SinkState {
  SinkConfig config;
  std::unique_ptr<AlertSink> sink;
  std::unique_ptr<DiskQueue> queue;
  SinkCounters counters;
  std::int64_t next_try_ms = 0;
  std::int64_t backoff_ms = 0;
  std::int64_t first_waiting_ms = -1;  // e-mail: when the oldest undelivered alert came
  std::deque<std::int64_t> sent_ms;    // e-mail: messages in the last hour
  bool failing = false;
};

Result<std::unique_ptr<AlertDispatcher>> AlertDispatcher::start(
    const std::vector<SinkConfig>& sinks, const DispatcherOptions& options) {
  std::unique_ptr<AlertDispatcher> d(new AlertDispatcher());
  d->options_ = options;
  for (const SinkConfig& c : sinks) {
    auto sink = make_sink(c, options.sensor);
    if (!sink) return sink.error();
    auto s = std::make_unique<SinkState>();
    s->config = c;
    if (s->config.name.empty()) s->config.name = c.type;
    for (const auto& other : d->sinks_)
      if (other->config.name == s->config.name)
        return make_error("two alert sinks are named '{}': give each a name", s->config.name);
    auto q = DiskQueue::open(options.queue_dir + "/" + s->config.name, options.queue_max_bytes);
    if (!q) return q.error();
    s->sink = std::move(sink.value());
    s->queue = std::move(q.value());
    if (!s->queue->empty())
      spdlog::info("alerts: {} bytes from an earlier run wait for sink {}",
                   s->queue->pending_bytes(), s->config.name);
    d->sinks_.push_back(std::move(s));
  }
  d->thread_ = std::thread([p = d.get()] { p->run(); });
  return d;
}

AlertDispatcher::~AlertDispatcher() { stop(); }

void AlertDispatcher::post(const records::AlertRecord& alert,
                           const std::vector<records::FindingRecord>& findings) {
  std::string event = eve_json(alert, findings, options_.sensor);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    incoming_.emplace_back(alert.severity, std::move(event));
  }
  wake_.notify_one();
}

void AlertDispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AlertDispatcher::enqueue(const std::string& severity, const std::string& event) {
  for (auto& s : sinks_) {
    if (records::severity_rank(severity) < records::severity_rank(s->config.min_severity)) continue;
    if (auto st = s->queue->push(event); !st) {
      ++s->counters.refused;
      spdlog::error("alerts: sink {}: {} (the alert stays in the index)", s->config.name,
                    st.error().message);
      continue;
    }
    if (s->first_waiting_ms < 0) s->first_waiting_ms = monotonic_ms();
  }
}

void AlertDispatcher::attempt(SinkState& s, std::int64_t now, bool final) {
  if (s.queue->empty()) {
    s.first_waiting_ms = -1;
    return;
  }
  if (s.first_waiting_ms < 0) s.first_waiting_ms = now;  // left over from an earlier run
  if (!final && now < s.next_try_ms) return;
  const bool email = s.config.type == "email";
  std::size_t batch = options_.batch_events;
  if (email) {
    // One message for what gathered over batch_seconds, and no more than max_per_hour.
    while (!s.sent_ms.empty() && now - s.sent_ms.front() >= 3600 * 1000) s.sent_ms.pop_front();
    if (static_cast<int>(s.sent_ms.size()) >= s.config.max_per_hour) return;
    if (!final &&
        now - s.first_waiting_ms < static_cast<std::int64_t>(s.config.batch_seconds) * 1000)
      return;
    batch = 1000;
  }
  std::uint64_t bytes = 0;
  auto events = s.queue->peek(batch, bytes);
  if (!events) {
    spdlog::error("alerts: sink {}: {}", s.config.name, events.error().message);
    return;
  }
  const Status st = s.sink->deliver(events.value());
  if (!st) {
    ++s.counters.failures;
    s.backoff_ms = s.backoff_ms == 0
                       ? 1000
                       : std::min<std::int64_t>(s.backoff_ms * 2, options_.max_backoff_s * 1000LL);
    s.next_try_ms = now + s.backoff_ms;
    if (!s.failing)
      spdlog::warn("alerts: sink {} failed ({}); {} bytes wait on disk, retrying", s.config.name,
                   st.error().message, s.queue->pending_bytes());
    s.failing = true;
    return;
  }
  if (s.failing) spdlog::info("alerts: sink {} delivers again", s.config.name);
  s.failing = false;
  s.backoff_ms = 0;
  s.counters.delivered += events->size();
  if (email) s.sent_ms.push_back(now);
  if (auto p = s.queue->pop(bytes); !p) spdlog::error("alerts: {}", p.error().message);
  s.first_waiting_ms = s.queue->empty() ? -1 : now;
}

void AlertDispatcher::run() {
  for (;;) {
    std::vector<std::pair<std::string, std::string>> fresh;
    bool final = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(200),
                     [this] { return stopping_ || !incoming_.empty(); });
      fresh.swap(incoming_);
      final = stopping_;
    }
    for (const auto& [severity, event] : fresh) enqueue(severity, event);
    const std::int64_t now = monotonic_ms();
    for (auto& s : sinks_) {
      // A sink with a backlog delivers batch after batch while it keeps accepting.
      for (int round = 0; round < 100 && !s->queue->empty(); ++round) {
        const std::uint64_t before = s->counters.delivered;
        attempt(*s, now, final);
        if (s->counters.delivered == before) break;
      }
    }
    if (final) return;
  }
}

std::vector<std::pair<std::string, std::uint64_t>> AlertDispatcher::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& s : sinks_) {
    const std::string p = "alert." + s->config.name + ".";
    out.emplace_back(p + "delivered", s->counters.delivered.load());
    out.emplace_back(p + "failures", s->counters.failures.load());
    out.emplace_back(p + "refused", s->counters.refused.load());
  }
  return out;
}

}  // namespace kagami::alert
