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
  std::string via;         // "https": DNS over HTTPS (RFC 8484); empty: DNS itself

  static constexpr RecordType kType{.kind = "dns",
                                    .table = "dns",
                                    .noun = "DNS record(s)",
                                    .help = "list DNS queries and answers",
                                    .id_column = "id",
                                    .host_column = "query",
                                    .title = "DNS queries",
                                    .title_ja = "DNS クエリ"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"QUERY", "クエリ", Shown::kText, "query", {}, 40, 40},
      {"TYPE", "タイプ", Shown::kText, "qtype", {}, 6},
      {"RCODE", "応答コード", Shown::kText, "rcode", {}, 9},
      {"ANSWERS", "回答", Shown::kList, "answers", {}, 0, 200, false, 1, "; "}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the query's number").ja("クエリの番号"));
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "the query (or the response when no query was seen)")
                .ja("クエリ (見えなければレスポンス) の時刻"));
    v(r.txid, as::count("txid", "the transaction id").ja("トランザクション ID"));
    v(r.query, as::host("query", "the first question's name")
                   .ja("最初の質問の名前")
                   .searched("dns.query", "query", "DNS query name")
                   .also_searched_as("host"));
    v(r.qtype, as::name_of_set("qtype", "the question's type (A, AAAA, TYPE65)")
                   .ja("質問のタイプ (A, AAAA, TYPE65)")
                   .searched("dns.type", "qtype", "DNS query type: A, AAAA"));
    v(r.rcode, as::name_of_set("rcode", "the response code (empty: no response)")
                   .ja("応答コード (空: 応答なし)")
                   .searched("dns.rcode", "rcode", "DNS response code"));
    v(r.answers, as::list("answers", "the answers: \"A 192.0.2.1\", \"CNAME example.net\"")
                     .ja("回答: \"A 192.0.2.1\"、\"CNAME example.net\"")
                     .searched("dns.answer", "answer", "DNS answer"));
    v(r.additional, as::list("additional", "the authority and additional records")
                        .ja("権威セクションと追加セクションのレコード"));
    v(r.response_seen, as::boolean("response", "whether a response was seen").ja("応答が見えたか"));
    v(r.truncated, as::boolean("truncated", "the TC bit").ja("TC ビット").omitted_when_empty());
    v(r.via, as::name_of_set("via", "what carried it: https (DNS over HTTPS), empty for DNS")
                 .ja("運んだもの: https (DNS over HTTPS)、DNS そのものなら空")
                 .searched("dns.via", "", "what carried DNS: https")
                 .omitted_when_empty());
  }
};

}  // namespace kagami::records
