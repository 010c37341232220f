#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/counter.h"
#include "kagami/base/ip_address.h"
#include "kagami/base/log_once.h"
#include "kagami/base/memory_budget.h"
#include "kagami/base/time.h"
#include "kagami/content/body_decoder.h"
#include "kagami/content/mime_message.h"
#include "kagami/content/multipart_parser.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/file_record.h"
#include "kagami/records/record_types.h"
#include "kagami/wire/http1_parser.h"
#include "kagami/wire/http2_parser.h"

namespace kagami::analyzers {

// An object being extracted: bytes in, and at the end its identity (hashes, size, type).
class FileWriter {
 public:
  virtual ~FileWriter() = default;
  virtual void write(ByteView bytes) = 0;
  virtual std::uint64_t size() const = 0;
  // Stores the object (once per content) and says what it is. The writer is spent after.
  virtual records::FileRecord finish() = 0;
};

// Where extracted objects go (the recorder puts them in STORE/files).
class FileSink {
 public:
  virtual ~FileSink() = default;
  virtual std::unique_ptr<FileWriter> open() = 0;
};

// Which sequence a new id comes from: one per record type of records/record_types.h (by its
// place in the list) and one for file sightings.
using IdSpace = std::size_t;
inline constexpr IdSpace kFileEventIds = records::RecordTypes::size;
inline constexpr std::size_t kIdSpaces = kFileEventIds + 1;

// Where records go (the recorder batches them to the index).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual std::uint64_t new_id(IdSpace space) = 0;
  virtual void emit(records::AnyRecord&& r) = 0;
  virtual void emit(records::FileRecord&& file, records::FileEvent&& event) = 0;

  // The next number of record type R.
  template <class R>
  std::uint64_t new_id() {
    return new_id(records::record_type_index<R>());
  }
  std::uint64_t new_file_event_id() { return new_id(kFileEventIds); }
};

// Host names learned from DNS answers, shared by all workers: a later session to an address
// is recorded with the name that was resolved for it.
class NameCache {
 public:
  virtual ~NameCache() = default;
  virtual void learn(const IpAddress& address, const std::string& name, TimeNs ts) = 0;
  // The name most recently resolved for `address` at or before `ts`; empty if none.
  virtual std::string lookup(const IpAddress& address, TimeNs ts) const = 0;
};

// Connections one session announces for another to open (Zeek's ExpectConnection): FTP's
// data connections today; SMB/DCE-RPC endpoint-mapped ports, SIP-like media or FTP-TLS data
// tomorrow. Shared by all workers, because the two connections may land on different ones.
//
// What the announcing analyzer wants the taking one to know is state of its own kind, with
// its own lock (FTP: the control session's queue of transfer commands), shared through the
// expectation.
class ExpectationState {
 public:
  virtual ~ExpectationState() = default;
};
struct Expectation {
  std::string analyzer;              // the AnalyzerSpec name that takes the connection
  std::uint64_t parent_session = 0;  // the session that announced it
  std::uint8_t transport = 6;        // IP protocol of the connection (TCP)
  TimeNs ts = 0;                     // when it was announced
  std::shared_ptr<ExpectationState> state;
};
class ExpectedConnections {
 public:
  virtual ~ExpectedConnections() = default;
  // A connection to `listener`:`port`, from anywhere, is announced; a later announcement of
  // the same listener and port replaces it.
  virtual void expect(const IpAddress& listener, std::uint16_t port, Expectation e) = 0;
  // A new connection over `transport` between a:a_port and b:b_port (either end may be the
  // listener): the expectation it fulfils, taken (each is fulfilled once), or none.
  virtual std::optional<Expectation> claim(std::uint8_t transport, const IpAddress& a,
                                           std::uint16_t a_port, const IpAddress& b,
                                           std::uint16_t b_port, TimeNs ts) = 0;
};

// What the recorder offers a protocol's analyzers beyond this context: an object of a type the
// protocol's folder declares (mail: a MailObserver), found by that type; none when the
// recorder offers none. Asked for once per message or transfer, never per packet.
class Services {
 public:
  template <class T>
  void provide(T* service) {
    entries_.emplace_back(std::type_index(typeid(T)), service);
  }
  template <class T>
  T* find() const {
    for (const auto& [type, service] : entries_)
      if (type == std::type_index(typeid(T))) return static_cast<T*>(service);
    return nullptr;
  }

 private:
  std::vector<std::pair<std::type_index, void*>> entries_;
};

// State analyzers share across the recorder's workers, for what one connection learns and
// another needs (an SMB session's channels are hashed to different workers): one object per
// type, made on first use. Asked for when an analyzer starts, not per packet; each object
// locks itself.
class SharedState {
 public:
  template <class T>
  T& get() {
    std::lock_guard lock(mutex_);
    std::shared_ptr<void>& slot = objects_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> objects_;
};

struct AnalyzerLimits {
  std::size_t max_buffer_bytes = 1u << 20;  // unconsumed bytes held per direction
  std::size_t detect_bytes = 4096;          // bytes looked at to recognize a protocol
  wire::HttpLimits http;
  wire::Http2Limits http2;
  std::size_t max_http2_streams = 1024;  // HTTP/2 streams open at once in one connection
  // Streams a client cancels before any answer, recorded one by one; beyond, a flood (rapid
  // reset, CVE-2023-44487) is counted and flagged on the session instead.
  std::size_t max_http2_reset_records = 1000;
  std::size_t max_dns_message_bytes = 65535;           // a DNS-over-HTTPS body read as DNS
  std::size_t max_websocket_message_bytes = 4u << 20;  // kept (and inflated) per message
  std::size_t websocket_file_bytes = 1024;  // a binary message this large is kept as a file
  content::DecodeLimits decode;
  content::MultipartLimits multipart;
  std::size_t max_pipelined_requests = 1024;
  std::uint64_t max_message_bytes = 64u << 20;  // of a mail message parsed (all of it is kept)
  std::size_t message_memory_bytes = 1u << 20;  // held in memory before spilling to disk
  content::MimeLimits mime;
  std::size_t max_line_bytes = 64u << 10;  // a command or reply line (SMTP, POP3, IMAP, FTP)
};

struct AnalyzerCounters {
  Counter sessions_detected;
  Counter sessions_unknown;
  Counter violations;
  Counter buffer_limit;
  Counter files;
  Counter file_bytes;
  // The records emitted, one counter per record type (record_type_index), counted where they
  // are handed on, so a new type is counted without a line here: "analyzer.records.<kind>".
  std::array<Counter, records::RecordTypes::size> records;

  template <typename F>
  void visit(F&& f) const {
    f("analyzer.sessions_detected", sessions_detected);
    f("analyzer.sessions_unknown", sessions_unknown);
    f("analyzer.violations", violations);
    f("analyzer.buffer_limit", buffer_limit);
    static const std::array<std::string, records::RecordTypes::size> names = [] {
      std::array<std::string, records::RecordTypes::size> out;
      records::for_each_record_type([&]<class R>() {
        out[records::record_type_index<R>()] = "analyzer.records." + std::string(R::kType.kind);
      });
      return out;
    }();
    for (std::size_t i = 0; i < records.size(); ++i) f(names[i].c_str(), records[i]);
    f("analyzer.files", files);
    f("analyzer.file_bytes", file_bytes);
  }
};

// Everything an analyzer may use; no globals. Owned by the worker.
struct AnalyzerContext {
  RecordSink* records = nullptr;
  FileSink* files = nullptr;
  NameCache* names = nullptr;
  ExpectedConnections* expected = nullptr;
  const Services* services = nullptr;
  SharedState* shared = nullptr;  // null: each connection on its own
  const AnalyzerLimits* limits = nullptr;
  AnalyzerCounters* counters = nullptr;
  LogOnce* log_once = nullptr;
  std::string spool_dir;  // where messages too large for memory wait for parsing; empty: none
  MemoryBudget* content_memory = nullptr;  // shared by what waits in memory to be stored or parsed
};

// What an HTTP/1.1 Upgrade (101 Switching Protocols, RFC 9110 7.8) hands to the protocol that
// follows it on the connection: the token the server switched to, the request that asked (h2c
// answers it on stream 1, RFC 7540 3.2) and the response (a WebSocket's extensions are there).
struct Upgrade {
  std::string protocol;  // "h2c", "websocket": the response's Upgrade, in lower case
  records::HttpRecord request;
  wire::HttpHead response;
};

// The session an analyzer works for: fixed facts, and what it may tell the session record.
struct SessionState {
  std::uint64_t session_id = 0;
  records::Endpoints endpoints;
  IpAddress client_ip, server_ip;
  std::uint16_t client_port = 0, server_port = 0;
  std::uint8_t transport = 0;
  TimeNs ts_first = 0;

  std::vector<std::string> apps;  // protocols recognized, outermost first
  std::string user;
  std::string host;
  bool encrypted = false;  // encrypted, not inspected
  // The recorder's own proxy carried this session (its mirror), and decrypted it: from the
  // start (TLS), or from an accepted STARTTLS on (the mirror then goes on in plaintext).
  bool proxied = false;
  bool decrypted = false;
  bool analyzer_violation = false;
  bool analyzer_limit = false;
  bool redetect = false;  // the analyzer asks to hand the rest of the stream to detection
  // Set with `redetect` by a protocol whose upgrade to TLS the server accepted (STARTTLS,
  // STLS, AUTH TLS): its name. What the client sends next is TLS, or, where a decrypting proxy
  // mirrored the session, that protocol again in plaintext.
  const char* upgraded_from = nullptr;
  // The protocol this session's TLS was begun in (by the upgrade above): when both sides end
  // their TLS with a closure alert and go on in plaintext (FTP's CCC, RFC 4217 11), that
  // protocol is read again.
  const char* tls_over = nullptr;
  // Set when another session announced this one (an FTP data connection): the analyzer named
  // there takes it, whatever its bytes look like.
  std::optional<Expectation> expected;
  // Set when HTTP/1.1 switched protocols: what the next analyzer takes over.
  std::optional<Upgrade> upgrade;
};

}  // namespace kagami::analyzers
