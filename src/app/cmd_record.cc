#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "kagami/base/private_files.h"
#include "kagami/capture/live_source.h"
#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_over_ip_source.h"
#include "kagami/console/metrics_server.h"
#include "kagami/recorder/recorder.h"

#include "app/commands.h"
#include "app/config.h"
#include "app/privileges.h"
#include "app/progress_line.h"
#include "app/status_file.h"

namespace kagami::app {
namespace {

// What the recorder says of itself for `kagami status` (STORE/status/recorder.json): its
// source, its counters as the capture thread last took them, the rates since the last word,
// and the room left on the store's file system.
class RecorderStatus {
 public:
  RecorderStatus(const recorder::Recorder& rec, std::string store, std::string source,
                 std::string retention)
      : rec_(rec),
        store_(std::move(store)),
        source_(std::move(source)),
        retention_(std::move(retention)) {}
  // The source as it names itself once open (a listening port chosen by the system).
  void source(std::string name) {
    std::lock_guard lock(mutex_);
    source_ = std::move(name);
  }
  void write(double secs, bool last) {
    nlohmann::json j;
    {
      std::lock_guard lock(mutex_);
      j["source"] = source_;
    }
    j["state"] = last ? "stopped" : "recording";
    j["retention"] = retention_;
    nlohmann::json counters = nlohmann::json::object();
    std::uint64_t packets = 0, bytes = 0;
    for (const auto& [name, value] : rec_.counters_snapshot()) {
      counters[name] = value;
      if (name == "capture.packets") packets = value;
      if (name == "capture.bytes") bytes = value;
    }
    j["recorder"] = std::move(counters);
    const double dt = secs - last_secs_;
    if (!last && dt > 0 && packets >= last_packets_ && bytes >= last_bytes_)
      j["rates"] = {{"packets_per_s", static_cast<double>(packets - last_packets_) / dt},
                    {"bits_per_s", static_cast<double>(bytes - last_bytes_) * 8 / dt}};
    last_secs_ = secs;
    last_packets_ = packets;
    last_bytes_ = bytes;
    if (auto room = disk_room(store_); !room.is_null()) j["disk"] = std::move(room);
    // Said once while it fails (a full disk would repeat it every 2 s), and again once it works.
    if (auto st = write_status(status_path(store_, "recorder"), j); !st) {
      if (!status_failing_) spdlog::warn("{} (said once until it works again)", st.error().message);
      status_failing_ = true;
    } else {
      status_failing_ = false;
    }
  }

 private:
  const recorder::Recorder& rec_;
  std::string store_;
  std::mutex mutex_;  // the source's name, set while the status is being written
  std::string source_;
  std::string retention_;  // the policy, described
  bool status_failing_ = false;
  double last_secs_ = 0;
  std::uint64_t last_packets_ = 0, last_bytes_ = 0;
};

// Signal handlers can reach only these; main() owns the objects.
std::atomic<recorder::Recorder*> g_recorder{nullptr};
std::atomic<capture::PacketSource*> g_live{nullptr};

extern "C" void on_stop_signal(int) {
  if (auto* r = g_recorder.load()) r->stop();
  if (auto* l = g_live.load()) l->break_loop();
}
extern "C" void on_stats_signal(int) {
  if (auto* r = g_recorder.load()) r->request_stats();
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_stats_signal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "sensor";
  return buf;
}

struct RecordOptions {
  std::vector<std::string> read;
  std::string interface;
  std::string pcap_over_ip, pcap_over_ip_listen;
  std::string metrics;  // ADDR:PORT for Prometheus
  std::string filter;
  std::string store;
  std::string config;
  std::string sensor;
  int workers = -1;
  std::size_t buffer_mb = 256;
  bool quiet = false;
  bool stats = false;
  bool print_config = false;
  bool no_analyzers = false;
  std::string user;
  RetentionFlags retention;
};

int run_record(const RecordOptions& o) {
  if (o.print_config) {
    std::cout << default_config_toml();
    return 0;
  }
  if (o.quiet) spdlog::set_level(spdlog::level::warn);
  if (o.store.empty()) {
    std::cerr << "error: --store DIR is required\n";
    return 2;
  }
  const int inputs = (o.read.empty() ? 0 : 1) + (o.interface.empty() ? 0 : 1) +
                     (o.pcap_over_ip.empty() ? 0 : 1) + (o.pcap_over_ip_listen.empty() ? 0 : 1);
  if (inputs != 1) {
    std::cerr << "error: give one of --read FILE..., --interface IF, --pcap-over-ip ADDR:PORT "
                 "or --pcap-over-ip-listen ADDR:PORT\n";
    return 2;
  }
  recorder::RecorderConfig cfg;
  if (!o.config.empty()) {
    if (auto s = load_recorder_config(o.config, cfg); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 2;
    }
  }
  if (auto s = apply_retention_flags(o.retention, cfg.retention); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 2;
  }
  cfg.store_dir = o.store;
  if (!o.sensor.empty()) cfg.sensor = o.sensor;
  if (cfg.sensor.empty()) cfg.sensor = host_name();
  if (o.workers >= 0) cfg.workers = o.workers;
  cfg.live = o.read.empty();
  if (o.no_analyzers) cfg.analyze = false;

  warn_if_not_private(cfg.store_dir, "store");
  auto opened = recorder::Recorder::open(cfg);
  if (!opened) {
    std::cerr << "error: " << opened.error().message << "\n";
    return 1;
  }
  recorder::Recorder& rec = *opened.value();
  g_recorder.store(&rec);
  install_signal_handlers();
  std::unique_ptr<console::MetricsServer> metrics;
  if (!o.metrics.empty()) {
    auto m = console::MetricsServer::start(o.metrics, [&rec] { return rec.counters_snapshot(); });
    if (!m) {
      std::cerr << "error: " << m.error().message << "\n";
      g_recorder.store(nullptr);
      (void)rec.finish();
      return 1;
    }
    metrics = std::move(m.value());
    if (!o.quiet) std::cerr << "kagami: metrics on port " << metrics->port() << " (/metrics)\n";
  }

  const std::string described =
      !o.read.empty()      ? std::to_string(o.read.size()) + " file(s)"
      : !o.interface.empty() ? "interface " + o.interface
      : !o.pcap_over_ip.empty() ? "pcap-over-ip from " + o.pcap_over_ip
                                : "pcap-over-ip listening on " + o.pcap_over_ip_listen;
  RecorderStatus said(rec, o.store, described, cfg.retention.describe());
  Periodic status_every(2000, [&said](double secs, bool last) { said.write(secs, last); });
  const auto started = std::chrono::steady_clock::now();
  int exit_code = 0;
  std::size_t sources = 0;
  const recorder::CaptureCounters& cc = rec.capture_counters();
  // On a terminal: how the job goes, until the store is complete (an import is read long
  // before its analysis and index are done). What the line reads is declared before it.
  std::atomic<bool> read_all{false};
  std::atomic<std::size_t> current{0};
  std::unique_ptr<ProgressLine> progress;
  if (!o.read.empty()) {
    // Files need no privilege: an import changes user only when told to (and the user must be
    // able to read them).
    if (!o.user.empty()) {
      auto u = drop_privileges(o.user, {o.store});
      if (!u) {
        std::cerr << "error: " << u.error().message << "\n";
        g_recorder.store(nullptr);
        (void)rec.finish();
        return 1;
      }
    }
    // The files' sizes, for the progress line: how far, and how long to go.
    std::uint64_t total = 0;
    for (const std::string& path : o.read) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec) total += size;
    }
    if (!o.quiet && ProgressLine::wanted()) {
      progress = std::make_unique<ProgressLine>([&, total](double secs) {
        if (read_all.load()) return std::string("read; finishing the analysis and the index");
        // Frames and their 16-byte record headers: what of the files has been read.
        const double done = static_cast<double>(cc.bytes.get() + 16 * cc.packets.get());
        const double rate = secs > 0 ? done / secs : 0;
        const std::size_t i = std::min(current.load(), o.read.size() - 1);
        std::string line = "importing " + std::filesystem::path(o.read[i]).filename().string();
        if (o.read.size() > 1)
          line += " (" + std::to_string(i + 1) + " of " + std::to_string(o.read.size()) + ")";
        line += ": " + human_bytes(done);
        if (total > 0) {
          const double pct = std::min(100.0, 100.0 * done / static_cast<double>(total));
          line += " of " + human_bytes(static_cast<double>(total)) + " (" +
                  std::to_string(static_cast<int>(pct)) + "%)";
        }
        line += ", " + human_bytes(rate) + "/s";
        if (total > 0 && rate > 0 && done < static_cast<double>(total))
          line += ", " + human_duration((static_cast<double>(total) - done) / rate) + " left";
        return line;
      });
    }
    for (std::size_t i = 0; i < o.read.size(); ++i) {
      const std::string& path = o.read[i];
      current.store(i);
      if (rec.stopped()) break;
      auto src = capture::PcapFileSource::open(path);
      if (!src) {
        std::cerr << "error: " << src.error().message << "\n";
        exit_code = 1;
        continue;
      }
      ++sources;
      if (auto s = rec.run(*src.value()); !s) {
        // libpcap stops at a damaged record: what came before it is recorded.
        std::cerr << "warning: " << s.error().message << " (after " << src.value()->stats().received
                  << " packets; the rest of the file is skipped)\n";
      }
    }
    read_all.store(true);
  } else {
    std::unique_ptr<capture::PacketSource> source;
    std::string what;
    if (!o.interface.empty()) {
      capture::LiveOptions lo;
      lo.interface = o.interface;
      lo.bpf_filter = o.filter;
      lo.buffer_bytes = o.buffer_mb << 20;
      auto src = capture::LiveSource::open(lo);
      if (src)
        source = std::move(src.value());
      else
        what = src.error().message;
    } else {
      capture::PcapOverIpOptions po;
      po.connect = o.pcap_over_ip;
      po.listen = o.pcap_over_ip_listen;
      auto src = capture::PcapOverIpSource::open(po);
      if (src && !o.quiet && !po.listen.empty())
        std::cerr << "kagami: pcap-over-IP senders connect to port " << src.value()->port() << "\n";
      if (src)
        source = std::move(src.value());
      else
        what = src.error().message;
    }
    if (!source) {
      std::cerr << "error: " << what << "\n";
      g_recorder.store(nullptr);
      (void)rec.finish();
      return 1;
    }
    ++sources;
    // The capture is open: root is no longer needed (the handle keeps working).
    if (auto u = drop_privileges(o.user, {o.store}); !u) {
      std::cerr << "error: " << u.error().message << "\n";
      g_recorder.store(nullptr);
      (void)rec.finish();
      return 1;
    } else if (!u->empty() && !o.quiet) {
      std::cerr << "kagami: running as " << *u << " (root dropped once the capture was open)\n";
    }
    said.source(source->name());
    g_live.store(source.get());
    if (!o.quiet)
      std::cerr << "kagami: recording " << source->name() << " into " << o.store
                << " (SIGINT/SIGTERM to stop, SIGUSR1 for counters)\n";
    if (!o.quiet && ProgressLine::wanted()) {
      // Rates over the last half second, and what was lost so far.
      progress =
          std::make_unique<ProgressLine>([&, last_secs = 0.0, last_packets = std::uint64_t{0},
                                          last_bytes = std::uint64_t{0}](double secs) mutable {
            if (read_all.load())
              return std::string("stopped; finishing the analysis and the index");
            const std::uint64_t packets = cc.packets.get(), bytes = cc.bytes.get();
            const double dt = secs - last_secs > 0 ? secs - last_secs : 1;
            const double pps = static_cast<double>(packets - last_packets) / dt;
            const double mbps = static_cast<double>(bytes - last_bytes) * 8 / dt / 1e6;
            last_secs = secs;
            last_packets = packets;
            last_bytes = bytes;
            char rates[96];
            std::snprintf(rates, sizeof rates, "%.0f packets/s, %.1f Mbit/s", pps, mbps);
            return "recording for " + human_duration(secs) + ": " + std::to_string(packets) +
                   " packets, " + rates + "; " + std::to_string(cc.backlogged.get()) +
                   " analysed late, " + std::to_string(cc.internal_drops.get()) +
                   " dropped by the analysis (archived)";
          });
    }
    if (auto s = rec.run(*source); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      exit_code = 1;
    }
    read_all.store(true);
    g_live.store(nullptr);
  }
  const Status finished = rec.finish();
  if (progress) progress->stop();
  status_every.stop();
  g_recorder.store(nullptr);
  if (!finished) {
    std::cerr << "error: " << finished.error().message << "\n";
    exit_code = 1;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // Packets analysed but not archived (the disk was full) are evidence missing: said whatever
  // --quiet says, and the exit code tells scripts.
  std::uint64_t not_archived = 0, rows_lost = 0;
  for (const auto& [name, value] : rec.counters()) {
    if (name == "archive.dropped") not_archived = value;
    if (name == "store.rows_dropped") rows_lost = value;
  }
  if (not_archived > 0 || rows_lost > 0) {
    std::cerr << "kagami: " << not_archived << " packet(s) were not archived and " << rows_lost
              << " index row(s) were lost for want of room on the store's disk "
                 "(archive.dropped, store.rows_dropped)\n";
    if (!o.read.empty()) exit_code = 1;  // an import can be run again once there is room
  }
  if (!o.quiet) {
    const auto& c = rec.capture_counters();
    std::uint64_t sessions = 0, kdrop = 0, idrop = 0, files = 0;
    for (const auto& [name, value] : rec.counters()) {
      if (name == "store.sessions") sessions = value;
      if (name == "source.kernel_dropped") kdrop = value;
      if (name == "source.interface_dropped") idrop = value;
      if (name == "archive.files_sealed") files = value;
    }
    std::cerr << "kagami: recorded " << c.packets.get() << " packets (" << c.bytes.get()
              << " bytes) from " << sources << " source(s) in " << secs << " s: " << sessions
              << " sessions, " << files << " archive file(s) sealed; drops: " << kdrop
              << " kernel, " << idrop << " interface, " << c.internal_drops.get() << " internal\n";
  }
  if (o.stats) rec.print_counters(std::cerr);
  return exit_code;
}

}  // namespace

void add_record_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* cmd =
      app.add_subcommand("record", "record packets into a store: archive, sessions, index");
  cmd->add_option("--read,-r", o->read, "pcap or pcapng files, recorded in the order given");
  cmd->add_option("--interface,-i", o->interface,
                  "capture live from this interface until SIGINT/SIGTERM");
  cmd->add_option("--pcap-over-ip", o->pcap_over_ip,
                  "read a pcap-over-IP stream from this sender (ADDR:PORT), reconnecting until "
                  "SIGINT/SIGTERM");
  cmd->add_option("--pcap-over-ip-listen", o->pcap_over_ip_listen,
                  "take pcap-over-IP streams from senders that connect to ADDR:PORT");
  cmd->add_option("--filter,-f", o->filter, "BPF filter for live capture");
  cmd->add_option("--metrics", o->metrics,
                  "serve the counters to Prometheus at http://ADDR:PORT/metrics (no login: "
                  "counts only; bind it to a management address)");
  cmd->add_option("--store,-s", o->store, "store directory (created if missing)");
  cmd->add_option("--config,-c", o->config, "TOML settings file (see --print-config)");
  cmd->add_option("--sensor", o->sensor,
                  "sensor name stored with every session (default: host name)");
  cmd->add_option("--workers,-w", o->workers,
                  "flow worker threads (0: flows on the capture thread; default: cores - 2 on 4 "
                  "or more cores; on smaller machines one per core with the analyzers, 0 "
                  "without)");
  cmd->add_option("--buffer-mb", o->buffer_mb, "kernel capture buffer for live capture")
      ->capture_default_str();
  cmd->add_flag("--quiet,-q", o->quiet, "no progress line or summary");
  cmd->add_flag("--stats", o->stats, "every counter at exit (SIGUSR1 prints them at any time)");
  cmd->add_flag("--no-analyzers", o->no_analyzers,
                "packets and sessions only: no protocol analysis, no file extraction");
  cmd->add_flag("--print-config", o->print_config, "print every setting with its default and exit");
  add_retention_options(cmd, o->retention);
  cmd->add_option("--user", o->user,
                  "run as this user once the capture is open (default for live capture as root: "
                  "kagami, when that user exists; \"root\": stay root); the store is handed to "
                  "it");
  cmd->callback([o, &exit_code] { exit_code = run_record(*o); });
}

}  // namespace kagami::app
