#include "kagami/recorder/retention_runner.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kagami/base/quantity.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::recorder {

Result<std::unique_ptr<RetentionRunner>> RetentionRunner::start(
    const store::StoreLayout& layout, const store::RetentionPolicy& policy,
    store::SealManifest& manifest, std::chrono::milliseconds interval) {
  if (auto s = policy.check(); !s) return s.error();
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!index) return index.error();
  std::unique_ptr<RetentionRunner> r(
      new RetentionRunner(std::move(index.value()), layout, policy, manifest, interval));
  r->thread_ = std::thread([p = r.get()] { p->loop(); });
  return r;
}

RetentionRunner::RetentionRunner(std::unique_ptr<store::SqliteIndex> index,
                                 const store::StoreLayout& layout,
                                 const store::RetentionPolicy& policy,
                                 store::SealManifest& manifest, std::chrono::milliseconds interval)
    : index_(std::move(index)), retention_(layout, policy, manifest), interval_(interval) {}

RetentionRunner::~RetentionRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionRunner::nudge(bool disk_full) {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
    disk_full_ = disk_full_ || disk_full;
  }
  wake_.notify_all();
}

void RetentionRunner::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return nudged_ || stopping_; });
    if (stopping_) break;
    const bool disk_full = disk_full_;
    nudged_ = disk_full_ = false;
    lock.unlock();
    if (auto s = pass(disk_full); !s) {
      ++counters_.errors;
      spdlog::error("retention: {}", s.error().message);
    }
    lock.lock();
  }
}

Status RetentionRunner::finish() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  return pass(false);
}

Status RetentionRunner::pass(bool disk_full) {
  ++counters_.runs;
  auto run = retention_.run(*index_, wall_clock_ns(), disk_full);
  if (!run) return run.error();
  counters_.files_evicted += run->evicted.size();
  counters_.bytes_evicted += run->bytes_freed;
  counters_.sessions_flagged += run->sessions_flagged;
  counters_.sessions_deleted += run->sessions_deleted;
  counters_.objects_deleted += run->objects_deleted;
  for (const auto& p : run->problems) {
    ++counters_.errors;
    spdlog::warn("retention: {}", p);
  }
  counters_.sessions_deleted_early += run->sessions_deleted_early;
  if (run->sessions_deleted_early > 0 && !early_said_) {
    // Said once per run of the recorder (each pass would repeat it): the limit holds, at the
    // cost of metadata the policy meant to keep longer.
    early_said_ = true;
    spdlog::warn(
        "retention: the store reached its limit ({}) with no packet file left to evict: the "
        "sessions of the oldest evicted packet files go before their metadata horizon ({} so "
        "far; retention.sessions_deleted_early); raise the limit or keep less metadata "
        "(--retain-metadata-age) to keep them",
        retention_.policy().describe(), run->sessions_deleted_early);
  }
  if (run->limit_unmet) {
    ++counters_.limit_unmet;
    // Nothing evictable is left: what remains is evidence (its sessions and objects are not
    // removed for size) and the index of what is still recorded.
    spdlog::warn(
        "retention: the store is still over its limit ({}) with nothing evictable left: "
        "evidence, the open packet file and the index weigh about {}; raise the limit",
        retention_.policy().describe(), format_size(run->store_bytes));
  }
  if (!run->changed()) return {};
  spdlog::info(
      "retention: evicted {} packet file(s) ({}), {} session(s) lost packets; removed {} "
      "session(s), {} record(s), {} object(s); store now {}",
      run->evicted.size(), format_size(run->bytes_freed), run->sessions_flagged,
      run->sessions_deleted, run->records_deleted, run->objects_deleted,
      format_size(run->store_bytes));
  std::string object;
  for (const auto& e : run->evicted) object += (object.empty() ? "packets:" : ",") + e;
  if (object.empty()) object = "metadata";
  const nlohmann::json detail = {{"files", run->evicted.size()},
                                 {"bytes", run->bytes_freed},
                                 {"sessions_flagged", run->sessions_flagged},
                                 {"sessions_deleted", run->sessions_deleted},
                                 {"records_deleted", run->records_deleted},
                                 {"objects_deleted", run->objects_deleted},
                                 {"store_bytes", run->store_bytes},
                                 {"policy", retention_.policy().describe()}};
  store::IndexGate gate(retention_.index_gate());
  return store::audit(*index_, "kagami", "retention", "evict", object.substr(0, 2000),
                      detail.dump());
}

}  // namespace kagami::recorder
