#include "kagami/capture/pcap_writer.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kagami/base/backoff.h"
#include "kagami/capture/pcap_format.h"

namespace kagami::capture {
namespace {
constexpr std::size_t kAlign = 4096;  // O_DIRECT wants memory, offsets and sizes aligned
}

PcapWriter::PcapWriter(int fd, std::string path, const PcapWriterOptions& options)
    : fd_(fd), path_(std::move(path)), options_(options) {}

PcapWriter::~PcapWriter() {
  if (fd_ >= 0) (void)close();
  for (std::uint8_t* m : memory_) std::free(m);
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path, int linktype,
                                                       std::uint32_t snaplen,
                                                       std::size_t buffer_bytes,
                                                       bool replace_existing) {
  PcapWriterOptions o;
  o.block_bytes = buffer_bytes;
  o.replace_existing = replace_existing;
  return create(path, linktype, snaplen, o);
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path, int linktype,
                                                       std::uint32_t snaplen,
                                                       const PcapWriterOptions& options) {
  const int mode = options.replace_existing ? O_TRUNC : O_EXCL;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | mode | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot create {}: {}", path, std::strerror(errno));
  std::unique_ptr<PcapWriter> w(new PcapWriter(fd, path, options));
  if (options.direct_io && options.block_bytes % kAlign == 0) {
    // A second descriptor does O_DIRECT; the first stays ordinary for partial writes.
    const int dfd = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (dfd >= 0) {
      w->plain_fd_ = w->fd_;
      w->fd_ = dfd;
      w->direct_ = true;
    }
  }
  if (w->plain_fd_ < 0) w->plain_fd_ = ::dup(w->fd_);
  if (!w->init_blocks()) return make_error("cannot allocate write buffers for {}", path);

  std::uint8_t h[kPcapFileHeaderBytes];
  const std::uint32_t magic = kPcapMagicNano;
  const std::uint16_t major = 2, minor = 4;
  const std::uint32_t zero = 0, lt = static_cast<std::uint32_t>(linktype);
  std::memcpy(h, &magic, 4);
  std::memcpy(h + 4, &major, 2);
  std::memcpy(h + 6, &minor, 2);
  std::memcpy(h + 8, &zero, 4);
  std::memcpy(h + 12, &zero, 4);
  std::memcpy(h + 16, &snaplen, 4);
  std::memcpy(h + 20, &lt, 4);
  std::memcpy(w->current_->data, h, sizeof h);
  w->current_->size = sizeof h;

  if (options.background) {
    if (options.hash) w->hasher_ = std::thread([p = w.get()] { p->hash_loop(); });
    w->writer_ = std::thread([p = w.get()] { p->io_loop(); });
  }
  return w;
}

bool PcapWriter::init_blocks() {
  const std::size_t n = options_.background ? std::max<std::size_t>(options_.blocks, 2) : 1;
  // Room for a whole record past the nominal block size: records never split across blocks.
  const std::size_t capacity = options_.block_bytes + 2 * kAlign + (1u << 18);
  blocks_.resize(n);
  to_hash_ = std::make_unique<SpscQueue<Block*>>(n);
  to_write_ = std::make_unique<SpscQueue<Block*>>(n);
  free_ = std::make_unique<SpscQueue<Block*>>(n);
  for (Block& b : blocks_) {
    // 2 MiB alignment lets the kernel back blocks with huge pages: fewer TLB misses while
    // copying, fewer pages to pin for each O_DIRECT write.
    void* m = nullptr;
    if (posix_memalign(&m, 2u << 20, capacity) != 0) return false;
    ::madvise(m, capacity, MADV_HUGEPAGE);
    // Touched now, not page by page while packets arrive: the page faults leave the hot path
    // and the writer's memory shows at its full size from the start.
    std::memset(m, 0, capacity);
    memory_.push_back(static_cast<std::uint8_t*>(m));
    b.data = static_cast<std::uint8_t*>(m);
    b.capacity = capacity;
  }
  current_ = &blocks_[0];
  for (std::size_t i = 1; i < n; ++i) (void)free_->try_push(&blocks_[i]);
  return true;
}

void PcapWriter::fail(const std::string& what) {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_.empty()) error_ = what;
  failed_.store(true, std::memory_order_release);
}

std::uint64_t PcapWriter::write(TimeNs ts, ByteView data, std::uint32_t wire_len) {
  if (current_->size + kPcapRecordHeaderBytes + data.size() > current_->capacity) {
    // A record larger than a block (never from a real link) gets a block of its own size.
    submit();
    if (kPcapRecordHeaderBytes + data.size() > current_->capacity) {
      fail("record of " + std::to_string(data.size()) + " bytes exceeds the write buffer");
      return size();
    }
  }
  const std::uint64_t at = size();
  std::uint32_t rh[4];
  rh[0] = static_cast<std::uint32_t>(ts / kNsPerSec);
  rh[1] = static_cast<std::uint32_t>(ts % kNsPerSec);
  rh[2] = static_cast<std::uint32_t>(data.size());
  rh[3] = wire_len;
  std::uint8_t* dst = current_->data + current_->size;
  std::memcpy(dst, rh, sizeof rh);
  if (!data.empty()) std::memcpy(dst + sizeof rh, data.data(), data.size());
  current_->size += sizeof rh + data.size();
  ++packets_;
  if (current_->size >= options_.block_bytes) submit();
  return at;
}

void PcapWriter::submit() {
  Block* full = current_;
  full->offset = block_offset_;
  // O_DIRECT writes whole 4 KiB units: what spills past the last full unit starts the next
  // block, so the file is written with neither gaps nor overlaps.
  const std::size_t keep = direct_ && !full->last ? full->size % kAlign : 0;
  full->size -= keep;
  block_offset_ += full->size;
  if (!options_.background) {
    if (options_.hash) hash_.update(ByteView(full->data, full->size));
    write_block(*full);
    std::memmove(full->data, full->data + full->size, keep);
    full->size = keep;
    return;
  }
  Block* next = take_free();
  std::memcpy(next->data, full->data + full->size, keep);
  next->size = keep;
  next->last = false;
  in_flight_.fetch_add(1, std::memory_order_acq_rel);
  Backoff b;
  auto& to = options_.hash ? *to_hash_ : *to_write_;  // without a hash, straight to the disk
  while (!to.try_push(std::move(full))) b.wait();
  current_ = next;
}

PcapWriter::Block* PcapWriter::take_free() {
  Block* b = nullptr;
  if (free_->try_pop(b)) return b;
  ++stalls_;
  Backoff backoff;
  while (!free_->try_pop(b)) backoff.wait();
  return b;
}

void PcapWriter::write_block(Block& b) {
  if (b.size == 0) return;
  // Full aligned blocks go direct; anything else (the file's tail) through the page cache.
  const bool aligned = direct_ && b.size % kAlign == 0 && b.offset % kAlign == 0;
  const int fd = aligned ? fd_ : plain_fd_;
  std::size_t done = 0;
  while (done < b.size) {
    const ssize_t n =
        ::pwrite(fd, b.data + done, b.size - done, static_cast<off_t>(b.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail(std::string("write failed: ") + std::strerror(errno));
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

void PcapWriter::hash_loop() {
  Backoff backoff;
  for (;;) {
    Block* b;
    if (!to_hash_->try_pop(b)) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    if (options_.hash) hash_.update(ByteView(b->data, b->size));
    const bool last = b->last;
    while (!to_write_->try_push(std::move(b))) backoff.wait();
    if (last) return;
  }
}

void PcapWriter::io_loop() {
  Backoff backoff;
  for (;;) {
    Block* b;
    if (!to_write_->try_pop(b)) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    if (!failed_.load(std::memory_order_acquire)) write_block(*b);
    const bool last = b->last;
    while (!free_->try_push(std::move(b))) backoff.wait();
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    if (last) return;
  }
}

Status PcapWriter::flush() {
  // Blocks still in the pipeline come first, or readers would see a hole before the tail.
  Backoff backoff;
  while (in_flight_.load(std::memory_order_acquire) > 0) backoff.wait();
  if (current_->size > 0) {
    // Visible now through the page cache; the whole block is written again when full.
    Block partial = *current_;
    partial.offset = block_offset_;
    const bool saved = direct_;
    direct_ = false;
    write_block(partial);
    direct_ = saved;
  }
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    return make_error("writing {}: {}", path_, error_);
  }
  return {};
}

Result<Sha256Digest> PcapWriter::close() {
  if (fd_ < 0) return make_error("{} is already closed", path_);
  current_->last = true;
  Block* tail = current_;
  tail->offset = block_offset_;
  if (options_.background) {
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
    Backoff b;
    auto& to = options_.hash ? *to_hash_ : *to_write_;
    while (!to.try_push(std::move(tail))) b.wait();
    if (hasher_.joinable()) hasher_.join();
    writer_.join();
  } else {
    if (options_.hash) hash_.update(ByteView(tail->data, tail->size));
    write_block(*tail);
  }
  block_offset_ += current_->size;
  current_->size = 0;
  if (::fsync(plain_fd_) != 0) fail(std::string("fsync failed: ") + std::strerror(errno));
  ::close(fd_);
  if (plain_fd_ != fd_) ::close(plain_fd_);
  fd_ = plain_fd_ = -1;
  if (failed_.load(std::memory_order_acquire)) return make_error("writing {}: {}", path_, error_);
  if (!options_.hash) return Sha256Digest{};
  return hash_.finish();
}

}  // namespace kagami::capture
