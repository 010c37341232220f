#include "kagami/alert/disk_queue.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kagami::alert {

Result<std::unique_ptr<DiskQueue>> DiskQueue::open(const std::string& dir,
                                                   std::uint64_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create the alert queue {}: {}", dir, ec.message());
  std::unique_ptr<DiskQueue> q(new DiskQueue());
  q->dir_ = dir;
  q->max_bytes_ = max_bytes;
  const std::string path = dir + "/queue.jsonl";
  q->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (q->fd_ < 0) return make_error("cannot open {}: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(q->fd_, &st) != 0) return make_error("cannot stat {}", path);
  q->size_ = static_cast<std::uint64_t>(st.st_size);
  std::ifstream cursor(dir + "/cursor");
  if (cursor >> q->cursor_) {
    if (q->cursor_ > q->size_) q->cursor_ = 0;  // a damaged cursor: deliver again, lose none
  } else {
    q->cursor_ = 0;
  }
  // A partial last line (a crash while appending) is cut: it was never acknowledged to anyone.
  if (q->size_ > 0) {
    char last = 0;
    if (::pread(q->fd_, &last, 1, static_cast<off_t>(q->size_ - 1)) == 1 && last != '\n') {
      std::uint64_t end = q->size_;
      char c = 0;
      while (end > q->cursor_ && ::pread(q->fd_, &c, 1, static_cast<off_t>(end - 1)) == 1 &&
             c != '\n')
        --end;
      if (::ftruncate(q->fd_, static_cast<off_t>(end)) == 0) q->size_ = end;
    }
  }
  return q;
}

DiskQueue::~DiskQueue() {
  if (fd_ >= 0) ::close(fd_);
}

Status DiskQueue::push(std::string_view event) {
  if (pending_bytes() + event.size() + 1 > max_bytes_)
    return make_error("alert queue {} is full ({} bytes waiting)", dir_, pending_bytes());
  std::string line(event);
  line.push_back('\n');
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n =
        ::pwrite(fd_, line.data() + done, line.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("cannot append to {}: {}", dir_, std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return make_error("cannot sync {}", dir_);
  size_ += line.size();
  return {};
}

Result<std::vector<std::string>> DiskQueue::peek(std::size_t n, std::uint64_t& bytes) const {
  std::vector<std::string> out;
  bytes = 0;
  std::string buf;
  std::uint64_t at = cursor_;
  std::string partial;
  while (out.size() < n && at < size_) {
    buf.resize(static_cast<std::size_t>(std::min<std::uint64_t>(64 * 1024, size_ - at)));
    const ssize_t r = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(at));
    if (r <= 0) return make_error("cannot read {}: {}", dir_, std::strerror(errno));
    at += static_cast<std::uint64_t>(r);
    partial.append(buf.data(), static_cast<std::size_t>(r));
    std::size_t start = 0, nl;
    while (out.size() < n && (nl = partial.find('\n', start)) != std::string::npos) {
      out.push_back(partial.substr(start, nl - start));
      bytes += nl - start + 1;
      start = nl + 1;
    }
    partial.erase(0, start);
    if (out.size() >= n) break;
  }
  return out;
}

Status DiskQueue::pop(std::uint64_t bytes) {
  cursor_ = std::min(size_, cursor_ + bytes);
  if (cursor_ == size_ && size_ > 0) {
    // All delivered: start the file again rather than let it grow forever.
    if (::ftruncate(fd_, 0) != 0) return make_error("cannot truncate {}", dir_);
    size_ = cursor_ = 0;
  }
  return save_cursor();
}

Status DiskQueue::save_cursor() {
  const std::string tmp = dir_ + "/cursor.tmp", path = dir_ + "/cursor";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << cursor_ << "\n";
    if (!out) return make_error("cannot write {}", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error("cannot replace {}: {}", path, std::strerror(errno));
  return {};
}

}  // namespace kagami::alert
