#pragma once

// Runs a session through the analyzers with everything they emit kept in memory: the records,
// and the files' bytes, so tests can check both.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kagami/analyzers/session_analysis.h"
#include "kagami/base/md5.h"
#include "kagami/base/sha256.h"
#include "kagami/recorder/shared_state.h"

namespace kagami::testing {

class MemoryFiles final : public analyzers::FileSink {
 public:
  std::unique_ptr<analyzers::FileWriter> open() override { return std::make_unique<Writer>(*this); }
  std::map<std::string, std::string> by_sha256;  // every object's bytes

 private:
  class Writer final : public analyzers::FileWriter {
   public:
    explicit Writer(MemoryFiles& owner) : owner_(owner) {}
    void write(ByteView b) override { bytes_.append(as_chars(b)); }
    std::uint64_t size() const override { return bytes_.size(); }
    records::FileRecord finish() override {
      records::FileRecord f;
      f.sha256 = to_hex(Sha256::of(as_bytes(bytes_)));
      Md5 md5;
      md5.update(as_bytes(bytes_));
      const Md5Digest d = md5.finish();
      f.md5 = to_hex(ByteView(d.data(), d.size()));
      f.size = bytes_.size();
      owner_.by_sha256[f.sha256] = bytes_;
      return f;
    }

   private:
    MemoryFiles& owner_;
    std::string bytes_;
  };
};

class CollectedRecords final : public analyzers::RecordSink {
 public:
  std::uint64_t new_id(analyzers::IdSpace space) override { return ++ids[space]; }
  void emit(records::AnyRecord&& any) override {
    std::visit(
        [&]<class R>(R&& r) {
          if constexpr (std::is_same_v<R, records::HttpRecord>) http.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::DnsRecord>) dns.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::TlsRecord>) tls.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::MailRecord>) mail.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::FtpRecord>) ftp.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::SmbRecord>) smb.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::DceRpcRecord>) dcerpc.push_back(std::move(r));
          if constexpr (std::is_same_v<R, records::WebSocketRecord>)
            websocket.push_back(std::move(r));
        },
        std::move(any));
  }
  void emit(records::FileRecord&& f, records::FileEvent&& e) override {
    e.sha256 = f.sha256;
    files.push_back(std::move(f));
    events.push_back(std::move(e));
  }

  std::uint64_t ids[analyzers::kIdSpaces] = {};
  std::vector<records::HttpRecord> http;
  std::vector<records::DnsRecord> dns;
  std::vector<records::TlsRecord> tls;
  std::vector<records::MailRecord> mail;
  std::vector<records::FtpRecord> ftp;
  std::vector<records::SmbRecord> smb;
  std::vector<records::DceRpcRecord> dcerpc;
  std::vector<records::WebSocketRecord> websocket;
  std::vector<records::FileRecord> files;
  std::vector<records::FileEvent> events;
};

// One analyzer context with its collaborators, and helpers to play a conversation.
class AnalyzerHarness {
 public:
  AnalyzerHarness() {
    cx.records = &records;
    cx.files = &files;
    cx.names = &names;
    cx.expected = &expected;
    cx.shared = &shared;
    cx.limits = &limits;
    cx.counters = &counters;
    cx.log_once = &log_once;
  }

  // A TCP session from 192.0.2.1:50000 to 198.51.100.2:`server_port`.
  std::unique_ptr<analyzers::SessionAnalysis> tcp(std::uint16_t server_port,
                                                  std::uint64_t session_id = 1) {
    return session(server_port, session_id, 6);
  }
  std::unique_ptr<analyzers::SessionAnalysis> udp(std::uint16_t server_port,
                                                  std::uint64_t session_id = 1) {
    return session(server_port, session_id, 17);
  }

  static void send(analyzers::SessionAnalysis& a, flow::Direction dir, std::string_view bytes,
                   TimeNs ts = 1'000'000'000) {
    a.on_data(dir, ts, as_bytes(bytes));
  }
  // Delivers `bytes` in pieces of `piece` bytes, as segments would arrive.
  static void send_split(analyzers::SessionAnalysis& a, flow::Direction dir, std::string_view bytes,
                         std::size_t piece, TimeNs ts = 1'000'000'000) {
    for (std::size_t i = 0; i < bytes.size(); i += piece)
      a.on_data(dir, ts, as_bytes(bytes.substr(i, piece)));
  }

  // A connection from 192.0.2.1:`client_port` to 198.51.100.2:`server_port` that a control
  // session announced (an FTP data connection), claimed as the recorder claims it at its start;
  // `expected` is empty when nothing announced it.
  analyzers::SessionState announced(std::uint64_t session_id, std::uint16_t client_port,
                                    std::uint16_t server_port) {
    analyzers::SessionState st;
    st.session_id = session_id;
    st.client_ip = IpAddress::parse("192.0.2.1").value();
    st.server_ip = IpAddress::parse("198.51.100.2").value();
    st.client_port = client_port;
    st.server_port = server_port;
    st.transport = 6;
    st.endpoints = records::Endpoints{st.client_ip, st.server_ip, st.client_port, st.server_port};
    st.expected = expected.claim(6, st.client_ip, st.client_port, st.server_ip, st.server_port, 0);
    return st;
  }

  std::string file_bytes(const std::string& sha256) const {
    auto it = files.by_sha256.find(sha256);
    return it == files.by_sha256.end() ? std::string() : it->second;
  }

  CollectedRecords records;
  MemoryFiles files;
  recorder::SharedNameCache names;
  recorder::SharedExpectedConnections expected;
  analyzers::SharedState shared;
  analyzers::AnalyzerLimits limits;
  analyzers::AnalyzerCounters counters;
  LogOnce log_once;
  analyzers::AnalyzerContext cx;

 private:
  std::unique_ptr<analyzers::SessionAnalysis> session(std::uint16_t server_port,
                                                      std::uint64_t session_id,
                                                      std::uint8_t transport) {
    analyzers::SessionState st;
    st.session_id = session_id;
    st.client_ip = IpAddress::parse("192.0.2.1").value();
    st.server_ip = IpAddress::parse("198.51.100.2").value();
    st.client_port = 50000;
    st.server_port = server_port;
    st.transport = transport;
    st.endpoints.client_ip = st.client_ip;
    st.endpoints.server_ip = st.server_ip;
    st.endpoints.client_port = st.client_port;
    st.endpoints.server_port = st.server_port;
    return std::make_unique<analyzers::SessionAnalysis>(std::move(st), cx);
  }
};

inline constexpr flow::Direction kC2S = flow::Direction::kClientToServer;
inline constexpr flow::Direction kS2C = flow::Direction::kServerToClient;

}  // namespace kagami::testing
