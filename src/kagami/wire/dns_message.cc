#include "kagami/wire/dns_message.h"

#include <cstdio>

#include <arpa/inet.h>

namespace kagami::wire {
namespace {

class Reader {
 public:
  Reader(ByteView m, const DnsLimits& limits) : m_(m), limits_(limits) {}
  bool u8(std::uint8_t& v) {
    if (pos_ + 1 > m_.size()) return false;
    v = m_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (pos_ + 2 > m_.size()) return false;
    v = load_be16(m_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (pos_ + 4 > m_.size()) return false;
    v = load_be32(m_.data() + pos_);
    pos_ += 4;
    return true;
  }
  // A possibly compressed name starting at `at`; `next` is where the name ended in place.
  bool name_at(std::size_t at, std::string& out, std::size_t& next) const {
    out.clear();
    int jumps = 0;
    bool jumped = false;
    std::size_t p = at;
    for (;;) {
      if (p >= m_.size()) return false;
      const std::uint8_t len = m_[p];
      if ((len & 0xc0) == 0xc0) {
        if (p + 1 >= m_.size()) return false;
        const std::size_t target = static_cast<std::size_t>(((len & 0x3f) << 8) | m_[p + 1]);
        if (!jumped) next = p + 2;
        jumped = true;
        if (++jumps > limits_.max_pointer_jumps || target >= m_.size()) return false;
        p = target;
        continue;
      }
      if ((len & 0xc0) != 0) return false;  // the 0x40 and 0x80 label types are obsolete
      if (len == 0) {
        if (!jumped) next = p + 1;
        if (out.empty()) out = ".";
        return true;
      }
      if (p + 1 + len > m_.size()) return false;
      if (!out.empty()) out += '.';
      for (std::size_t i = 0; i < len; ++i) {
        const char c = static_cast<char>(m_[p + 1 + i]);
        if (c > 32 && c < 127 && c != '.' && c != '\\') {
          out += c;
        } else {
          char esc[6];
          std::snprintf(esc, sizeof esc, "\\%03u", static_cast<unsigned char>(c));
          out += esc;
        }
      }
      if (out.size() > 1024) return false;
      p += 1 + len;
    }
  }
  bool name(std::string& out) {
    std::size_t next = pos_;
    if (!name_at(pos_, out, next)) return false;
    pos_ = next;
    return true;
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t p) { pos_ = p; }
  ByteView view() const { return m_; }

 private:
  ByteView m_;
  const DnsLimits& limits_;
  std::size_t pos_ = 0;
};

std::string hex(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

bool parse_resource(Reader& r, DnsResource& out) {
  std::uint16_t rdlength;
  if (!r.name(out.name) || !r.u16(out.type) || !r.u16(out.klass) || !r.u32(out.ttl) ||
      !r.u16(rdlength))
    return false;
  const std::size_t start = r.pos();
  const ByteView m = r.view();
  if (start + rdlength > m.size()) return false;
  const ByteView rdata = m.subspan(start, rdlength);
  std::size_t ignored;
  switch (out.type) {
    case 1:  // A
      if (rdlength != 4) return false;
      out.address = IpAddress::v4(rdata.data());
      out.has_address = true;
      out.data = out.address.to_string();
      break;
    case 28:  // AAAA
      if (rdlength != 16) return false;
      out.address = IpAddress::v6(rdata.data());
      out.has_address = true;
      out.data = out.address.to_string();
      break;
    case 2:   // NS
    case 5:   // CNAME
    case 12:  // PTR
    case 39:  // DNAME
      if (!r.name_at(start, out.data, ignored)) return false;
      break;
    case 15: {  // MX
      if (rdlength < 3) return false;
      std::string host;
      if (!r.name_at(start + 2, host, ignored)) return false;
      out.data = std::to_string(load_be16(rdata.data())) + " " + host;
      break;
    }
    case 33: {  // SRV: priority weight port target
      if (rdlength < 7) return false;
      std::string host;
      if (!r.name_at(start + 6, host, ignored)) return false;
      out.data = std::to_string(load_be16(rdata.data())) + " " +
                 std::to_string(load_be16(rdata.data() + 2)) + " " +
                 std::to_string(load_be16(rdata.data() + 4)) + " " + host;
      break;
    }
    case 6: {  // SOA
      std::string mname, rname;
      std::size_t after;
      if (!r.name_at(start, mname, after) || !r.name_at(after, rname, after)) return false;
      if (after + 20 > start + rdlength) return false;
      out.data = mname + " " + rname + " " + std::to_string(load_be32(m.data() + after));
      break;
    }
    case 16: {  // TXT: length-prefixed strings
      std::size_t p = 0;
      while (p < rdata.size()) {
        const std::size_t n = rdata[p];
        if (p + 1 + n > rdata.size()) return false;
        if (!out.data.empty()) out.data += ' ';
        out.data += '"';
        for (std::size_t i = 0; i < n; ++i) {
          const char c = static_cast<char>(rdata[p + 1 + i]);
          out.data += (c >= 32 && c < 127 && c != '"') ? c : '?';
        }
        out.data += '"';
        p += 1 + n;
      }
      break;
    }
    default:
      out.data = hex(rdata.first(std::min<std::size_t>(rdata.size(), 256)));
      break;
  }
  r.seek(start + rdlength);
  return true;
}

}  // namespace

Result<DnsMessage> parse_dns(ByteView message, const DnsLimits& limits) {
  Reader r(message, limits);
  DnsMessage m;
  std::uint16_t flags, qd, an, ns, ar;
  if (!r.u16(m.id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar))
    return make_error("dns.truncated_header");
  m.response = (flags & 0x8000) != 0;
  m.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xf);
  m.authoritative = (flags & 0x0400) != 0;
  m.truncated = (flags & 0x0200) != 0;
  m.recursion_desired = (flags & 0x0100) != 0;
  m.recursion_available = (flags & 0x0080) != 0;
  m.rcode = static_cast<std::uint8_t>(flags & 0xf);
  if (qd > limits.max_records || an > limits.max_records || ns > limits.max_records ||
      ar > limits.max_records)
    return make_error("dns.too_many_records");
  for (std::uint16_t i = 0; i < qd; ++i) {
    DnsQuestion q;
    if (!r.name(q.name) || !r.u16(q.type) || !r.u16(q.klass)) return make_error("dns.bad_question");
    m.questions.push_back(std::move(q));
  }
  const std::pair<std::uint16_t, std::vector<DnsResource>*> sections[] = {
      {an, &m.answers}, {ns, &m.authority}, {ar, &m.additional}};
  for (const auto& [count, into] : sections) {
    for (std::uint16_t i = 0; i < count; ++i) {
      DnsResource rr;
      if (!parse_resource(r, rr)) {
        // Keep what parsed: a truncated response still tells what was answered.
        if (into == &m.answers && m.answers.empty()) return make_error("dns.bad_record");
        return m;
      }
      into->push_back(std::move(rr));
    }
  }
  return m;
}

std::string dns_type_name(std::uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 39:
      return "DNAME";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 52:
      return "TLSA";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 99:
      return "SPF";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 257:
      return "CAA";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string dns_rcode_name(std::uint8_t rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) return kNames[rcode];
  return "RCODE" + std::to_string(rcode);
}

}  // namespace kagami::wire
