#include "kagami/recorder/worker.h"

#include <cstring>

#include "kagami/analyzers/session_analysis.h"
#include "kagami/analyzers/tls/proxied_tls.h"
#include "kagami/base/backoff.h"
#include "kagami/packet/decoder.h"
#include "kagami/packet/link_type.h"
#include "kagami/recorder/inspection_pool.h"
#include "kagami/recorder/ppap_correlator.h"

namespace kagami::recorder {
namespace {

records::SessionRecord make_record(const flow::Flow& f, flow::EndReason reason,
                                   const std::string& sensor) {
  using flow::Direction;
  records::SessionRecord r;
  r.id = f.session_id;
  r.sensor = sensor;
  r.ts_first = f.ts_first;
  r.ts_last = f.ts_last;
  r.transport = f.key.proto;
  r.ip_version = f.key.ip_version;
  r.client_ip = f.client_ip();
  r.server_ip = f.server_ip();
  r.client_port = f.client_port();
  r.server_port = f.server_port();
  r.client_mac = f.mac[flow::index(Direction::kClientToServer)];
  r.server_mac = f.mac[flow::index(Direction::kServerToClient)];
  r.vlan = f.key.vlan_outer;
  r.vlan_inner = f.key.vlan_inner;
  r.pkts_c2s = f.pkts[0];
  r.pkts_s2c = f.pkts[1];
  r.bytes_c2s = f.bytes[0];
  r.bytes_s2c = f.bytes[1];
  const auto c2s = f.session_stream_stats(Direction::kClientToServer);
  const auto s2c = f.session_stream_stats(Direction::kServerToClient);
  r.stream_bytes_c2s = c2s.delivered;
  r.stream_bytes_s2c = s2c.delivered;
  r.gaps = c2s.gaps + s2c.gaps;
  r.gap_bytes = c2s.gap_bytes + s2c.gap_bytes;
  std::uint32_t flags = 0;
  if (r.gaps > 0) flags |= records::kSessionGap;
  if (f.truncated) flags |= records::kSessionTruncated;
  if (f.mid_stream) flags |= records::kSessionMidStream;
  if (reason == flow::EndReason::kIdleTimeout || reason == flow::EndReason::kAbsoluteTimeout)
    flags |= records::kSessionTimedOut;
  if (reason == flow::EndReason::kEvicted) flags |= records::kSessionEvicted;
  if (c2s.overlap_conflicts + s2c.overlap_conflicts > 0) flags |= records::kSessionOverlapConflict;
  if (c2s.limited || s2c.limited) flags |= records::kSessionReassemblyLimit;
  if (reason == flow::EndReason::kAbsoluteTimeout) flags |= records::kSessionSplit;
  if (f.continued) flags |= records::kSessionContinued;
  if (f.fragmented) flags |= records::kSessionFragmented;
  if (f.fragment_conflict) flags |= records::kSessionFragmentConflict;
  if (f.malformed) flags |= records::kSessionMalformed;
  if (reason == flow::EndReason::kEndOfInput) flags |= records::kSessionUnfinished;
  r.flags = flags;
  r.end_reason = flow::end_reason_name(reason);
  return r;
}

}  // namespace

Worker::Worker(std::size_t index, const RecorderConfig& config, WorkerShared& shared,
               StoreWriter& writer, std::size_t writer_queue)
    : index_(index),
      config_(config),
      shared_(shared),
      writer_(writer),
      writer_queue_(writer_queue),
      table_(config.flow, config.reassembly, *this),
      batch_(std::make_unique<StoreBatch>()) {
  if (config.workers > 0) ring_ = std::make_unique<ByteRing>(config.worker_ring_bytes);
  if (config.analyze && shared.files != nullptr) {
    files_ = std::make_unique<FileExtractor>(*shared.files, log_once_, shared.files_not_stored);
    cx_.records = this;
    cx_.files = files_.get();
    cx_.names = shared.names;
    cx_.expected = shared.expected;
    cx_.shared = &shared.analyzers;
    cx_.limits = &config.analyzers;
    cx_.counters = &acounters_;
    cx_.log_once = &log_once_;
    cx_.spool_dir = shared.files->spool_dir();
    cx_.content_memory = &shared.files->writer_memory();
    if (shared.ppap != nullptr && shared.inspection != nullptr) {
      ppap_ = std::make_unique<PpapObserver>(*shared.ppap, *shared.inspection, index);
      services_.provide<analyzers::MailObserver>(ppap_.get());
    }
    cx_.services = &services_;
  }
}

Worker::~Worker() { join(); }

void Worker::on_session_start(flow::Flow& flow) {
  flow.session_id = shared_.next_session_id.fetch_add(1, std::memory_order_relaxed);
  if (flow.owned_sink) {
    // The rest of a session cut by the absolute timeout: its analysis goes on.
    static_cast<analyzers::SessionAnalysis*>(flow.owned_sink.get())->state().session_id =
        flow.session_id;
    return;
  }
  flow.sink = nullptr;
  if (!files_ || (flow.key.proto != packet::kProtoTcp && flow.key.proto != packet::kProtoUdp))
    return;
  analyzers::SessionState st;
  st.session_id = flow.session_id;
  st.client_ip = flow.client_ip();
  st.server_ip = flow.server_ip();
  st.client_port = flow.client_port();
  st.server_port = flow.server_port();
  st.endpoints = records::Endpoints{st.client_ip, st.server_ip, st.client_port, st.server_port};
  st.transport = flow.key.proto;
  st.ts_first = flow.ts_first;
  // Who, from the start: the proxy's login for a connection it mirrored; and whether what it
  // mirrored was decrypted.
  if (shared_.proxied != nullptr) {
    auto note =
        shared_.proxied->at_start(st.client_ip, st.client_port, st.server_ip, st.server_port);
    st.user = std::move(note.user);
    st.proxied = note.noted;
    st.decrypted = note.decrypted;
  }
  if (shared_.expected != nullptr)
    st.expected = shared_.expected->claim(st.transport, st.client_ip, st.client_port, st.server_ip,
                                          st.server_port, flow.ts_first);
  flow.owned_sink = std::make_unique<analyzers::SessionAnalysis>(std::move(st), cx_);
  flow.sink = flow.owned_sink.get();
}

std::uint64_t Worker::new_id(analyzers::IdSpace space) {
  return shared_.next_id[space].fetch_add(1, std::memory_order_relaxed);
}

void Worker::maybe_send() {
  if (batch_->rows() >= config_.worker_batch_records) send_batch();
}

void Worker::emit(records::AnyRecord&& any) {
  std::visit(
      [this]<class R>(R&& r) {
        if constexpr (requires { R::notable(r); }) {
          if (shared_.inspection != nullptr)
            if (auto n = R::notable(r)) tell_policy(std::move(*n));
        }
        ++acounters_.records[records::record_type_index<R>()];
        batch_->of<R>().push_back(std::move(r));
      },
      std::move(any));
  maybe_send();
}
void Worker::tell_policy(records::Notable&& n) {
  InspectionJob job;
  records::FileEvent& e = job.event;
  e.session_id = n.session_id;
  e.endpoints = n.endpoints;
  e.ts = n.ts;
  e.protocol = std::move(n.protocol);
  e.direction = "sent";  // the client asked for it
  e.name = std::move(n.name);
  e.user = std::move(n.user);
  if (shared_.names != nullptr) e.host = shared_.names->lookup(n.endpoints.server_ip, n.ts);
  inspect::ObjectFinding f;
  f.detector = std::move(n.detector);
  f.confidence = inspect::Confidence::kHigh;  // seen on the wire, not guessed from content
  f.count = 1;
  f.sample = std::move(n.sample);
  job.notable.push_back(std::move(f));
  shared_.inspection->submit(index_, std::move(job));
}

void Worker::emit(records::FileRecord&& file, records::FileEvent&& event) {
  // Complete already: every analyzer emits through its SessionAnalysis, whose sink stamps the
  // sighting (records::complete_sighting) before it reaches here.
  if (shared_.inspection != nullptr && !file.sha256.empty())
    shared_.inspection->submit(index_, InspectionJob{file, event, nullptr, {}});
  batch_->objects.push_back(std::move(file));
  batch_->object_events.push_back(std::move(event));
  maybe_send();
}

void Worker::take_locations(flow::Flow& flow) {
  if (flow.locations.empty()) return;
  records::PacketLocationChunk c;
  c.session_id = flow.session_id;
  c.part = flow.location_part++;
  c.count = flow.locations.count();
  c.bytes = flow.locations.take();
  batch_->locations.push_back(std::move(c));
}

void Worker::on_locations_full(flow::Flow& flow) {
  take_locations(flow);
  if (batch_->rows() >= config_.worker_batch_records) send_batch();
}

void Worker::on_session_end(flow::Flow& flow, flow::EndReason reason) {
  take_locations(flow);
  records::SessionRecord r = make_record(flow, reason, config_.sensor);
  r.analysis = config_.analysis;
  if (flow.owned_sink) {
    auto* a = static_cast<analyzers::SessionAnalysis*>(flow.owned_sink.get());
    if (reason != flow::EndReason::kAbsoluteTimeout) a->close(flow.ts_last);
    const analyzers::SessionState& st = a->state();
    for (const std::string& app : st.apps) r.app += (r.app.empty() ? "" : ",") + app;
    r.user = st.user;
    r.host = st.host;
    if (st.encrypted) r.flags |= records::kSessionEncrypted;
  }
  if (shared_.proxied != nullptr) apply_proxy_note(flow, r);
  if (r.host.empty() && shared_.names != nullptr)
    r.host = shared_.names->lookup(r.server_ip, r.ts_first);
  r.location_parts = flow.location_part;
  r.packets_archived = flow.frames;
  batch_->sessions.push_back(std::move(r));
  if (batch_->rows() >= config_.worker_batch_records) send_batch();
}

void Worker::apply_proxy_note(const flow::Flow& flow, records::SessionRecord& r) {
  auto note = shared_.proxied->take(r.client_ip, r.client_port, r.server_ip, r.server_port);
  if (!note) return;
  r.decrypted = note->decrypted;
  if (r.user.empty()) r.user = note->user;
  if (r.host.empty()) r.host = !note->sni.empty() ? note->sni : note->host;
  if (!note->connected) {
    // Refused by the proxy before it connected: the reset on the mirror was the proxy's.
    r.end_reason = "proxy_refused";
    return;
  }
  analyzers::add_proxy_view(*note, flow.session_id, r, batch_->records);
}

void Worker::send_batch() {
  if (batch_->empty()) return;
  writer_.push(writer_queue_, std::move(batch_));
  batch_ = std::make_unique<StoreBatch>();
}

void Worker::on_packet(const packet::Packet& p, std::span<const PacketLocation> locations,
                       bool rebuilt, bool fragment_conflict) {
  table_.process(p, locations, rebuilt, fragment_conflict);
}

void Worker::on_tick(TimeNs now) {
  table_.advance(now);
  send_batch();  // sessions reach the index within a tick of ending
}

void Worker::on_end() {
  table_.flush_all();
  send_batch();
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  Backoff backoff;
  packet::Packet p;
  for (;;) {
    std::size_t size = 0;
    // The ring first: while the capture writes to the backlog, what the ring holds is older;
    // once the backlog is read, the capture uses the ring again.
    const std::uint8_t* msg = ring_->peek(size);
    const bool from_backlog = msg == nullptr && backlog_ && (msg = backlog_->peek(size));
    if (msg == nullptr) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    WorkerMessageHeader h;
    std::memcpy(&h, msg, sizeof h);
    auto pop = [&] {
      if (from_backlog)
        backlog_->pop();
      else
        ring_->pop();
      done_ts_.store(h.ts, std::memory_order_relaxed);
    };
    if (h.kind == WorkerMessage::kEnd) {
      pop();
      on_end();
      return;
    }
    if (h.kind == WorkerMessage::kTick) {
      pop();
      on_tick(h.ts);
      continue;
    }
    const auto* locs = reinterpret_cast<const PacketLocation*>(msg + sizeof h);
    const std::uint8_t* bytes = msg + sizeof h + h.location_count * sizeof(PacketLocation);
    const ByteView frame(bytes, h.caplen);
    packet::DecodeResult res;
    if (h.kind == WorkerMessage::kPacket) {
      res = packet::Decoder::decode(h.dlt, h.ts, frame, h.wire_len, p);
    } else {
      p = packet::Packet{};
      p.ts = h.ts;
      p.src_mac = h.src_mac;
      p.dst_mac = h.dst_mac;
      p.vlan_outer = h.vlan_outer;
      p.vlan_inner = h.vlan_inner;
      p.vlan_count = h.vlan_count;
      res = packet::Decoder::decode_ip(frame, 0, p);
    }
    // The capture thread decoded this packet already; a failure here would be our bug.
    if (res.status == packet::DecodeStatus::kOk && !p.is_fragment) {
      on_packet(p, std::span<const PacketLocation>(locs, h.location_count),
                h.kind == WorkerMessage::kRebuilt, h.fragment_conflict);
    } else {
      ++decode_errors_;
    }
    pop();
  }
}

}  // namespace kagami::recorder
