#include "kagami/mirror/mirror.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include <spdlog/spdlog.h>

#include "kagami/capture/pcap_writer.h"
#include "kagami/mirror/pcap_over_ip.h"

namespace kagami::mirror {
namespace {

constexpr int kLinktypeEthernet = 1;
constexpr std::uint32_t kSnaplen = 262144;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Mirror::Producer::flush(bool force) {
  if (current_.empty()) return;
  if (!force && current_.bytes.size() < owner_.options_.batch_bytes) return;
  const std::uint32_t packets = current_.packets;
  bool pushed = queue_.try_push(std::move(current_));  // a failed push leaves the batch with us
  // After a wait that did not help (the output is stuck, not slow), the producer drops at once
  // for a while: waiting at every batch would stop the proxy as surely as the disk.
  if (!pushed && owner_.options_.full_wait_ms > 0 &&
      std::chrono::steady_clock::now() >= no_wait_until_) {
    owner_.counters_.producer_waits.fetch_add(1, std::memory_order_relaxed);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(owner_.options_.full_wait_ms);
    while (!pushed && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      pushed = queue_.try_push(std::move(current_));
    }
    if (!pushed) no_wait_until_ = std::chrono::steady_clock::now() + kNoWaitAfterTimeout;
  }
  if (!pushed) {
    owner_.counters_.dropped_packets.fetch_add(packets, std::memory_order_relaxed);
    owner_.counters_.dropped_batches.fetch_add(1, std::memory_order_relaxed);
    current_.clear();
    return;
  }
  current_ = FrameBatch{};
  free_.try_pop(current_);  // a batch the mirror thread emptied, with its memory
}

Mirror::Mirror(const MirrorOptions& options, Consumer consumer)
    : options_(options), consumer_(std::move(consumer)) {}

Result<std::unique_ptr<Mirror>> Mirror::start(const MirrorOptions& options, int producers,
                                              Consumer consumer) {
  std::unique_ptr<Mirror> m(new Mirror(options, std::move(consumer)));
  for (int i = 0; i < producers; ++i)
    m->producers_.push_back(std::unique_ptr<Producer>(
        new Producer(*m, std::max<std::size_t>(options.queue_batches, 2))));
  if (!options.pcap_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.pcap_dir, ec);
    if (ec)
      return make_error("cannot create the mirror directory {}: {}", options.pcap_dir,
                        ec.message());
    if (auto s = m->open_file(now_seconds()); !s) return s.error();
  }
  if (!options.pcap_over_ip.listen.empty()) {
    auto server = PcapOverIpServer::start(options.pcap_over_ip);
    if (!server) return server.error();
    m->stream_ = std::move(server.value());
  }
  m->thread_ = std::thread([p = m.get()] { p->run(); });
  return m;
}

Mirror::~Mirror() { stop(); }

std::vector<std::string> Mirror::files() const { return file_names_; }

std::uint16_t Mirror::pcap_over_ip_port() const { return stream_ ? stream_->port() : 0; }

Status Mirror::open_file(std::int64_t now_s) {
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(now_s);
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  const std::string path =
      options_.pcap_dir + "/mirror-" + stamp + "-" + std::to_string(file_serial_++) + ".pcap";
  capture::PcapWriterOptions o;
  o.block_bytes = std::size_t{4} << 20;
  o.direct_io = true;
  o.hash = false;
  auto w = capture::PcapWriter::create(path, kLinktypeEthernet, kSnaplen, o);
  if (!w) return w.error();
  file_ = std::move(w.value());
  file_opened_s_ = now_s;
  file_names_.push_back(path);
  counters_.files.fetch_add(1, std::memory_order_relaxed);
  return ok_status();
}

void Mirror::close_file() {
  if (!file_) return;
  counters_.disk_waits.fetch_add(file_->stalls(), std::memory_order_relaxed);
  if (auto r = file_->close(); !r) {
    counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("mirror: {}", r.error().message);
  }
  file_.reset();
}

void Mirror::write_pcap(const FrameBatch& batch) {
  if (options_.pcap_dir.empty()) return;
  const std::int64_t now_s = now_seconds();
  if (file_ &&
      (file_->size() >= options_.rotate_bytes ||
       (options_.rotate_seconds > 0 && now_s - file_opened_s_ >= options_.rotate_seconds))) {
    close_file();
    if (auto s = open_file(now_s); !s) spdlog::error("mirror: {}", s.error().message);
  }
  if (!file_) {
    counters_.dropped_packets.fetch_add(batch.packets, std::memory_order_relaxed);
    return;
  }
  const std::uint8_t* p = batch.bytes.data();
  const std::uint8_t* end = p + batch.bytes.size();
  while (end - p >= static_cast<std::ptrdiff_t>(kPcapRecordHeaderBytes)) {
    std::uint32_t h[4];
    std::memcpy(h, p, sizeof h);
    const TimeNs ts = static_cast<TimeNs>(h[0]) * kNsPerSec + h[1];
    file_->write(ts, ByteView(p + kPcapRecordHeaderBytes, h[2]), h[3]);
    p += kPcapRecordHeaderBytes + h[2];
  }
  if (file_->failed()) counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
}

bool Mirror::drain() {
  bool any = false;
  FrameBatch b;
  for (auto& p : producers_) {
    while (p->queue_.try_pop(b)) {
      any = true;
      counters_.packets.fetch_add(b.packets, std::memory_order_relaxed);
      counters_.bytes.fetch_add(b.bytes.size(), std::memory_order_relaxed);
      write_pcap(b);
      if (stream_) stream_->send(b);
      if (consumer_) consumer_(b);
      b.clear();
      p->free_.try_push(std::move(b));  // back for reuse; when the free list is full, freed
      b = FrameBatch{};
    }
  }
  return any;
}

void Mirror::run() {
  std::int64_t last_flush_s = now_seconds();
  while (!stopping_.load(std::memory_order_acquire)) {
    if (stream_) {
      stream_->accept_clients();
      stream_->flush();
      counters_.stream_dropped_packets.store(stream_->dropped_packets(), std::memory_order_relaxed);
      counters_.stream_refused.store(stream_->refused(), std::memory_order_relaxed);
    }
    if (!drain()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Readers of the live file (tshark -r, tail) see whole records within a second.
    const std::int64_t now_s = now_seconds();
    if (file_ && now_s != last_flush_s) {
      (void)file_->flush();
      last_flush_s = now_s;
    }
  }
  drain();
  if (stream_) stream_->flush();
}

void Mirror::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_release);
    thread_.join();
  }
  close_file();
}

}  // namespace kagami::mirror
