#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// One DNS query and its response (either may be missing).
struct DnsRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::uint16_t txid = 0;
  std::string query;                 // the first question's name
  std::string qtype;                 // "A", "AAAA", ..., or "TYPE65"
  std::string rcode;                 // "NOERROR", "NXDOMAIN", ..., empty without a response
  std::vector<std::string> answers;  // "A 192.0.2.1", "CNAME example.net", ...
  std::vector<std::string>
      additional;  // authority and additional records: "ns1.example.net A 192.0.2.53"
  bool response_seen = false;
  bool truncated = false;  // TC bit

  static constexpr RecordType kType{"dns", "dns",  "DNS record(s)", "list DNS queries and answers",
                                    "id",  "query"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", Shown::kTime, "ts", {}, 27},
      {"CLIENT", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", Shown::kEndpoint, "server", {}, 23},
      {"QUERY", Shown::kText, "query", {}, 40, 40},
      {"TYPE", Shown::kText, "qtype", {}, 6},
      {"RCODE", Shown::kText, "rcode", {}, 9},
      {"ANSWERS", Shown::kList, "answers", {}, 0, 200, false, 1, "; "}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the query's number"));
    v(r.session_id, as::ref("session_id", "the session that carried it"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "the query (or the response when no query was seen)"));
    v(r.txid, as::count("txid", "the transaction id"));
    v(r.query, as::host("query", "the first question's name")
                   .searched("dns.query", "query", "DNS query name")
                   .also_searched_as("host"));
    v(r.qtype, as::name_of_set("qtype", "the question's type (A, AAAA, TYPE65)")
                   .searched("dns.type", "qtype", "DNS query type: A, AAAA"));
    v(r.rcode, as::name_of_set("rcode", "the response code (empty: no response)")
                   .searched("dns.rcode", "rcode", "DNS response code"));
    v(r.answers, as::list("answers", "the answers: \"A 192.0.2.1\", \"CNAME example.net\"")
                     .searched("dns.answer", "answer", "DNS answer"));
    v(r.additional, as::list("additional", "the authority and additional records"));
    v(r.response_seen, as::boolean("response", "whether a response was seen"));
    v(r.truncated, as::boolean("truncated", "the TC bit").omitted_when_empty());
  }
};

}  // namespace kagami::records
