// DNS over UDP and TCP (RFC 1035, RFC 7766): a record per query and its response; answers
// teach the name cache which name each address was resolved from.
#include <map>
#include <memory>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/dns/dns_records.h"
#include "kagami/wire/dns_message.h"

namespace kagami::analyzers {
namespace {

bool dns_port(std::uint16_t p) { return p == 53 || p == 5353 || p == 5355; }

class DnsAnalyzer final : public Analyzer {
 public:
  DnsAnalyzer(SessionState& s, AnalyzerContext& cx) : s_(s), cx_(cx) {}

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    // TCP: each message has a two-byte length (RFC 1035 4.2.2).
    std::size_t used = 0;
    while (bytes.size() - used >= 2) {
      const std::size_t len = load_be16(bytes.data() + used);
      if (bytes.size() - used < 2 + len) return {used, 2 + len};
      message(dir, ts, bytes.subspan(used + 2, len));
      used += 2 + len;
    }
    return {used, 2};
  }
  void on_gap(Direction, TimeNs, std::uint64_t) override {}
  void on_end(Direction, TimeNs) override {}
  void on_datagram(Direction dir, TimeNs ts, ByteView payload) override {
    message(dir, ts, payload);
  }

  void on_close(TimeNs) override {
    // Queries that were never answered are records too.
    for (auto& [id, r] : pending_) cx_.records->emit(std::move(r));
    pending_.clear();
  }

 private:
  void message(Direction dir, TimeNs ts, ByteView bytes) {
    (void)dir;
    auto parsed = wire::parse_dns(bytes);
    if (!parsed) {
      ++cx_.counters->violations;
      s_.analyzer_violation = true;
      (void)cx_.log_once->first(parsed.error().message);
      return;
    }
    const wire::DnsMessage& m = parsed.value();
    if (!m.response) {
      records::DnsRecord r;
      r.id = cx_.records->new_id<records::DnsRecord>();
      r.session_id = s_.session_id;
      r.endpoints = s_.endpoints;
      r.ts = ts;
      record_query(r, m);
      auto it = pending_.find(m.id);
      if (it != pending_.end())
        cx_.records->emit(std::move(it->second));  // retransmitted or reused id
      pending_[m.id] = std::move(r);
      if (pending_.size() > kMaxPending) {
        cx_.records->emit(std::move(pending_.begin()->second));
        pending_.erase(pending_.begin());
      }
      return;
    }
    records::DnsRecord r;
    auto it = pending_.find(m.id);
    if (it != pending_.end()) {
      r = std::move(it->second);
      pending_.erase(it);
    } else {
      r.id = cx_.records->new_id<records::DnsRecord>();
      r.session_id = s_.session_id;
      r.endpoints = s_.endpoints;
      r.ts = ts;
      record_query(r, m);
    }
    record_response(r, m, cx_.names, ts);
    cx_.records->emit(std::move(r));
  }

  static constexpr std::size_t kMaxPending = 4096;
  SessionState& s_;
  AnalyzerContext& cx_;
  std::map<std::uint16_t, records::DnsRecord> pending_;  // queries by transaction id
};

// A DNS port and a message that parses. DNS on other ports is not guessed at: random UDP
// parses as DNS too often.
Verdict detect(const DetectInput& in) {
  if (!dns_port(in.server_port) && !dns_port(in.client_port)) return Verdict::kNo;
  ByteView m = in.c2s.empty() ? in.s2c : in.c2s;
  if (in.transport == 6) {
    if (m.size() < 2) return Verdict::kMaybe;
    const std::size_t len = load_be16(m.data());
    if (m.size() < 2 + std::min<std::size_t>(len, 512)) return Verdict::kMaybe;
    m = m.subspan(2, std::min(len, m.size() - 2));
  } else if (in.transport != 17) {
    return Verdict::kNo;
  }
  auto parsed = wire::parse_dns(m);
  return parsed.ok() && parsed->questions.size() <= 16 ? Verdict::kYes : Verdict::kNo;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<DnsAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kDnsAnalyzer{"dns", detect, create};

}  // namespace kagami::analyzers
