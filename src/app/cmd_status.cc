// kagami status: what the store holds (its archive's span and size, the room left) and what the
// running parts of Kagami say of themselves (the recorder's rates and drops, the proxy's
// counters and the destinations it relays undecrypted right now, the mirror's), from
// STORE/status/.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/base/printable.h"
#include "kagami/base/quantity.h"
#include "kagami/base/time.h"
#include "kagami/store/store_status.h"

#include "app/commands.h"

namespace kagami::app {
namespace {

void print_counters(const nlohmann::json& j, const char* indent) {
  std::string line;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_number()) continue;
    if (!line.empty()) line += ", ";
    line += k + " " + v.dump();
  }
  if (!line.empty()) std::cout << indent << line << "\n";
}

void print_recorder(const nlohmann::json& j) {
  std::cout << "  " << j.value("state", "?") << ": " << printable(j.value("source", "")) << "\n";
  const auto& c = j.contains("recorder") ? j["recorder"] : nlohmann::json::object();
  auto n = [&c](const char* name) { return c.value(name, std::uint64_t{0}); };
  if (j.contains("rates"))
    std::cout << "    " << static_cast<std::uint64_t>(j["rates"].value("packets_per_s", 0.0))
              << " packets/s, " << j["rates"].value("bits_per_s", 0.0) / 1e6 << " Mbit/s\n";
  std::cout << "    " << n("capture.packets") << " packets, " << n("store.sessions")
            << " sessions, " << n("archive.files_sealed") << " archive file(s) sealed\n";
  std::cout << "    dropped: " << n("source.kernel_dropped") << " by the kernel, "
            << n("source.interface_dropped") << " by the interface, " << n("capture.internal_drops")
            << " by the analysis (archived), " << n("inspect.dropped")
            << " objects not inspected\n";
  std::cout << "    analysis: " << n("analysis.lag_ms") / 1000.0 << " s behind the capture ("
            << format_size(n("analysis.backlog_bytes")) << " waiting on disk; at most "
            << n("analysis.lag_peak_ms") / 1000.0 << " s and "
            << format_size(n("analysis.backlog_peak_bytes")) << "), " << n("analysis.backlogged")
            << " packets analysed late\n";
}

int run_status(const std::string& store, bool json) {
  std::error_code ec;
  if (!std::filesystem::is_directory(store, ec)) {
    std::cerr << "kagami status: no store at " << store << "\n";
    return 1;
  }
  const nlohmann::json summary = store::store_summary(store);
  if (json) {
    nlohmann::json s = summary;
    s["component"] = "store";
    std::cout << s.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "store " << store << "\n";
    if (summary.contains("archive")) {
      const auto& a = summary["archive"];
      std::cout << "  archive: " << a.value("files", 0) << " sealed file(s), "
                << format_size(a.value("bytes", std::uint64_t{0})) << ", " << a.value("packets", 0)
                << " packets";
      if (a.contains("oldest_packet"))
        std::cout << ", from " << a.value("oldest_packet", "") << " to "
                  << a.value("newest_packet", "");
      std::cout << "\n";
    }
    if (summary.contains("disk"))
      std::cout << "  disk: " << format_size(summary["disk"].value("free_bytes", std::uint64_t{0}))
                << " free of "
                << format_size(summary["disk"].value("total_bytes", std::uint64_t{0})) << "\n";
    // The policy is the running recorder's (its status file); what was done is the manifest's.
    const std::string policy = summary.value("retention", "none");
    std::cout << "  retention: "
              << (policy.empty() || policy == "none" ? "none (the store only grows)" : policy);
    if (summary.contains("evicted")) {
      const auto& e = summary["evicted"];
      std::cout << "; " << e.value("files", 0) << " packet file(s) evicted ("
                << format_size(e.value("bytes", std::uint64_t{0})) << "), last at "
                << e.value("last_eviction", "");
    }
    std::cout << "\n";
  }
  std::vector<std::string> unreadable;
  const std::vector<nlohmann::json> parts = store::component_statuses(store, &unreadable);
  for (const std::string& f : unreadable)
    std::cerr << "kagami status: " << f << " is not a status file\n";
  for (const nlohmann::json& j : parts) {
    const std::string name = j.value("component", "");
    const std::int64_t age = j.value("age_s", std::int64_t{0});
    if (json) {
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::cout << name << " (pid " << j.value("pid", 0) << ", updated " << age << " s ago"
              << (j.value("stale", false) ? "; not updated since: stopped?" : "") << ")\n";
    if (j.contains("recorder")) print_recorder(j);
    if (j.contains("proxy")) {
      std::cout << "  proxy\n";
      print_counters(j["proxy"], "    ");
    }
    if (j.contains("proxy_auth")) {
      std::cout << "  proxy logins\n";
      print_counters(j["proxy_auth"], "    ");
    }
    if (j.contains("mirror")) {
      std::cout << "  mirror\n";
      print_counters(j["mirror"], "    ");
    }
    if (!j.contains("proxy")) continue;
    const auto& bypass = j.contains("auto_bypass") ? j["auto_bypass"] : nlohmann::json::array();
    std::cout << "  relayed without decryption automatically: " << bypass.size() << "\n";
    for (const auto& b : bypass)
      std::cout << "    " << printable(b.value("client", "*")) << " -> "
                << printable(b.value("destination", "")) << "  " << printable(b.value("why", ""))
                << "  (" << b.value("remaining_s", 0) << " s left)\n";
  }
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto store = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "status",
      "what the store holds and what the running recorder, proxy and kagami up say of "
      "themselves: rates, drops, disk, counters, automatic bypasses");
  cmd->add_option("--store,-s", *store, "store directory")->required();
  cmd->add_flag("--json", *json, "one JSON object per component");
  cmd->callback([store, json, &exit_code] { exit_code = run_status(*store, *json); });
}

}  // namespace kagami::app
