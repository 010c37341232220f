#include "kagami/analyzers/dns/dns_records.h"

namespace kagami::analyzers {

void record_query(records::DnsRecord& r, const wire::DnsMessage& m) {
  r.txid = m.id;
  r.query = m.questions.empty() ? std::string() : m.questions[0].name;
  r.qtype = m.questions.empty() ? std::string() : wire::dns_type_name(m.questions[0].type);
}

void record_response(records::DnsRecord& r, const wire::DnsMessage& m, NameCache* names,
                     TimeNs ts) {
  const std::string qname = m.questions.empty() ? std::string() : m.questions[0].name;
  r.response_seen = true;
  r.truncated = m.truncated;
  r.rcode = wire::dns_rcode_name(m.rcode);
  for (const wire::DnsResource& a : m.answers) {
    r.answers.push_back(wire::dns_type_name(a.type) + " " + a.data);
    if (names && a.has_address && !qname.empty()) names->learn(a.address, qname, ts);
  }
  for (const auto* section : {&m.authority, &m.additional}) {
    for (const wire::DnsResource& a : *section) {
      if (a.type == 41) continue;  // OPT: EDNS parameters, not data
      r.additional.push_back(a.name + " " + wire::dns_type_name(a.type) + " " + a.data);
      if (names && a.has_address) names->learn(a.address, a.name, ts);  // glue names its owner
    }
  }
}

}  // namespace kagami::analyzers
