#include "kagami/records/record_json.h"

#include <type_traits>

#include <nlohmann/json.hpp>

namespace kagami::records {

nlohmann::json to_json(const SessionRecord& s) {
  nlohmann::json j;
  j["id"] = s.id;
  j["sensor"] = s.sensor;
  j["ts_first"] = time_to_epoch_seconds(s.ts_first);
  j["ts_last"] = time_to_epoch_seconds(s.ts_last);
  j["transport"] = transport_name(s.transport);
  j["client_ip"] = s.client_ip.to_string();
  j["client_port"] = s.client_port;
  j["server_ip"] = s.server_ip.to_string();
  j["server_port"] = s.server_port;
  j["client_mac"] = s.client_mac ? nlohmann::json(format_mac(s.client_mac)) : nlohmann::json();
  j["server_mac"] = s.server_mac ? nlohmann::json(format_mac(s.server_mac)) : nlohmann::json();
  j["vlan"] = s.vlan;
  if (s.vlan_inner) j["vlan_inner"] = s.vlan_inner;
  j["app"] = s.app;
  j["host"] = s.host;
  j["decrypted"] = s.decrypted;
  j["pkts_c2s"] = s.pkts_c2s;
  j["pkts_s2c"] = s.pkts_s2c;
  j["bytes_c2s"] = s.bytes_c2s;
  j["bytes_s2c"] = s.bytes_s2c;
  j["stream_bytes_c2s"] = s.stream_bytes_c2s;
  j["stream_bytes_s2c"] = s.stream_bytes_s2c;
  j["gaps"] = s.gaps;
  j["gap_bytes"] = s.gap_bytes;
  j["flags"] = session_flag_names(s.flags);
  j["end_reason"] = s.end_reason;
  j["user"] = s.user;
  if (s.analysis) j["analysis"] = s.analysis;  // made by the Nth kagami reanalyze
  return j;
}

}  // namespace kagami::records

namespace kagami::records {

namespace {
void put_endpoints(nlohmann::json& j, const Endpoints& e) {
  j["client_ip"] = e.client_ip.to_string();
  j["client_port"] = e.client_port;
  j["server_ip"] = e.server_ip.to_string();
  j["server_port"] = e.server_port;
}
}  // namespace

namespace {

// Writes each declared field under its name, the way its type says (record_schema.h).
class JsonWriter : public FieldVisitor {
 public:
  explicit JsonWriter(nlohmann::json& j) : j_(j) {}

  template <class T>
  void operator()(const T& v, const Field& f) {
    if (!f.stored) return;
    if (f.omit_empty && !f.keep && empty(v)) return;
    j_[std::string(f.name)] = value(v, f);
  }

 private:
  template <class T>
  static bool empty(const T& v) {
    if constexpr (std::is_arithmetic_v<T>)
      return v == T{};
    else if constexpr (requires { v.empty(); })
      return v.empty();
    else
      return false;
  }
  template <class T>
  static nlohmann::json value(const T& v, const Field& f) {
    if constexpr (std::is_same_v<T, bool>) {
      return v;
    } else if constexpr (std::is_integral_v<T>) {
      if (f.type == FieldType::kTime) return time_to_epoch_seconds(static_cast<TimeNs>(v));
      if (f.type == FieldType::kFlags && f.flag_names)
        return f.flag_names(static_cast<std::uint32_t>(v));
      return v;
    } else if constexpr (std::is_same_v<T, IpAddress>) {
      return v.to_string();
    } else if constexpr (std::is_same_v<T, std::string> ||
                         std::is_same_v<T, std::vector<std::string>>) {
      return v;
    } else {
      return to_json_value(v);  // a structured field, converted by its record's own code
    }
  }

  nlohmann::json& j_;
};

}  // namespace

template <class R>
requires requires { R::kType; }
nlohmann::json to_json(const R& r) {
  nlohmann::json j = nlohmann::json::object();
  JsonWriter w(j);
  R::describe(r, w);
  return j;
}

#define KAGAMI_INSTANTIATE(R) template nlohmann::json to_json<R>(const R&);
KAGAMI_DECLARED_RECORD_TYPES(KAGAMI_INSTANTIATE)
#undef KAGAMI_INSTANTIATE

nlohmann::json to_json(const FileRecord& f, const FileEvent& e) {
  nlohmann::json j;
  j["sha256"] = f.sha256;
  j["md5"] = f.md5;
  j["size"] = f.size;
  j["mime"] = f.mime;
  j["name"] = e.name;
  j["direction"] = e.direction;
  j["protocol"] = e.protocol;
  j["session_id"] = e.session_id;
  put_endpoints(j, e.endpoints);
  j["partial"] = e.partial;
  j["ts"] = time_to_epoch_seconds(e.ts);
  j["field"] = e.field;
  j["claimed_type"] = e.claimed_type;
  j["record_kind"] = e.record_kind;
  j["record_id"] = e.record_id;
  if (!e.note.empty()) j["note"] = e.note;
  if (f.inspected) {
    nlohmann::json in = {{"flags", f.inspect_flags}, {"text_bytes", f.text_bytes}};
    if (!f.inspect_note.empty()) in["note"] = f.inspect_note;
    if (!f.text_sha256.empty()) in["text_sha256"] = f.text_sha256;
    j["inspection"] = std::move(in);
  }
  return j;
}

}  // namespace kagami::records
