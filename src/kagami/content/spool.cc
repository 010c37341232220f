#include "kagami/content/spool.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace kagami::content {

Spool::Spool(Options options) : options_(std::move(options)), share_(options_.budget) {}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

bool Spool::spill() {
  if (options_.dir.empty()) return false;
  fd_ = ::open(options_.dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    error_ = "cannot make a spool file in " + options_.dir + ": " + std::strerror(errno);
    options_.dir.clear();  // do not try again for every write
    return false;
  }
  std::size_t off = 0;
  while (off < memory_.size()) {
    const ssize_t n = ::write(fd_, memory_.data() + off, memory_.size() - off);
    if (n <= 0) {
      error_ = std::string("spool write failed: ") + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      options_.dir.clear();
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  std::string().swap(memory_);
  share_.set(0);
  return true;
}

void Spool::write(ByteView bytes) {
  std::uint64_t room = options_.max_bytes > size_ ? options_.max_bytes - size_ : 0;
  if (fd_ < 0 && memory_.size() + bytes.size() > kPressedMemoryBytes && share_.pressed() &&
      memory_.size() + bytes.size() <= options_.memory_bytes) {
    share_.count_pressed();
    (void)spill();  // if it cannot, the bytes stay in memory within memory_bytes
  }
  if (fd_ < 0 && memory_.size() + bytes.size() > options_.memory_bytes && !spill())
    room = std::min<std::uint64_t>(room, options_.memory_bytes - memory_.size());
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
  dropped_ += bytes.size() - take;
  if (take == 0) return;
  if (fd_ < 0) {
    memory_.append(as_chars(bytes.first(take)));
    size_ += take;
    share_.set(memory_.capacity());
    return;
  }
  std::size_t off = 0;
  while (off < take) {
    const ssize_t n = ::write(fd_, bytes.data() + off, take - off);
    if (n <= 0) {
      error_ = std::string("spool write failed: ") + std::strerror(errno);
      dropped_ += take - off;
      return;
    }
    off += static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
}

}  // namespace kagami::content
