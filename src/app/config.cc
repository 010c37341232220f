#include "app/config.h"

#include <functional>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include "kagami/base/quantity.h"

#include "app/toml_file.h"

namespace kagami::app {
namespace {

using Setter = std::function<Status(const toml::node&)>;

Result<double> number(const toml::node& n, const std::string& key) {
  if (auto v = n.value<double>()) return *v;
  return make_error("config: {} must be a number", key);
}

Setter seconds(TimeNs& into, const std::string& key) {
  return [&into, key](const toml::node& n) -> Status {
    auto v = number(n, key);
    if (!v) return v.error();
    if (v.value() <= 0) return make_error("config: {} must be positive", key);
    into = static_cast<TimeNs>(v.value() * 1e9);
    return {};
  };
}

template <typename T>
Setter count(T& into, const std::string& key, double scale = 1) {
  return [&into, key, scale](const toml::node& n) -> Status {
    auto v = number(n, key);
    if (!v) return v.error();
    if (v.value() < 0) return make_error("config: {} must not be negative", key);
    into = static_cast<T>(v.value() * scale);
    return {};
  };
}

Setter flag(bool& into, const std::string& key) {
  return [&into, key](const toml::node& n) -> Status {
    if (auto v = n.value<bool>()) {
      into = *v;
      return {};
    }
    return make_error("config: {} must be true or false", key);
  };
}

// One [[inspect.rules]] table: when findings become an alert.
Result<inspect::AlertRule> alert_rule(const toml::table& t, std::size_t n) {
  inspect::AlertRule r;
  const std::string where = "config: inspect.rules[" + std::to_string(n) + "]";
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    auto text = v.value<std::string>();
    if (key == "title" && text) {
      r.title = *text;
    } else if (key == "detector" && text) {
      r.detector = *text;
    } else if (key == "direction" && text) {
      if (*text != "sent" && *text != "received" && *text != "any")
        return make_error("{}: direction must be \"sent\", \"received\" or \"any\"", where);
      r.direction = *text == "any" ? "" : *text;
    } else if (key == "min_confidence" && text) {
      if (!inspect::confidence_from_name(*text, r.min_confidence))
        return make_error("{}: min_confidence must be low, medium or high", where);
    } else if (key == "severity" && text) {
      if (!inspect::severity_from_name(*text, r.severity))
        return make_error("{}: severity must be info, low, medium, high or critical", where);
    } else if (key == "min_count") {
      auto c = v.value<std::int64_t>();
      if (!c || *c < 1) return make_error("{}: min_count must be a positive integer", where);
      r.min_count = static_cast<std::uint64_t>(*c);
    } else if (key == "exclude_users" || key == "exclude_hosts") {
      auto list = strings_of(v, where + "." + key);
      if (!list) return list.error();
      (key == "exclude_users" ? r.exclude_users : r.exclude_hosts) = std::move(list.value());
    } else {
      return make_error("{}: unknown or mistyped setting '{}'", where, key);
    }
  }
  if (r.detector.empty()) return make_error("{}: a detector is required", where);
  if (r.title.empty()) r.title = r.detector;
  return r;
}

// One [[alert.sinks]] table.
Result<alert::SinkConfig> sink_config(const toml::table& t, std::size_t n) {
  alert::SinkConfig c;
  const std::string where = "config: alert.sinks[" + std::to_string(n) + "]";
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    auto text = v.value<std::string>();
    auto number = v.value<std::int64_t>();
    if (text && (key == "type" || key == "name" || key == "min_severity" || key == "path" ||
                 key == "address" || key == "transport" || key == "smtp" || key == "from" ||
                 key == "url")) {
      (key == "type"           ? c.type
       : key == "name"         ? c.name
       : key == "min_severity" ? c.min_severity
       : key == "path"         ? c.path
       : key == "address"      ? c.address
       : key == "transport"    ? c.transport
       : key == "smtp"         ? c.smtp
       : key == "from"         ? c.from
                               : c.url) = *text;
    } else if (key == "to") {
      auto list = strings_of(v, where + ".to");
      if (!list) return list.error();
      c.to = std::move(list.value());
    } else if (number && *number >= 0 &&
               (key == "facility" || key == "batch_seconds" || key == "max_per_hour" ||
                key == "timeout_ms")) {
      (key == "facility"        ? c.facility
       : key == "batch_seconds" ? c.batch_seconds
       : key == "max_per_hour"  ? c.max_per_hour
                                : c.timeout_ms) = static_cast<int>(*number);
    } else {
      return make_error("{}: unknown or mistyped setting '{}'", where, key);
    }
  }
  inspect::Severity sev;
  if (!inspect::severity_from_name(c.min_severity, sev))
    return make_error("{}: min_severity must be info, low, medium, high or critical", where);
  return c;
}

std::string_view encrypted_severity(const recorder::RecorderConfig& c) {
  for (const inspect::AlertRule& r : c.alert_policy.rules)
    if (r.detector == "encrypted") return inspect::severity_name(r.severity);
  return "info";
}

void add_inspect_setters(recorder::RecorderConfig& c, std::map<std::string, Setter>& s) {
  constexpr double kMiB = 1 << 20;
  inspect::InspectorOptions& o = c.inspect_options;
  s["inspect.enabled"] = flag(c.inspect, "inspect.enabled");
  s["inspect.threads"] = count(c.inspect_threads, "inspect.threads");
  s["inspect.max_object_mb"] = count(c.inspect_max_object_bytes, "inspect.max_object_mb", kMiB);
  s["inspect.context_chars"] = count(o.detectors.context_window_chars, "inspect.context_chars");
  s["inspect.max_depth"] = count(o.extract.max_depth, "inspect.max_depth");
  s["inspect.max_expanded_mb"] =
      count(o.extract.max_expanded_bytes, "inspect.max_expanded_mb", kMiB);
  s["inspect.max_ratio"] = count(o.extract.max_ratio, "inspect.max_ratio");
  s["inspect.max_text_mb"] = count(o.extract.max_text_bytes, "inspect.max_text_mb", kMiB);
  s["inspect.keywords"] = [&o](const toml::node& n) -> Status {
    auto v = strings_of(n, "inspect.keywords");
    if (!v) return v.error();
    o.detectors.keywords = std::move(v.value());
    return {};
  };
  s["inspect.disabled_detectors"] = [&o](const toml::node& n) -> Status {
    auto v = strings_of(n, "inspect.disabled_detectors");
    if (!v) return v.error();
    for (const std::string& name : v.value()) {
      inspect::Detector d;
      if (!inspect::detector_from_name(name, d))
        return make_error("config: inspect.disabled_detectors: no detector '{}'", name);
      o.detectors.disabled.push_back(d);
    }
    return {};
  };
  s["inspect.yara_rules"] = [&o](const toml::node& n) -> Status {
    auto v = strings_of(n, "inspect.yara_rules");
    if (!v) return v.error();
    o.yara_rule_files = std::move(v.value());
    return {};
  };
  s["inspect.clamav_db"] = [&o](const toml::node& n) -> Status {
    if (auto v = n.value<std::string>()) {
      o.clamav_database_dir = *v;
      return {};
    }
    return make_error("config: inspect.clamav_db must be a folder name");
  };
  s["inspect.hash_lists"] = [&o](const toml::node& n) -> Status {
    const toml::table* t = n.as_table();
    if (t == nullptr) return make_error("config: inspect.hash_lists must be a table name = file");
    for (const auto& [name, file] : *t) {
      auto path = file.value<std::string>();
      if (!path) return make_error("config: inspect.hash_lists.{} must be a file", name.str());
      o.hash_lists.emplace_back(std::string(name.str()), *path);
    }
    return {};
  };
  s["inspect.default_rules"] = flag(c.default_alert_rules, "inspect.default_rules");
  // The level of the built-in "Encrypted file sent" rule ("info": no alert).
  s["inspect.encrypted_severity"] = [&c](const toml::node& n) -> Status {
    inspect::Severity sev;
    const auto v = n.value<std::string>();
    if (!v || !inspect::severity_from_name(*v, sev))
      return make_error(
          "config: inspect.encrypted_severity must be info, low, medium, high or critical");
    for (inspect::AlertRule& r : c.alert_policy.rules)
      if (r.detector == "encrypted") r.severity = sev;
    return {};
  };
  s["inspect.ppap"] = flag(c.ppap.enabled, "inspect.ppap");
  s["inspect.ppap_window_s"] = seconds(c.ppap.window_ns, "inspect.ppap_window_s");
  s["inspect.ppap_max_messages"] = count(c.ppap.max_messages, "inspect.ppap_max_messages");
  s["alert.sinks"] = [&c](const toml::node& n) -> Status {
    const toml::array* a = n.as_array();
    if (a == nullptr) return make_error("config: alert.sinks must be [[alert.sinks]] tables");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      if (t == nullptr) return make_error("config: alert.sinks[{}] must be a table", i);
      auto sink = sink_config(*t, i);
      if (!sink) return sink.error();
      c.alert_sinks.push_back(std::move(sink.value()));
    }
    return {};
  };
  s["inspect.rules"] = [&c](const toml::node& n) -> Status {
    const toml::array* a = n.as_array();
    if (a == nullptr) return make_error("config: inspect.rules must be [[inspect.rules]] tables");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::table* t = (*a)[i].as_table();
      if (t == nullptr) return make_error("config: inspect.rules[{}] must be a table", i);
      auto r = alert_rule(*t, i);
      if (!r) return r.error();
      c.alert_policy.rules.push_back(std::move(r.value()));
    }
    return {};
  };
}

std::map<std::string, Setter> setters(recorder::RecorderConfig& c) {
  constexpr double kMiB = 1 << 20, kKiB = 1 << 10;
  std::map<std::string, Setter> s;
  s["recorder.sensor"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<std::string>()) {
      c.sensor = *v;
      return {};
    }
    return make_error("config: recorder.sensor must be a string");
  };
  s["recorder.workers"] = count(c.workers, "recorder.workers");
  s["recorder.worker_ring_mb"] = count(c.worker_ring_bytes, "recorder.worker_ring_mb", kMiB);
  s["recorder.worker_backlog_mb"] =
      count(c.worker_backlog_bytes, "recorder.worker_backlog_mb", kMiB);
  s["recorder.lag_alert_s"] = [&c](const toml::node& n) -> Status {
    auto v = number(n, "recorder.lag_alert_s");
    if (!v) return v.error();
    if (v.value() < 0) return make_error("config: recorder.lag_alert_s must not be negative");
    c.lag_alert_ns = static_cast<TimeNs>(v.value() * 1e9);  // 0: no alert
    return {};
  };
  s["flow.vlan_in_key"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<bool>()) {
      c.flow.vlan_in_key = *v;
      return {};
    }
    return make_error("config: flow.vlan_in_key must be true or false");
  };
  s["flow.max_flows"] = count(c.flow.max_flows, "flow.max_flows");
  s["flow.tcp_idle_timeout_s"] = seconds(c.flow.tcp_idle_timeout_ns, "flow.tcp_idle_timeout_s");
  s["flow.udp_idle_timeout_s"] = seconds(c.flow.udp_idle_timeout_ns, "flow.udp_idle_timeout_s");
  s["flow.other_idle_timeout_s"] =
      seconds(c.flow.other_idle_timeout_ns, "flow.other_idle_timeout_s");
  s["flow.closed_linger_s"] = seconds(c.flow.closed_linger_ns, "flow.closed_linger_s");
  s["flow.absolute_timeout_s"] = seconds(c.flow.absolute_timeout_ns, "flow.absolute_timeout_s");
  s["reassembly.per_stream_mb"] =
      count(c.reassembly.per_stream_bytes, "reassembly.per_stream_mb", kMiB);
  s["reassembly.total_mb"] = count(c.reassembly.total_bytes, "reassembly.total_mb", kMiB);
  s["reassembly.retain_kb"] = count(c.reassembly.retain_bytes, "reassembly.retain_kb", kKiB);
  s["reassembly.overlap"] = [&c](const toml::node& n) -> Status {
    auto v = n.value<std::string>();
    if (v && *v == "first") {
      c.reassembly.overlap = flow::OverlapPolicy::kFirst;
    } else if (v && *v == "last") {
      c.reassembly.overlap = flow::OverlapPolicy::kLast;
    } else if (v && *v == "linux") {
      c.reassembly.overlap = flow::OverlapPolicy::kLinux;
    } else {
      return make_error("config: reassembly.overlap must be \"first\", \"last\" or \"linux\"");
    }
    return {};
  };
  s["defrag.max_mb"] = count(c.defrag.max_bytes, "defrag.max_mb", kMiB);
  s["defrag.timeout_s"] = seconds(c.defrag.timeout_ns, "defrag.timeout_s");
  s["defrag.max_datagrams"] = count(c.defrag.max_datagrams, "defrag.max_datagrams");
  s["defrag.max_fragments"] = count(c.defrag.max_fragments, "defrag.max_fragments");
  s["archive.max_file_mb"] = count(c.archive.max_file_bytes, "archive.max_file_mb", kMiB);
  s["archive.max_file_seconds"] =
      seconds(c.archive.max_file_duration_ns, "archive.max_file_seconds");
  s["archive.direct_io"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<bool>()) {
      c.archive.direct_io = *v;
      return {};
    }
    return make_error("config: archive.direct_io must be true or false");
  };
  s["archive.verbatim_import"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<bool>()) {
      c.archive.verbatim_import = *v;
      return {};
    }
    return make_error("config: archive.verbatim_import must be true or false");
  };
  // Sizes and durations as strings with units ("2T", "90d") or plain bytes and seconds.
  auto size = [](std::uint64_t& out, const char* name) -> Setter {
    return [&out, name](const toml::node& n) -> Status {
      Result<std::uint64_t> v = make_error("");
      if (auto t = n.value<std::string>()) {
        v = parse_size(*t);
      } else if (auto i = n.value<std::int64_t>(); i && *i > 0) {
        v = static_cast<std::uint64_t>(*i);
      } else {
        return make_error("config: {} must be a size such as \"500G\" or a number of bytes", name);
      }
      if (!v) return make_error("config: {}: {}", name, v.error().message);
      out = v.value();
      return {};
    };
  };
  auto duration = [](TimeNs& out, const char* name) -> Setter {
    return [&out, name](const toml::node& n) -> Status {
      Result<TimeNs> v = make_error("");
      if (auto t = n.value<std::string>()) {
        v = parse_duration(*t);
      } else if (auto i = n.value<std::int64_t>(); i && *i > 0) {
        v = static_cast<TimeNs>(*i) * kNsPerSec;
      } else {
        return make_error("config: {} must be a duration such as \"90d\" or seconds", name);
      }
      if (!v) return make_error("config: {}: {}", name, v.error().message);
      out = v.value();
      return {};
    };
  };
  s["retention.max_bytes"] = size(c.retention.max_bytes, "retention.max_bytes");
  s["retention.max_age"] = duration(c.retention.max_age, "retention.max_age");
  s["retention.evidence_age"] = duration(c.retention.evidence_age, "retention.evidence_age");
  s["retention.metadata_age"] = duration(c.retention.metadata_age, "retention.metadata_age");
  s["retention.min_free"] = size(c.retention.min_free_bytes, "retention.min_free");
  s["retention.interval_s"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<double>(); v && *v >= 0.1 && *v <= 86400) {
      c.retention_interval_ms = static_cast<int>(*v * 1000);
      return {};
    }
    return make_error("config: retention.interval_s must be between 0.1 and 86400");
  };
  s["archive.write_block_mb"] = count(c.archive.write_block_bytes, "archive.write_block_mb", kMiB);
  s["archive.write_blocks"] = count(c.archive.write_blocks, "archive.write_blocks");
  s["analyzers.enabled"] = [&c](const toml::node& n) -> Status {
    if (auto v = n.value<bool>()) {
      c.analyze = *v;
      return {};
    }
    return make_error("config: analyzers.enabled must be true or false");
  };
  analyzers::AnalyzerLimits& a = c.analyzers;
  s["analyzers.detect_bytes"] = count(a.detect_bytes, "analyzers.detect_bytes");
  s["analyzers.max_buffer_kb"] = count(a.max_buffer_bytes, "analyzers.max_buffer_kb", kKiB);
  s["analyzers.max_pipelined"] = count(a.max_pipelined_requests, "analyzers.max_pipelined");
  s["analyzers.max_line_kb"] = count(a.max_line_bytes, "analyzers.max_line_kb", kKiB);
  s["analyzers.http_max_head_kb"] =
      count(a.http.max_head_bytes, "analyzers.http_max_head_kb", kKiB);
  s["analyzers.decoded_max_mb"] =
      count(a.decode.max_output_bytes, "analyzers.decoded_max_mb", kMiB);
  s["analyzers.decoded_max_ratio"] = count(a.decode.max_ratio, "analyzers.decoded_max_ratio");
  s["analyzers.multipart_max_parts"] =
      count(a.multipart.max_parts, "analyzers.multipart_max_parts");
  s["analyzers.message_max_mb"] = count(a.max_message_bytes, "analyzers.message_max_mb", kMiB);
  s["analyzers.message_memory_kb"] =
      count(a.message_memory_bytes, "analyzers.message_memory_kb", kKiB);
  s["analyzers.mime_max_depth"] = count(a.mime.max_depth, "analyzers.mime_max_depth");
  s["analyzers.mime_max_parts"] = count(a.mime.max_parts, "analyzers.mime_max_parts");
  s["analyzers.body_text_kb"] = count(a.mime.max_body_text_bytes, "analyzers.body_text_kb", kKiB);
  s["store.batch_rows"] = count(c.store.batch_rows, "store.batch_rows");
  s["store.batch_max_ms"] = count(c.store.batch_max_ms, "store.batch_max_ms");
  add_inspect_setters(c, s);
  return s;
}

}  // namespace

Result<toml::table> parse_toml_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return make_error("config {}: {} at {}", path, e.description(), where.str());
  }
}

Result<std::vector<std::string>> strings_of(const toml::node& n, const std::string& key) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return make_error("config: {} must be an array of strings", key);
  std::vector<std::string> out;
  for (const toml::node& e : *a) {
    auto v = e.value<std::string>();
    if (!v) return make_error("config: {} must be an array of strings", key);
    out.push_back(*v);
  }
  return out;
}

Status load_recorder_config(const std::string& path, recorder::RecorderConfig& config) {
  auto parsed = parse_toml_file(path);
  if (!parsed) return parsed.error();
  const toml::table& root = parsed.value();
  auto known = setters(config);
  for (const auto& [section, node] : root) {
    const toml::table* t = node.as_table();
    if (t == nullptr) return make_error("config {}: '{}' must be a [section]", path, section.str());
    for (const auto& [key, value] : *t) {
      const std::string name = std::string(section.str()) + "." + std::string(key.str());
      auto it = known.find(name);
      if (it == known.end()) return make_error("config {}: unknown setting '{}'", path, name);
      if (auto s = it->second(value); !s) return s;
    }
  }
  if (!config.default_alert_rules) {  // only the configured [[inspect.rules]]
    auto& rules = config.alert_policy.rules;
    const std::size_t builtin = inspect::AlertPolicy::defaults().rules.size();
    rules.erase(rules.begin(),
                rules.begin() + static_cast<std::ptrdiff_t>(std::min(builtin, rules.size())));
    config.default_alert_rules = true;  // done: a second load must not remove more
  }
  if (config.archive.max_file_bytes < (1u << 20))
    return make_error("config {}: archive.max_file_mb must be at least 1", path);
  if (auto s = config.retention.check(); !s)
    return make_error("config {}: {}", path, s.error().message);
  if (config.archive.write_block_bytes < (1u << 20) || config.archive.write_blocks < 2)
    return make_error("config {}: archive.write_block_mb must be at least 1 and write_blocks 2",
                      path);
  return {};
}

void add_retention_options(CLI::App* cmd, RetentionFlags& f) {
  cmd->add_option("--retain-bytes", f.bytes,
                  "keep the store under this size (e.g. 2T): oldest packet files are evicted "
                  "first, evidence last")
      ->group("Retention");
  cmd->add_option("--retain-age", f.age, "evict packets sealed longer ago than this (e.g. 90d)")
      ->group("Retention");
  cmd->add_option("--retain-evidence-age", f.evidence_age,
                  "keep packets of sessions with findings, alerts or exports this long "
                  "(default: until --retain-bytes forces)")
      ->group("Retention");
  cmd->add_option("--retain-metadata-age", f.metadata_age,
                  "remove sessions and records this long after their packets were sealed "
                  "(default: kept)")
      ->group("Retention");
  cmd->add_option("--retain-free", f.min_free,
                  "evict early to keep this much room free on the store's disk (e.g. 20G)")
      ->group("Retention");
}

Status apply_retention_flags(const RetentionFlags& f, store::RetentionPolicy& p) {
  auto size = [](const std::string& text, const char* flag, std::uint64_t& out) -> Status {
    if (text.empty()) return {};
    auto v = parse_size(text);
    if (!v) return make_error("{}: {}", flag, v.error().message);
    out = v.value();
    return {};
  };
  auto duration = [](const std::string& text, const char* flag, TimeNs& out) -> Status {
    if (text.empty()) return {};
    auto v = parse_duration(text);
    if (!v) return make_error("{}: {}", flag, v.error().message);
    out = v.value();
    return {};
  };
  if (auto s = size(f.bytes, "--retain-bytes", p.max_bytes); !s) return s;
  if (auto s = duration(f.age, "--retain-age", p.max_age); !s) return s;
  if (auto s = duration(f.evidence_age, "--retain-evidence-age", p.evidence_age); !s) return s;
  if (auto s = duration(f.metadata_age, "--retain-metadata-age", p.metadata_age); !s) return s;
  if (auto s = size(f.min_free, "--retain-free", p.min_free_bytes); !s) return s;
  return p.check();
}

std::string default_config_toml() {
  recorder::RecorderConfig c;
  std::ostringstream o;
  auto secs = [](TimeNs ns) { return static_cast<double>(ns) / 1e9; };
  o << "# Kagami recorder settings. Every bound is explicit; what exceeds one is counted and\n"
       "# flagged on the session it affects.\n\n"
    << "[recorder]\n"
    << "# sensor = \"name stored with every session\"   # default: the host name\n"
    << "# workers = 2          # flow worker threads; 0 = on the capture thread; default: cores - "
       "2\n"
    << "worker_ring_mb = " << (c.worker_ring_bytes >> 20) << "\n"
    << "# live capture: what a worker has no room for waits on disk for it, in order (0: drop)\n"
    << "worker_backlog_mb = " << (c.worker_backlog_bytes >> 20) << "\n"
    << "lag_alert_s = " << secs(c.lag_alert_ns)
    << "       # alert when the analysis is this far behind the capture (0: never)\n\n"
    << "[flow]\n"
    << "vlan_in_key = true     # false where a mirror tags only one direction of a connection\n"
    << "max_flows = " << c.flow.max_flows
    << "       # per worker; the least recently active is evicted\n"
    << "tcp_idle_timeout_s = " << secs(c.flow.tcp_idle_timeout_ns) << "\n"
    << "udp_idle_timeout_s = " << secs(c.flow.udp_idle_timeout_ns) << "\n"
    << "other_idle_timeout_s = " << secs(c.flow.other_idle_timeout_ns) << "\n"
    << "closed_linger_s = " << secs(c.flow.closed_linger_ns)
    << "     # stragglers after FIN/RST stay in the session\n"
    << "absolute_timeout_s = " << secs(c.flow.absolute_timeout_ns)
    << "  # longer sessions are split\n\n"
    << "[reassembly]\n"
    << "per_stream_mb = " << (c.reassembly.per_stream_bytes >> 20)
    << "      # out-of-order data held per direction\n"
    << "total_mb = " << (c.reassembly.total_bytes >> 20) << "         # per worker\n"
    << "retain_kb = " << (c.reassembly.retain_bytes >> 10)
    << "         # unacknowledged data kept to check retransmissions\n"
    << "overlap = \"first\"      # \"last\", or \"linux\" (as a Linux receiver and Wireshark)\n\n"
    << "[defrag]\n"
    << "max_mb = " << (c.defrag.max_bytes >> 20) << "\n"
    << "timeout_s = " << secs(c.defrag.timeout_ns) << "\n"
    << "max_datagrams = " << c.defrag.max_datagrams << "\n"
    << "max_fragments = " << c.defrag.max_fragments << "\n\n"
    << "[archive]\n"
    << "max_file_mb = " << (c.archive.max_file_bytes >> 20) << "\n"
    << "max_file_seconds = " << secs(c.archive.max_file_duration_ns) << "\n"
    << "direct_io = true       # bypass the page cache for archive writes where possible\n"
    << "verbatim_import = true # a classic pcap file is archived as an exact copy of itself\n"
    << "write_block_mb = " << (c.archive.write_block_bytes >> 20) << "\n"
    << "write_blocks = " << c.archive.write_blocks << "       # blocks in flight to the disk\n\n"
    << "[retention]            # nothing is removed unless a limit is set\n"
    << "# max_bytes = \"2T\"      # the whole store; oldest packet files go first\n"
    << "# max_age = \"90d\"       # packets, counted from when each file was sealed\n"
    << "# evidence_age = \"365d\" # packets of sessions with findings, alerts or exports\n"
    << "# metadata_age = \"400d\" # sessions and records outlive their packets until this\n"
    << "# min_free = \"20G\"      # room kept free on the store's file system\n"
    << "interval_s = " << c.retention_interval_ms / 1000
    << "         # how often limits are checked\n\n"
    << "[analyzers]\n"
    << "enabled = true         # protocol analyzers and file extraction (false: packets and "
       "sessions only)\n"
    << "detect_bytes = " << c.analyzers.detect_bytes
    << "    # of each direction looked at to recognize a protocol\n"
    << "max_buffer_kb = " << (c.analyzers.max_buffer_bytes >> 10)
    << "   # unconsumed bytes per direction; beyond it the session is flagged\n"
    << "max_pipelined = " << c.analyzers.max_pipelined_requests
    << "   # requests or commands awaiting their answers\n"
    << "max_line_kb = " << (c.analyzers.max_line_bytes >> 10)
    << "        # SMTP/POP3/IMAP/FTP command and reply lines\n"
    << "http_max_head_kb = " << (c.analyzers.http.max_head_bytes >> 10) << "\n"
    << "decoded_max_mb = " << (c.analyzers.decode.max_output_bytes >> 20)
    << "   # a gzip/deflate/br body expands to at most this...\n"
    << "decoded_max_ratio = " << c.analyzers.decode.max_ratio
    << " # ...and this many bytes per compressed byte\n"
    << "multipart_max_parts = " << c.analyzers.multipart.max_parts << "\n"
    << "message_max_mb = " << (c.analyzers.max_message_bytes >> 20)
    << "     # of a mail message parsed (the .eml keeps all of it)\n"
    << "message_memory_kb = " << (c.analyzers.message_memory_bytes >> 10)
    << " # then it waits on disk for parsing\n"
    << "mime_max_depth = " << c.analyzers.mime.max_depth << "\n"
    << "mime_max_parts = " << c.analyzers.mime.max_parts << "\n"
    << "body_text_kb = " << (c.analyzers.mime.max_body_text_bytes >> 10)
    << "       # of a message's text kept in its record\n\n"
    << "[store]\n"
    << "batch_rows = " << c.store.batch_rows << "\n"
    << "batch_max_ms = " << c.store.batch_max_ms << "\n\n"
    << "[inspect]              # content inspection of every extracted object "
       "(docs/inspection.md)\n"
    << "enabled = true\n"
    << "threads = " << c.inspect_threads << "\n"
    << "max_object_mb = " << (c.inspect_max_object_bytes >> 20)
    << "     # larger objects are flagged too_large, not read\n"
    << "context_chars = " << c.inspect_options.detectors.context_window_chars
    << "     # context words count this near a value\n"
    << "max_depth = " << c.inspect_options.extract.max_depth << "          # archives in archives\n"
    << "max_expanded_mb = " << (c.inspect_options.extract.max_expanded_bytes >> 20) << "\n"
    << "max_ratio = " << c.inspect_options.extract.max_ratio
    << "        # expanded : compressed, past 1 MiB\n"
    << "max_text_mb = " << (c.inspect_options.extract.max_text_bytes >> 20) << "\n"
    << "default_rules = true   # false: only the [[inspect.rules]] below\n"
    << "encrypted_severity = \"" << encrypted_severity(c)
    << "\"   # a password-protected file sent (\"info\": no alert)\n"
    << "ppap = " << (c.ppap.enabled ? "true" : "false")
    << "           # try the passwords mails give on the archives they follow\n"
    << "ppap_window_s = " << c.ppap.window_ns / kNsPerSec
    << "  # a password mail this near an archive mail\n"
    << "ppap_max_messages = " << c.ppap.max_messages << "\n"
    << "# keywords = [\"社外秘\", \"極秘\", \"機密\", \"Confidential\"]   # replaces the built-in "
       "markers\n"
    << "# disabled_detectors = [\"email_address\"]\n"
    << "# yara_rules = [\"/etc/kagami/rules.yar\"]\n"
    << "# clamav_db = \"/var/lib/kagami/clamav\"\n"
    << "# hash_lists = { leaked = \"/etc/kagami/leaked.sha256\" }\n\n"
    << "# [[inspect.rules]]\n"
    << "# title = \"My Numbers sent\"\n"
    << "# detector = \"jp_my_number\"   # or a family: \"yara:*\"\n"
    << "# min_confidence = \"high\"\n"
    << "# min_count = 5\n"
    << "# direction = \"sent\"\n"
    << "# severity = \"high\"\n"
    << "# exclude_users = []\n"
    << "# exclude_hosts = []\n\n"
    << "# [[alert.sinks]]               # jsonl, syslog, email, webhook\n"
    << "# type = \"syslog\"\n"
    << "# address = \"192.0.2.10:514\"\n"
    << "# transport = \"tcp\"\n"
    << "# min_severity = \"medium\"\n";
  return o.str();
}

}  // namespace kagami::app
