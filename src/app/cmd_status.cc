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
#include "kagami/store/seal_manifest.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/status_file.h"

namespace kagami::app {
namespace {

// A status older than this comes from a component that stopped (or hangs).
constexpr double kStaleSeconds = 30;

void print_counters(const nlohmann::json& j, const char* indent) {
  std::string line;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_number()) continue;
    if (!line.empty()) line += ", ";
    line += k + " " + v.dump();
  }
  if (!line.empty()) std::cout << indent << line << "\n";
}

// The archive as its manifest says: how many sealed files, how many bytes, from when to when;
// and the room left where the store is.
nlohmann::json store_summary(const std::string& store) {
  nlohmann::json j;
  const store::StoreLayout layout{store};
  std::vector<std::string> problems;
  auto manifest = store::SealManifest::load(layout.manifest_path(), &problems);
  if (manifest) {
    const store::ArchiveState state = store::archive_state(manifest->entries());
    std::uint64_t bytes = 0, packets = 0;
    TimeNs first = 0, last = 0;
    for (const auto& e : state.kept) {
      bytes += e.bytes;
      packets += e.packets;
      if (e.first_ts != 0 && (first == 0 || e.first_ts < first)) first = e.first_ts;
      if (e.last_ts > last) last = e.last_ts;
    }
    j["archive"] = {{"files", state.kept.size()}, {"bytes", bytes}, {"packets", packets}};
    if (first != 0) {
      j["archive"]["oldest_packet"] = format_time_iso(first, 0);
      j["archive"]["newest_packet"] = format_time_iso(last, 0);
    }
    if (!state.evicted.empty()) {
      std::uint64_t gone = 0;
      TimeNs newest = 0;
      for (const auto& t : state.evicted) {
        gone += t.bytes;
        newest = std::max(newest, t.sealed_at);
      }
      j["evicted"] = {{"files", state.evicted.size()},
                      {"bytes", gone},
                      {"last_eviction", format_time_iso(newest, 0)}};
    }
  }
  if (auto room = disk_room(store); !room.is_null()) j["disk"] = std::move(room);
  return j;
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
}

int run_status(const std::string& store, bool json) {
  const std::string dir = store + "/status";
  std::error_code ec;
  if (!std::filesystem::is_directory(store, ec)) {
    std::cerr << "kagami status: no store at " << store << "\n";
    return 1;
  }
  const nlohmann::json summary = store_summary(store);
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
    std::string policy;
    std::ifstream rin(dir + "/recorder.json");
    const nlohmann::json r = nlohmann::json::parse(rin, nullptr, false);
    if (r.is_object()) policy = r.value("retention", "");
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
  if (!std::filesystem::is_directory(dir, ec)) return 0;  // nothing running has written here
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const double now = time_to_epoch_seconds(wall_clock_ns());
  for (const auto& f : files) {
    std::ifstream in(f);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      std::cerr << "kagami status: " << f.string() << " is not a status file\n";
      continue;
    }
    const std::string name = f.stem().string();
    const double age = now - j.value("written", 0.0);
    j["component"] = name;
    j["age_s"] = static_cast<std::int64_t>(age);
    j["stale"] = age > kStaleSeconds;
    if (json) {
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::cout << name << " (pid " << j.value("pid", 0) << ", updated "
              << static_cast<std::int64_t>(age) << " s ago"
              << (age > kStaleSeconds ? "; not updated since: stopped?" : "") << ")\n";
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
