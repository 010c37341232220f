#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kagami/alert/alert_sink.h"
#include "kagami/alert/disk_queue.h"
#include "kagami/base/result.h"
#include "kagami/records/finding_record.h"

namespace kagami::alert {

struct DispatcherOptions {
  std::string queue_dir;                      // one folder per sink under it
  std::uint64_t queue_max_bytes = 64u << 20;  // per sink
  std::string sensor;
  int max_backoff_s = 300;         // retries of a failing sink: 1 s, 2 s, ... this
  std::size_t batch_events = 100;  // per delivery (e-mail: per message, up to 1000)
};

struct SinkCounters {
  std::atomic<std::uint64_t> delivered{0}, failures{0}, refused{0};
};

// Hands every alert to every sink whose severity bound it meets, through a queue on disk per
// sink: delivery is retried with growing waits while a sink is down, and whatever is still
// waiting at exit is delivered by the next run. E-mail goes out in batches, at most so many
// messages an hour. One thread; post() may be called from any.
class AlertDispatcher {
 public:
  static Result<std::unique_ptr<AlertDispatcher>> start(const std::vector<SinkConfig>& sinks,
                                                        const DispatcherOptions& options);
  ~AlertDispatcher();

  // Alerts are rare next to packets: a lock here costs nothing that matters.
  void post(const records::AlertRecord& alert, const std::vector<records::FindingRecord>& findings);
  // One last attempt for each sink, then the thread ends; the rest stays queued.
  void stop();

  struct SinkState;
  std::vector<std::pair<std::string, std::uint64_t>> counters() const;

 private:
  AlertDispatcher() = default;
  void run();
  void enqueue(const std::string& severity, const std::string& event);
  void attempt(SinkState& s, std::int64_t now_ms, bool final);

  DispatcherOptions options_;
  std::vector<std::unique_ptr<SinkState>> sinks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::pair<std::string, std::string>> incoming_;  // severity, event
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kagami::alert
