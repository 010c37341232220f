#include "kagami/capture/pcap_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kagami/capture/pcap_format.h"

namespace kagami::capture {

PcapWriter::PcapWriter(int fd, std::string path, std::size_t buffer_bytes)
    : fd_(fd), path_(std::move(path)), buffer_limit_(buffer_bytes) {
  buffer_.reserve(buffer_bytes + 65536 + kPcapRecordHeaderBytes);
}

PcapWriter::~PcapWriter() {
  if (fd_ >= 0) {
    drain();
    ::close(fd_);
  }
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path, int linktype,
                                                       std::uint32_t snaplen,
                                                       std::size_t buffer_bytes,
                                                       bool replace_existing) {
  // The archive never overwrites a file; an export may replace its output.
  const int mode = replace_existing ? O_TRUNC : O_EXCL;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | mode | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot create {}: {}", path, std::strerror(errno));
  std::unique_ptr<PcapWriter> w(new PcapWriter(fd, path, buffer_bytes));
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
  w->buffer_.insert(w->buffer_.end(), h, h + sizeof h);
  return w;
}

std::uint64_t PcapWriter::write(TimeNs ts, ByteView data, std::uint32_t wire_len) {
  const std::uint64_t at = size();
  std::uint32_t rh[4];
  rh[0] = static_cast<std::uint32_t>(ts / kNsPerSec);
  rh[1] = static_cast<std::uint32_t>(ts % kNsPerSec);
  rh[2] = static_cast<std::uint32_t>(data.size());
  rh[3] = wire_len;
  const auto* p = reinterpret_cast<const std::uint8_t*>(rh);
  buffer_.insert(buffer_.end(), p, p + sizeof rh);
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  ++packets_;
  if (buffer_.size() >= buffer_limit_) drain();
  return at;
}

void PcapWriter::drain() {
  if (buffer_.empty()) return;
  hash_.update(ByteView(buffer_.data(), buffer_.size()));
  const std::uint8_t* p = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error_.empty()) error_ = std::strerror(errno);
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  file_offset_ += buffer_.size();
  buffer_.clear();
}

Status PcapWriter::flush() {
  drain();
  if (!error_.empty()) return make_error("writing {}: {}", path_, error_);
  return {};
}

Result<Sha256Digest> PcapWriter::close() {
  drain();
  if (::fsync(fd_) != 0 && error_.empty()) error_ = std::strerror(errno);
  ::close(fd_);
  fd_ = -1;
  if (!error_.empty()) return make_error("writing {}: {}", path_, error_);
  return hash_.finish();
}

}  // namespace kagami::capture
