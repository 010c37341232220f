#include "kagami/records/record_json.h"

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
  return j;
}

}  // namespace kagami::records
