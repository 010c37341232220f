// `kagami reanalyze`: the archived packets of a time window analysed again, to fill what the
// live analysis skipped or to hunt the past with new rules; the new records take the old ones'
// place (store/sqlite_reanalysis.cc), sessions keep their numbers.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kagami/alert/alert_dispatcher.h"
#include "kagami/capture/archive_source.h"
#include "kagami/recorder/recorder.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/cli_audit.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/display_zone.h"
#include "app/progress_line.h"

namespace kagami::app {
namespace {

struct ReanalyzeOptions {
  std::string store, config, since, until;
  int workers = -1;
  bool quiet = false;
  bool stats = false;
};

std::atomic<recorder::Recorder*> g_reanalysis{nullptr};
extern "C" void on_reanalysis_stop(int) {
  if (auto* r = g_reanalysis.load()) r->stop();
}

std::string fixed_secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

int fail(const std::string& message, int code = 1) {
  std::cerr << "error: " << message << "\n";
  return code;
}

// The first value of a one-row answer ("" when none).
std::string scalar(store::SqliteIndex& index, const std::string& sql,
                   const std::vector<store::SqlValue>& binds) {
  std::string out;
  (void)index.select(sql, binds, [&](const store::SqlRow& row) {
    if (!row.null(0)) out = row.text(0);
    return false;
  });
  return out;
}

int run_reanalyze(const ReanalyzeOptions& o) {
  if (o.quiet) spdlog::set_level(spdlog::level::warn);
  if (o.store.empty()) return fail("--store DIR is required", 2);
  const store::StoreLayout layout{o.store};
  if (!std::filesystem::exists(layout.index_path()))
    return fail(o.store + " is not a Kagami store (no index.sqlite)", 2);
  std::int64_t since = std::numeric_limits<std::int64_t>::min();
  std::int64_t until = std::numeric_limits<std::int64_t>::max();
  if (!o.since.empty()) {
    auto t = display_zone().parse(o.since);
    if (!t) return fail("--since: " + t.error().message, 2);
    since = t.value();
  }
  if (!o.until.empty()) {
    auto t = display_zone().parse(o.until);
    if (!t) return fail("--until: " + t.error().message, 2);
    until = t.value();
  }
  if (since > until) return fail("--since is after --until", 2);

  recorder::RecorderConfig cfg;
  if (!o.config.empty())
    if (auto s = load_recorder_config(o.config, cfg); !s) return fail(s.error().message, 2);
  // What the new analysis raises reaches the sinks once settled, and only what is new.
  const std::vector<alert::SinkConfig> sinks = std::move(cfg.alert_sinks);
  cfg.alert_sinks.clear();
  cfg.retention = {};  // the recording's retention runs with the recording
  cfg.store_dir = o.store;
  cfg.live = false;
  if (o.workers >= 0) cfg.workers = o.workers;

  auto opened_index =
      store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!opened_index) return fail(opened_index.error().message);
  std::unique_ptr<store::SqliteIndex> index = std::move(opened_index.value());
  store::SqliteIndex& idx = *index;
  {
    auto runs = idx.meta("analysis_runs");
    if (!runs) return fail(runs.error().message);
    cfg.analysis = static_cast<std::uint32_t>(std::strtoul(runs->c_str(), nullptr, 10)) + 1;
  }
  // Sessions found again keep their sensor; one the old analysis missed gets the store's.
  if (cfg.sensor.empty())
    cfg.sensor = scalar(idx, "SELECT sensor FROM sessions ORDER BY id DESC LIMIT 1", {});
  if (cfg.sensor.empty()) cfg.sensor = "sensor";

  // The recorder takes the store's lock (a recording into the same store must stop first),
  // undoes a reanalysis that died before settling, and recovers an unsealed packet file.
  auto opened = recorder::Recorder::open(cfg);
  if (!opened) return fail(opened.error().message);
  recorder::Recorder& rec = *opened.value();

  // Packets are read from the window's start to the end of the last session begun in it.
  std::int64_t read_until = until;
  {
    const std::string last = scalar(
        idx, "SELECT max(ts_last) FROM sessions WHERE ts_first BETWEEN ? AND ?", {since, until});
    if (!last.empty()) read_until = std::max<std::int64_t>(read_until, std::stoll(last));
  }
  auto archive = idx.archive_files();
  if (!archive) return fail(archive.error().message);
  std::vector<capture::ArchiveSource::File> files;
  std::uint64_t total = 0, evicted = 0, missing = 0;
  for (const auto& f : archive.value()) {
    if (!f.sealed || f.last_ts < since || f.first_ts > read_until) continue;
    if (f.evicted) {
      ++evicted;
      continue;
    }
    const std::string path = layout.packet_file_path(f.name);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      ++missing;
      spdlog::warn("{}: not there ({}); its sessions are kept as they are", path, ec.message());
      continue;
    }
    files.push_back({f.file_id, path, size});
    total += size;
  }
  if (files.empty()) {
    if (!o.quiet)
      std::cerr << "kagami: no packet file of the store holds packets of that time (" << evicted
                << " evicted by retention); nothing reanalysed\n";
    (void)rec.finish();
    return 0;
  }

  std::int64_t read_from = since;
  for (const auto& f : archive.value())
    for (const auto& r : files)
      if (r.file_id == f.file_id) read_from = std::min<std::int64_t>(read_from, f.first_ts);
  auto begun = idx.begin_reanalysis(rec.next_session_id(), since, until, read_from, read_until);
  if (!begun) return fail(begun.error().message);
  if (begun->run != cfg.analysis)
    return fail("the store's analysis count changed under this run; run it again");
  // Closed while the recorder writes: a second connection open in the same process kept the
  // index's write-ahead log from being checkpointed, and every write then read through it
  // (a 400 MB reanalysis: 297 s).
  index.reset();

  g_reanalysis.store(&rec);
  struct sigaction sa = {};
  sa.sa_handler = on_reanalysis_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const auto started = std::chrono::steady_clock::now();
  capture::ArchiveSource source(files);
  const recorder::CaptureCounters& cc = rec.capture_counters();
  std::atomic<bool> read_all{false};
  std::unique_ptr<ProgressLine> progress;
  if (!o.quiet && ProgressLine::wanted()) {
    progress = std::make_unique<ProgressLine>([&, total](double secs) {
      if (read_all.load()) return std::string("read; finishing the analysis and the index");
      const double done = static_cast<double>(cc.bytes.get() + 16 * cc.packets.get());
      const double rate = secs > 0 ? done / secs : 0;
      const double pct = std::min(100.0, 100.0 * done / static_cast<double>(total));
      std::string line = "reanalysing " + std::to_string(files.size()) +
                         " packet file(s): " + human_bytes(done) + " of " +
                         human_bytes(static_cast<double>(total)) + " (" +
                         std::to_string(static_cast<int>(pct)) + "%), " + human_bytes(rate) + "/s";
      if (rate > 0 && done < static_cast<double>(total))
        line += ", " + human_duration((static_cast<double>(total) - done) / rate) + " left";
      return line;
    });
  }
  Status ran = rec.run(source);
  read_all.store(true);
  const bool interrupted = rec.stopped();
  const Status finished = rec.finish();
  if (progress) progress->stop();
  g_reanalysis.store(nullptr);
  {
    auto again =
        store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
    if (!again)
      return fail(again.error().message + " (the next record or reanalyze undoes this run)");
    index = std::move(again.value());
  }
  if (!ran || !finished || interrupted) {
    // Nothing half done stays: what the run wrote goes, the old analysis stands.
    auto undone = index->abandon_reanalysis();
    if (!undone) spdlog::error("{}", undone.error().message);
    if (interrupted) {
      std::cerr << "kagami: reanalysis stopped; the store is as it was\n";
      return 1;
    }
    return fail((!ran ? ran : finished).error().message + " (the store is as it was)");
  }
  const auto settling = std::chrono::steady_clock::now();
  auto settled = index->settle_reanalysis();
  if (!settled) {
    auto undone = index->abandon_reanalysis();
    if (!undone) spdlog::error("{}", undone.error().message);
    return fail(settled.error().message + " (the store is as it was)");
  }
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - started).count();
  const double settle_secs = std::chrono::duration<double>(now - settling).count();
  const store::SqliteIndex::Settled& s = settled.value();

  // The run is in the audit log: who hunted the past, over which time, with what result.
  const nlohmann::json detail = {{"analysis", cfg.analysis},
                                 {"since", o.since},
                                 {"until", o.until},
                                 {"files", files.size()},
                                 {"bytes", total},
                                 {"packets", cc.packets.get()},
                                 {"replaced", s.replaced},
                                 {"merged", s.merged},
                                 {"added", s.added},
                                 {"kept", s.kept},
                                 {"outside", s.outside},
                                 {"new_alerts", s.new_alerts.size()},
                                 {"repeated_alerts", s.alerts_repeated},
                                 {"orphans", s.orphans},
                                 {"config", o.config}};
  if (auto a = cli_audit(layout, "reanalyze",
                         (o.since.empty() ? std::string("start") : o.since) + " .. " +
                             (o.until.empty() ? std::string("end") : o.until),
                         detail.dump());
      !a)
    spdlog::warn("{}", a.error().message);

  // Alerts no analysis raised before go where alerts go.
  if (!sinks.empty() && !s.new_alerts.empty()) {
    alert::DispatcherOptions d;
    d.queue_dir = layout.root + "/alert-queue";
    d.sensor = cfg.sensor;
    auto dispatcher = alert::AlertDispatcher::start(sinks, d);
    if (!dispatcher) {
      spdlog::error("alerts not sent: {}", dispatcher.error().message);
    } else {
      store::RecordQuery q;
      q.ids = s.new_alerts;
      (void)index->query<records::AlertRecord>(q, [&](const records::AlertRecord& a) {
        dispatcher.value()->post(a, {});
        return true;
      });
      dispatcher.value()->stop();
    }
  }
  if (!o.quiet) {
    std::cerr << "kagami: reanalysed " << cc.packets.get() << " packets of " << files.size()
              << " packet file(s) (" << human_bytes(static_cast<double>(total)) << ") in "
              << fixed_secs(secs) << " s (" << fixed_secs(settle_secs)
              << " s to settle) as analysis " << cfg.analysis << ": " << s.replaced
              << " session(s) replaced (" << s.merged << " joined into another), " << s.added
              << " added that the index lacked, " << s.kept << " kept as they were; "
              << s.new_alerts.size() << " new alert(s), " << s.alerts_repeated
              << " repeated an earlier one";
    if (s.orphans > 0)
      std::cerr << "; " << s.orphans
                << " session(s) a killed recorder had left without their row given whole";
    if (evicted + missing > 0)
      std::cerr << "; " << evicted << " packet file(s) evicted and " << missing
                << " missing: their sessions are kept as they were";
    std::cerr << "\n";
  }
  if (o.stats) rec.print_counters(std::cerr);
  return 0;
}

}  // namespace

void add_reanalyze_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReanalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "reanalyze",
      "analyse archived packets again (what the live analysis skipped, or the past with new "
      "rules): the sessions that began in the window get the new analysis's records in place "
      "of the old, under the same numbers");
  cmd->add_option("--store,-s", o->store, "store directory");
  cmd->add_option("--since", o->since,
                  "sessions that began at or after T (epoch seconds or ISO 8601; default: the "
                  "oldest)");
  cmd->add_option("--until", o->until, "sessions that began at or before T (default: the newest)");
  cmd->add_option("--config,-c", o->config,
                  "TOML settings (rules, detectors, YARA, alert sinks) of the new analysis");
  cmd->add_option("--workers,-w", o->workers, "flow worker threads (as for record)");
  cmd->add_flag("--quiet,-q", o->quiet, "no progress line or summary");
  cmd->add_flag("--stats", o->stats, "every counter at exit");
  cmd->callback([o, &exit_code] { exit_code = run_reanalyze(*o); });
}

}  // namespace kagami::app
