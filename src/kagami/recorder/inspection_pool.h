#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kagami/alert/alert_dispatcher.h"
#include "kagami/base/counter.h"
#include "kagami/base/spsc_queue.h"
#include "kagami/content/file_typer.h"
#include "kagami/inspect/alert_policy.h"
#include "kagami/inspect/inspector.h"
#include "kagami/recorder/ppap_correlator.h"
#include "kagami/recorder/store_writer.h"
#include "kagami/records/file_record.h"
#include "kagami/store/file_store.h"

namespace kagami::recorder {

// One sighting of an extracted object, to be inspected; with `ppap`, an archive to open with
// the passwords a mail gave; with `notable`, no object: what a record says happened (a
// service created remotely), judged by the alert policy as it is.
struct InspectionJob {
  records::FileRecord file;
  records::FileEvent event;
  std::shared_ptr<const PpapTry> ppap;
  std::vector<inspect::ObjectFinding> notable;
};

struct InspectionCounters {
  Counter inspected, cache_hits, findings, alerts, too_large, unreadable, flagged;
  Counter ppap_tried, ppap_opened, ppap_not_opened, ppap_members;
  template <typename F>
  void visit(F&& f) const {
    f("inspect.objects", inspected);
    f("inspect.cache_hits", cache_hits);
    f("inspect.findings", findings);
    f("inspect.alerts", alerts);
    f("inspect.too_large", too_large);
    f("inspect.unreadable", unreadable);
    f("inspect.flagged", flagged);
    f("inspect.ppap_tried", ppap_tried);
    f("inspect.ppap_opened", ppap_opened);
    f("inspect.ppap_not_opened", ppap_not_opened);
    f("inspect.ppap_members", ppap_members);
  }
};

// Text that earns a place in the full-text index: every object that leaves (uploads, outgoing
// mail: what an investigation of a leak searches), and, of what comes in, documents (office,
// PDF, RTF, plain text, CSV, mail). Web pages, scripts, styles and data feeds are most of what a
// network brings in: in bench/analyzers_bench.sh 116 of 163 MiB of extracted text, which the
// trigram index took in at about 12 MiB/s on the store writer's thread, a quarter of the
// recorder's speed. They are still inspected (their findings and URLs are searchable) and their
// text is still kept in the file store.
bool searchable_text(std::string_view mime, std::string_view direction);

struct InspectionPoolOptions {
  std::size_t threads = 1;
  std::size_t queue_jobs = 1024;                // per worker
  std::uint64_t max_object_bytes = 256u << 20;  // larger objects are flagged, not read
  std::size_t cache_entries = 4096;             // per thread: objects seen again are not re-read
  std::size_t search_text_bytes = 1u << 20;     // of each object's text, into the full-text index
  bool live = false;  // a live source: a full queue drops the job (counted), never waits
};

// Inspects what the workers extract, off their threads: each worker hands sightings to one
// pool thread through a queue of its own; the thread reads the object back from the file
// store, runs the inspector (once per content, remembered for repeats), judges the findings
// by the alert policy, and hands findings, alerts and the inspection's flags to the store
// writer as a producer of its own. An archive a password mail may open (PPAP) is opened
// here too: each member, decrypted, becomes an object of its own, stored, listed with the
// archive's mail and inspected like any attachment.
class InspectionPool {
 public:
  InspectionPool(std::shared_ptr<const inspect::Inspector> inspector, inspect::AlertPolicy policy,
                 store::FileStore& files, StoreWriter& writer, std::size_t first_producer,
                 std::size_t workers, InspectionPoolOptions options, std::uint64_t next_finding_id,
                 std::uint64_t next_alert_id, alert::AlertDispatcher* dispatcher,
                 std::atomic<std::uint64_t>* next_event_id = nullptr);
  ~InspectionPool();

  // From worker `worker`'s thread only.
  void submit(std::size_t worker, InspectionJob&& job);
  Status start();
  // Inspects everything submitted so far, then stops the threads.
  void stop();

  std::vector<std::pair<std::string, std::uint64_t>> counters() const;
  std::uint64_t dropped() const;

 private:
  struct Cached {
    std::vector<inspect::ObjectFinding> findings;
  };
  struct Thread {
    std::thread thread;
    std::vector<std::size_t> queues;  // the workers it serves
    std::unique_ptr<inspect::Inspector::Worker> worker;
    std::unique_ptr<content::FileTyper> typer;  // for what a PPAP archive holds
    InspectionCounters counters;
    std::list<std::string> lru;  // most recent first
    std::unordered_map<std::string, std::pair<Cached, std::list<std::string>::iterator>> cache;
  };
  void run(Thread& t, std::size_t index);
  void process(Thread& t, std::size_t index, InspectionJob& job);
  const Cached& inspect_object(Thread& t, const InspectionJob& job, StoreBatch& batch);
  // The object's findings judged: an alert if the policy says so, every finding recorded
  // (with `only_alerts`, only those that raised one).
  void record_findings(Thread& t, const records::FileEvent& event, const std::string& sha256,
                       const std::vector<inspect::ObjectFinding>& findings, StoreBatch& batch,
                       bool only_alerts = false);
  void open_ppap(Thread& t, const InspectionJob& job, StoreBatch& batch);
  Result<std::string> read_object(const std::string& sha256);

  std::shared_ptr<const inspect::Inspector> inspector_;
  inspect::AlertPolicy policy_;
  store::FileStore& files_;
  StoreWriter& writer_;
  std::size_t first_producer_;
  InspectionPoolOptions options_;
  std::vector<std::unique_ptr<SpscQueue<InspectionJob>>> queues_;  // one per worker
  std::vector<std::unique_ptr<Counter>> dropped_;                  // per worker
  std::vector<std::unique_ptr<Thread>> threads_;
  std::atomic<std::uint64_t> next_finding_id_, next_alert_id_;
  std::atomic<bool> stopping_{false};
  alert::AlertDispatcher* dispatcher_;         // may be null: alerts go to the index only
  std::atomic<std::uint64_t>* next_event_id_;  // the workers' file-event ids; null: no PPAP
};

}  // namespace kagami::recorder
