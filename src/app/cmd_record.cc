#include <atomic>
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "kagami/base/private_files.h"
#include "kagami/capture/live_source.h"
#include "kagami/capture/pcap_file_source.h"
#include "kagami/capture/pcap_over_ip_source.h"
#include "kagami/recorder/recorder.h"

#include "app/commands.h"
#include "app/config.h"

namespace kagami::app {
namespace {

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
  std::string filter;
  std::string store;
  std::string config;
  std::string sensor;
  int workers = -1;
  std::size_t buffer_mb = 256;
  bool quiet = false;
  bool print_config = false;
  bool no_analyzers = false;
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

  const auto started = std::chrono::steady_clock::now();
  int exit_code = 0;
  std::size_t sources = 0;
  if (!o.read.empty()) {
    for (const std::string& path : o.read) {
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
    g_live.store(source.get());
    if (!o.quiet)
      std::cerr << "kagami: recording " << source->name() << " into " << o.store
                << " (SIGINT/SIGTERM to stop, SIGUSR1 for counters)\n";
    if (auto s = rec.run(*source); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      exit_code = 1;
    }
    g_live.store(nullptr);
  }
  const Status finished = rec.finish();
  g_recorder.store(nullptr);
  if (!finished) {
    std::cerr << "error: " << finished.error().message << "\n";
    exit_code = 1;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
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
    rec.print_counters(std::cerr);
  }
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
  cmd->add_flag("--quiet,-q", o->quiet, "no summary or counters at exit");
  cmd->add_flag("--no-analyzers", o->no_analyzers,
                "packets and sessions only: no protocol analysis, no file extraction");
  cmd->add_flag("--print-config", o->print_config, "print every setting with its default and exit");
  cmd->callback([o, &exit_code] { exit_code = run_record(*o); });
}

}  // namespace kagami::app
