#include "kagami/capture/pcap_reader.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kagami/capture/pcap_format.h"

namespace kagami::capture {
namespace {

struct FileHeader {
  int linktype = 0;
  std::uint32_t snaplen = 0;
  bool nano = true;
  bool swapped = false;
};

std::uint32_t swap32(std::uint32_t v) { return __builtin_bswap32(v); }

Result<FileHeader> parse_header(const std::uint8_t* h, const std::string& path) {
  std::uint32_t magic, snaplen, linktype;
  std::memcpy(&magic, h, 4);
  std::memcpy(&snaplen, h + 16, 4);
  std::memcpy(&linktype, h + 20, 4);
  FileHeader fh;
  if (magic == kPcapMagicNano || magic == kPcapMagicMicro) {
    fh.nano = magic == kPcapMagicNano;
  } else if (swap32(magic) == kPcapMagicNano || swap32(magic) == kPcapMagicMicro) {
    fh.nano = swap32(magic) == kPcapMagicNano;
    fh.swapped = true;
    snaplen = swap32(snaplen);
    linktype = swap32(linktype);
  } else {
    return make_error("{} is not a classic pcap file (magic {:#010x})", path, magic);
  }
  fh.snaplen = snaplen;
  fh.linktype = static_cast<int>(linktype & 0x0fffffff);  // upper bits: FCS info
  return fh;
}

bool read_full(int fd, void* buf, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
  return true;
}

}  // namespace

PcapRecordReader::~PcapRecordReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<PcapRecordReader>> PcapRecordReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open {}: {}", path, std::strerror(errno));
  std::unique_ptr<PcapRecordReader> r(new PcapRecordReader(fd, path));
  std::uint8_t h[kPcapFileHeaderBytes];
  if (!read_full(fd, h, sizeof h, 0)) return make_error("{}: truncated pcap header", path);
  auto fh = parse_header(h, path);
  if (!fh) return fh.error();
  r->linktype_ = fh->linktype;
  r->snaplen_ = fh->snaplen;
  r->nano_ = fh->nano;
  r->swapped_ = fh->swapped;
  struct stat st;
  if (::fstat(fd, &st) == 0) r->file_size_ = static_cast<std::uint64_t>(st.st_size);
  return r;
}

Result<PcapRecord> PcapRecordReader::read_at(std::uint64_t offset) {
  std::uint32_t rh[4];
  if (offset + kPcapRecordHeaderBytes > file_size_ || !read_full(fd_, rh, sizeof rh, offset))
    return make_error("{}: no record at offset {} (file has {} bytes)", path_, offset, file_size_);
  if (swapped_)
    for (auto& v : rh) v = swap32(v);
  const std::uint32_t caplen = rh[2];
  if (caplen > (1u << 26) || offset + kPcapRecordHeaderBytes + caplen > file_size_)
    return make_error("{}: corrupt record at offset {} (length {})", path_, offset, caplen);
  buf_.resize(caplen);
  if (!read_full(fd_, buf_.data(), caplen, offset + kPcapRecordHeaderBytes))
    return make_error("{}: short read at offset {}", path_, offset);
  PcapRecord r;
  r.ts = static_cast<TimeNs>(rh[0]) * kNsPerSec + static_cast<TimeNs>(rh[1]) * (nano_ ? 1 : 1000);
  r.wire_len = rh[3];
  r.data = ByteView(buf_.data(), caplen);
  return r;
}

Result<PcapScan> scan_pcap_file(const std::string& path, bool truncate_tail) {
  const int fd = ::open(path.c_str(), (truncate_tail ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open {}: {}", path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return make_error("cannot stat {}: {}", path, std::strerror(errno));
  PcapScan scan;
  scan.file_bytes = static_cast<std::uint64_t>(st.st_size);
  std::uint8_t h[kPcapFileHeaderBytes];
  if (!read_full(fd, h, sizeof h, 0)) return make_error("{}: truncated pcap header", path);
  auto fh = parse_header(h, path);
  if (!fh) return fh.error();
  scan.linktype = fh->linktype;
  scan.snaplen = fh->snaplen;

  Sha256 hash;
  hash.update(ByteView(h, sizeof h));
  std::uint64_t pos = kPcapFileHeaderBytes;
  std::vector<std::uint8_t> rec;
  for (;;) {
    std::uint32_t rh[4];
    if (pos + kPcapRecordHeaderBytes > scan.file_bytes || !read_full(fd, rh, sizeof rh, pos)) break;
    std::uint32_t v[4] = {rh[0], rh[1], rh[2], rh[3]};
    if (fh->swapped)
      for (auto& x : v) x = swap32(x);
    const std::uint32_t caplen = v[2];
    if (caplen > (1u << 26) || pos + kPcapRecordHeaderBytes + caplen > scan.file_bytes) break;
    rec.resize(caplen);
    if (!read_full(fd, rec.data(), caplen, pos + kPcapRecordHeaderBytes)) break;
    hash.update(ByteView(reinterpret_cast<const std::uint8_t*>(rh), sizeof rh));
    hash.update(ByteView(rec.data(), rec.size()));
    const TimeNs ts =
        static_cast<TimeNs>(v[0]) * kNsPerSec + static_cast<TimeNs>(v[1]) * (fh->nano ? 1 : 1000);
    if (scan.packets == 0 || ts < scan.first_ts) scan.first_ts = ts;
    if (scan.packets == 0 || ts > scan.last_ts) scan.last_ts = ts;
    ++scan.packets;
    pos += kPcapRecordHeaderBytes + caplen;
  }
  scan.valid_bytes = pos;
  scan.sha256 = hash.finish();
  if (truncate_tail && pos < scan.file_bytes) {
    if (::ftruncate(fd, static_cast<off_t>(pos)) != 0)
      return make_error("cannot truncate {}: {}", path, std::strerror(errno));
    scan.cut_bytes = scan.file_bytes - pos;
    scan.file_bytes = pos;
  }
  return scan;
}

}  // namespace kagami::capture
