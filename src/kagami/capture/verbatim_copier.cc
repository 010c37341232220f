#include "kagami/capture/verbatim_copier.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kagami/base/backoff.h"

namespace kagami::capture {
namespace {
constexpr std::uint64_t kAlign = 4096;
}

Result<std::unique_ptr<VerbatimCopier>> VerbatimCopier::create(const std::string& out_path,
                                                               const std::string& input_path,
                                                               const Options& options) {
  std::unique_ptr<VerbatimCopier> c(new VerbatimCopier(options));
  c->out_path_ = out_path;
  if (options.chunk_bytes == 0 || options.chunk_bytes % kAlign != 0)
    return make_error("verbatim copy: chunk size must be a multiple of {}", kAlign);
  c->in_fd_ = ::open(input_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (c->in_fd_ < 0) return make_error("cannot read {}: {}", input_path, std::strerror(errno));
  c->out_fd_ = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (c->out_fd_ < 0) return make_error("cannot create {}: {}", out_path, std::strerror(errno));
  if (options.direct_io) c->direct_fd_ = ::open(out_path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  c->to_write_ =
      std::make_unique<SpscQueue<Chunk>>(std::max<std::size_t>(options.chunks_in_flight, 2));
  c->hasher_ = std::thread([p = c.get()] { p->hash_loop(); });
  c->writer_ = std::thread([p = c.get()] { p->write_loop(); });
  return c;
}

VerbatimCopier::~VerbatimCopier() {
  if (hasher_.joinable()) (void)close();
  if (in_fd_ >= 0) ::close(in_fd_);
}

void VerbatimCopier::fail(const std::string& what) {
  std::lock_guard<std::mutex> lock(error_mutex_);
  if (error_.empty()) error_ = what;
  failed_.store(true, std::memory_order_release);
}

void VerbatimCopier::hash_loop() {
  std::uint64_t done = 0;  // chunks start at multiples of chunk_bytes: always page aligned
  Backoff backoff;
  auto hand_over = [&](Chunk c) {
    while (!to_write_->try_push(std::move(c))) backoff.wait();
    backoff.reset();
  };
  for (;;) {
    const bool closing = closing_.load(std::memory_order_acquire);
    const std::uint64_t end = end_.load(std::memory_order_acquire);
    const std::uint64_t ready = end - done;
    if (failed() || (ready < options_.chunk_bytes && !(closing && ready > 0))) {
      if (closing || failed()) {
        hand_over(Chunk{nullptr, 0, done, true});
        return;
      }
      backoff.wait();
      continue;
    }
    backoff.reset();
    const std::size_t len =
        static_cast<std::size_t>(std::min<std::uint64_t>(ready, options_.chunk_bytes));
    void* m = ::mmap(nullptr, len, PROT_READ, MAP_SHARED | MAP_POPULATE, in_fd_,
                     static_cast<off_t>(done));
    if (m == MAP_FAILED) {
      fail(std::string("cannot map the input: ") + std::strerror(errno));
      continue;
    }
    const auto* p = static_cast<const std::uint8_t*>(m);
    hash_.update(ByteView(p, len));
    hand_over(Chunk{p, len, done, false});
    done += len;
  }
}

void VerbatimCopier::write_loop() {
  Backoff backoff;
  for (;;) {
    Chunk c;
    if (!to_write_->try_pop(c)) {
      backoff.wait();
      continue;
    }
    backoff.reset();
    if (c.last) return;
    // Whole aligned chunks go direct; the final, shorter one through the page cache.
    const bool direct = direct_fd_ >= 0 && c.len % kAlign == 0;
    const int fd = direct ? direct_fd_ : out_fd_;
    std::size_t done = 0;
    while (done < c.len && !failed()) {
      const ssize_t n =
          ::pwrite(fd, c.data + done, c.len - done, static_cast<off_t>(c.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fail(std::string("write failed: ") + std::strerror(errno));
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    ::munmap(const_cast<std::uint8_t*>(c.data), c.len);
  }
}

Result<Sha256Digest> VerbatimCopier::close() {
  closing_.store(true, std::memory_order_release);
  if (hasher_.joinable()) hasher_.join();
  if (writer_.joinable()) writer_.join();
  if (out_fd_ >= 0 && ::fsync(out_fd_) != 0)
    fail(std::string("fsync failed: ") + std::strerror(errno));
  if (direct_fd_ >= 0) ::close(direct_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
  direct_fd_ = out_fd_ = -1;
  if (failed()) return make_error("writing {}: {}", out_path_, error_);
  return hash_.finish();
}

}  // namespace kagami::capture
