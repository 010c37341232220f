#include "kagami/recorder/analysis_backlog.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace kagami::recorder {
namespace {

// A message on disk: its length (4 bytes, then 4 of padding), its bytes, padding to 8, so
// the worker reads it aligned as it would from its ring.
constexpr std::size_t kHead = 8;
std::size_t padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

}  // namespace

Result<std::unique_ptr<AnalysisBacklog>> AnalysisBacklog::open(const std::string& dir,
                                                               std::uint64_t max_bytes) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error("analysis backlog: cannot make an unnamed file in {}: {}", dir,
                      std::strerror(errno));
  return std::unique_ptr<AnalysisBacklog>(new AnalysisBacklog(fd, max_bytes));
}

AnalysisBacklog::AnalysisBacklog(int fd, std::uint64_t max_bytes)
    : fd_(fd), max_bytes_(max_bytes), out_(std::make_unique<std::uint8_t[]>(kBufferBytes)) {}

AnalysisBacklog::~AnalysisBacklog() { ::close(fd_); }

std::uint8_t* AnalysisBacklog::reserve(std::size_t size, bool always) {
  const std::size_t need = kHead + padded(size);
  if (need > kBufferBytes) return nullptr;  // larger than any packet: never asked
  if (!always && waiting_bytes() + need > max_bytes_) return nullptr;
  if (out_used_ + need > kBufferBytes && !flush()) return nullptr;
  std::uint8_t* at = out_.get() + out_used_;
  const std::uint32_t len = static_cast<std::uint32_t>(size);
  std::memcpy(at, &len, sizeof len);
  std::memset(at + sizeof len, 0, kHead - sizeof len);
  out_pending_ = need;
  return at + kHead;
}

void AnalysisBacklog::commit() {
  out_used_ += out_pending_;
  written_ += out_pending_;
  out_pending_ = 0;
  ++out_messages_;
}

bool AnalysisBacklog::flush() {
  if (out_used_ == 0) return true;
  const std::uint64_t at = published_.load(std::memory_order_relaxed);
  std::size_t done = 0;
  while (done < out_used_) {
    const ssize_t n =
        ::pwrite(fd_, out_.get() + done, out_used_ - done, static_cast<off_t>(at + done));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      // Whole messages or none: what did not reach the disk is lost, and said.
      error_ = n < 0 ? std::strerror(errno) : "short write";
      lost_ += out_messages_;
      written_ -= out_used_;
      out_used_ = 0;
      out_messages_ = 0;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  published_.store(at + out_used_, std::memory_order_release);
  out_used_ = 0;
  out_messages_ = 0;
  return true;
}

const std::uint8_t* AnalysisBacklog::peek(std::size_t& size) {
  const std::uint64_t read = read_.load(std::memory_order_relaxed);
  const std::uint64_t published = published_.load(std::memory_order_acquire);
  if (read >= published) return nullptr;
  // The message's head, then all of it, from what was read ahead or read again.
  auto hold = [&](std::uint64_t from, std::size_t bytes) -> bool {
    if (from >= in_from_ && from + bytes <= in_to_) return true;
    const std::size_t want = std::max<std::size_t>(
        bytes, static_cast<std::size_t>(std::min<std::uint64_t>(kBufferBytes, published - from)));
    if (in_capacity_ < want) {
      in_ = std::make_unique<std::uint8_t[]>(want);
      in_capacity_ = want;
    }
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd_, in_.get() + got, want - got, static_cast<off_t>(from + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got < bytes) {
      // The disk gives back less than it took (EIO): what waits is skipped, not waited for
      // forever (the capture's end waits for the worker to have read all). Counted.
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      in_from_ = in_to_ = 0;
      read_.store(published, std::memory_order_release);
      return false;
    }
    in_from_ = from;
    in_to_ = from + got;
    return true;
  };
  if (!hold(read, kHead)) return nullptr;
  std::uint32_t len;
  std::memcpy(&len, in_.get() + (read - in_from_), sizeof len);
  current_ = kHead + padded(len);
  if (!hold(read, current_)) return nullptr;
  size = len;
  return in_.get() + (read - in_from_) + kHead;
}

void AnalysisBacklog::pop() {
  const std::uint64_t read = read_.load(std::memory_order_relaxed) + current_;
  read_.store(read, std::memory_order_release);
  current_ = 0;
  // What was read goes back to the file system (the file keeps its offsets).
  if (read - punched_ >= kPunchBytes) {
    const std::uint64_t upto = read - read % kPunchBytes;
    (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(punched_),
                      static_cast<off_t>(upto - punched_));
    punched_ = upto;
  }
}

}  // namespace kagami::recorder
