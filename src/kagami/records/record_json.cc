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

nlohmann::json to_json(const HttpRecord& h) {
  nlohmann::json j;
  j["id"] = h.id;
  j["session_id"] = h.session_id;
  put_endpoints(j, h.endpoints);
  j["ts"] = time_to_epoch_seconds(h.ts);
  j["method"] = h.method;
  j["host"] = h.host;
  j["uri"] = h.uri;
  j["version"] = h.version;
  j["status"] = h.status;
  j["user_agent"] = h.user_agent;
  j["referer"] = h.referer;
  j["req_content_type"] = h.req_content_type;
  j["resp_content_type"] = h.resp_content_type;
  j["req_bytes"] = h.req_bytes;
  j["resp_bytes"] = h.resp_bytes;
  j["user"] = h.user;
  j["files"] = h.files;
  j["flags"] = http_flag_names(h.flags);
  if (h.resp_ts) j["resp_ts"] = time_to_epoch_seconds(h.resp_ts);
  return j;
}

nlohmann::json to_json(const DnsRecord& d) {
  nlohmann::json j;
  j["id"] = d.id;
  j["session_id"] = d.session_id;
  put_endpoints(j, d.endpoints);
  j["ts"] = time_to_epoch_seconds(d.ts);
  j["query"] = d.query;
  j["qtype"] = d.qtype;
  j["rcode"] = d.rcode;
  j["answers"] = d.answers;
  j["additional"] = d.additional;
  j["txid"] = d.txid;
  j["response"] = d.response_seen;
  if (d.truncated) j["truncated"] = true;
  return j;
}

nlohmann::json to_json(const FtpRecord& f) {
  nlohmann::json j;
  j["id"] = f.id;
  j["session_id"] = f.session_id;
  put_endpoints(j, f.endpoints);
  j["ts"] = time_to_epoch_seconds(f.ts);
  j["user"] = f.user;
  j["command"] = f.command;
  j["arg"] = f.arg;
  j["reply_code"] = f.reply_code;
  j["reply"] = f.reply;
  if (!f.data.empty()) j["data"] = f.data;
  return j;
}

nlohmann::json to_json(const TlsRecord& t) {
  nlohmann::json j;
  j["session_id"] = t.session_id;
  put_endpoints(j, t.endpoints);
  j["ts"] = time_to_epoch_seconds(t.ts);
  j["sni"] = t.sni;
  j["alpn"] = t.alpn;
  j["alpn_selected"] = t.alpn_selected;
  j["client_versions"] = t.client_versions;
  j["version"] = t.version;
  j["cipher"] = t.cipher;
  j["ja3"] = t.ja3;
  j["ja3s"] = t.ja3s;
  j["ja4"] = t.ja4;
  j["ja4s"] = t.ja4s;
  j["ja3_string"] = t.ja3_string;
  j["ja3s_string"] = t.ja3s_string;
  j["cert_subject"] = t.cert_subject;
  j["cert_issuer"] = t.cert_issuer;
  j["cert_sha256"] = t.cert_sha256;
  j["cert_serial"] = t.cert_serial;
  j["cert_sans"] = t.cert_sans;
  if (t.cert_not_before) j["cert_not_before"] = time_to_epoch_seconds(t.cert_not_before);
  if (t.cert_not_after) j["cert_not_after"] = time_to_epoch_seconds(t.cert_not_after);
  j["cert_count"] = t.cert_count;
  j["encrypted_certificate"] = t.encrypted_certificate;
  if (!t.client_cert_subject.empty()) j["client_cert_subject"] = t.client_cert_subject;
  if (!t.alert.empty()) j["alert"] = t.alert;
  if (t.hello_retry) j["hello_retry"] = true;
  if (t.partial) j["partial"] = true;
  j["decrypted"] = t.decrypted;
  if (!t.upstream_version.empty()) j["upstream_version"] = t.upstream_version;
  if (!t.upstream_cipher.empty()) j["upstream_cipher"] = t.upstream_cipher;
  if (t.decrypted || !t.upstream_verdict.empty()) j["upstream_verdict"] = t.upstream_verdict;
  if (!t.policy.empty()) j["policy"] = t.policy;
  return j;
}

nlohmann::json to_json(const MailRecord& m) {
  nlohmann::json j;
  j["id"] = m.id;
  j["session_id"] = m.session_id;
  put_endpoints(j, m.endpoints);
  j["ts"] = time_to_epoch_seconds(m.ts);
  j["protocol"] = m.protocol;
  j["direction"] = m.direction;
  j["mail_from"] = m.mail_from;
  j["rcpt_to"] = m.rcpt_to;
  j["from"] = m.from;
  j["to"] = m.to;
  j["cc"] = m.cc;
  j["subject"] = m.subject;
  j["message_id"] = m.message_id;
  j["date"] = m.date;
  auto& a = j["attachments"] = nlohmann::json::array();
  for (const auto& x : m.attachments)
    a.push_back({{"sha256", x.sha256}, {"name", x.name}, {"type", x.type}, {"size", x.size}});
  j["eml_sha256"] = m.eml_sha256;
  j["size"] = m.size;
  j["user"] = m.user;
  j["body_text"] = m.body_text;
  if (!m.helo.empty()) j["helo"] = m.helo;
  if (!m.folder.empty()) j["folder"] = m.folder;
  if (!m.reply_to.empty()) j["reply_to"] = m.reply_to;
  j["flags"] = mail_flag_names(m.flags);
  return j;
}

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

nlohmann::json to_json(const FindingRecord& f) {
  nlohmann::json j;
  j["id"] = f.id;
  j["sha256"] = f.sha256;
  j["session_id"] = f.session_id;
  j["file_event_id"] = f.file_event_id;
  j["ts"] = time_to_epoch_seconds(f.ts);
  put_endpoints(j, f.endpoints);
  j["protocol"] = f.protocol;
  j["direction"] = f.direction;
  j["file_name"] = f.file_name;
  j["detector"] = f.detector;
  j["confidence"] = f.confidence;
  j["count"] = f.count;
  j["severity"] = f.severity;
  j["sample"] = f.sample;
  if (!f.member.empty()) j["member"] = f.member;
  if (f.alert_id != 0) j["alert_id"] = f.alert_id;
  return j;
}

nlohmann::json to_json(const AlertRecord& a) {
  nlohmann::json j;
  j["id"] = a.id;
  j["ts"] = time_to_epoch_seconds(a.ts);
  j["severity"] = a.severity;
  j["title"] = a.title;
  j["session_id"] = a.session_id;
  j["file_event_id"] = a.file_event_id;
  j["sha256"] = a.sha256;
  put_endpoints(j, a.endpoints);
  j["protocol"] = a.protocol;
  j["direction"] = a.direction;
  j["file_name"] = a.file_name;
  if (!a.user.empty()) j["user"] = a.user;
  if (!a.host.empty()) j["host"] = a.host;
  j["findings"] = a.findings;
  return j;
}

}  // namespace kagami::records
