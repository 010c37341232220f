#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/base/spsc_queue.h"
#include "kagami/mirror/frame_batch.h"
#include "kagami/mirror/pcap_over_ip.h"

namespace kagami::capture {
class PcapWriter;
}

namespace kagami::mirror {

struct MirrorOptions {
  std::string pcap_dir;            // rotating pcap files here; empty for none
  PcapOverIpOptions pcap_over_ip;  // a pcap-over-IP server; listen empty for none
  std::uint64_t rotate_bytes = 1ull << 30;
  std::int64_t rotate_seconds = 3600;
  std::size_t batch_bytes = 256u << 10;  // a producer hands its batch on at this size
  std::size_t queue_batches = 64;        // per producer; beyond it a producer waits, then drops
  // How long a producer whose queue is full waits for the mirror thread before it drops the
  // batch: a moment's stall of the disk slows the proxy instead of losing the copy.
  std::uint32_t full_wait_ms = 500;
};

struct MirrorCounters {
  std::atomic<std::uint64_t> packets{0}, bytes{0}, files{0};
  std::atomic<std::uint64_t> dropped_packets{0}, dropped_batches{0}, write_errors{0};
  std::atomic<std::uint64_t> stream_dropped_packets{0};  // pcap-over-IP clients too slow
  std::atomic<std::uint64_t> stream_refused{0};          // pcap-over-IP receivers not let in
  std::atomic<std::uint64_t> disk_waits{0};      // the pcap writer had no free block (disk behind)
  std::atomic<std::uint64_t> producer_waits{0};  // a producer waited for room in its queue
};

// Carries synthesized frames from the proxy's threads to the mirror outputs on a thread of
// its own. When an output falls behind and a producer's queue is full, the producer waits a
// bounded moment (its connections slow down with it, as TCP lets them); past that the batch is
// dropped and counted (receivers see gaps, as on a lossy mirror port), so a dead disk never
// stops the proxy.
class Mirror {
 public:
  // Sees every batch, on the mirror thread, in each producer's order, after the pcap output
  // (the in-process recorder); it may take the batch's bytes.
  using Consumer = std::function<void(FrameBatch&)>;

  class Producer {
   public:
    FrameBatch& batch() { return current_; }
    // Hands the batch on when it is full, or always with `force` (end of an event-loop turn).
    void flush(bool force);

   private:
    friend class Mirror;
    Producer(Mirror& owner, std::size_t queue_batches)
        : owner_(owner), queue_(queue_batches), free_(queue_batches + 2) {}
    static constexpr std::chrono::seconds kNoWaitAfterTimeout{5};
    Mirror& owner_;
    FrameBatch current_;
    std::chrono::steady_clock::time_point no_wait_until_{};  // drops without waiting until then
    SpscQueue<FrameBatch> queue_;                            // to the mirror thread
    SpscQueue<FrameBatch> free_;  // emptied batches coming back, to reuse their memory
  };

  static Result<std::unique_ptr<Mirror>> start(const MirrorOptions& options, int producers,
                                               Consumer consumer = {});
  ~Mirror();
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  Producer& producer(int i) { return *producers_[static_cast<std::size_t>(i)]; }
  // Drains what the producers handed on, closes the files. Producers must have stopped.
  void stop();
  const MirrorCounters& counters() const { return counters_; }
  // The pcap file being written, if any (tests read it after stop()).
  std::vector<std::string> files() const;
  // The pcap-over-IP server's port (0 without one).
  std::uint16_t pcap_over_ip_port() const;

 private:
  explicit Mirror(const MirrorOptions& options, Consumer consumer);
  void run();
  bool drain();  // one pass over the producers; true if it found anything
  void write_pcap(const FrameBatch& batch);
  Status open_file(std::int64_t now_s);
  void close_file();

  MirrorOptions options_;
  Consumer consumer_;
  std::vector<std::unique_ptr<Producer>> producers_;
  std::unique_ptr<capture::PcapWriter> file_;
  std::unique_ptr<PcapOverIpServer> stream_;
  std::int64_t file_opened_s_ = 0;
  std::uint32_t file_serial_ = 0;
  std::vector<std::string> file_names_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  MirrorCounters counters_;
};

}  // namespace kagami::mirror
