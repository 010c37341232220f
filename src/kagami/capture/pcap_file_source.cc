#include "kagami/capture/pcap_file_source.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kagami/capture/pcap_format.h"

namespace kagami::capture {
namespace {

constexpr std::size_t kChunk = 4u << 20;
constexpr std::size_t kWindow = 64u << 20;
// The largest record we believe: libpcap's own limit for the biggest link types.
constexpr std::uint32_t kMaxRecord = 256u << 20;
// A record whose time is this far from the last good one is not a record.
constexpr TimeNs kMaxTimeJump = 366LL * 86400 * kNsPerSec;

std::uint32_t swap32(std::uint32_t v) { return __builtin_bswap32(v); }

int linktype_to_dlt(std::uint32_t linktype) {
  // The LINKTYPE_ numbers libpcap maps back to a different DLT_ on Linux.
  switch (linktype) {
    case 101:
      return 12;  // RAW
    case 102:
      return 15;
    case 103:
      return 16;
    case 106:
      return 19;
    default:
      return static_cast<int>(linktype);
  }
}

}  // namespace

PcapFileSource::~PcapFileSource() {
  if (pcap_ != nullptr) pcap_close(pcap_);
  if (window_ != nullptr) ::munmap(const_cast<std::uint8_t*>(window_), window_len_);
  if (fd_ >= 0) ::close(fd_);
}

const std::uint8_t* PcapFileSource::peek(std::size_t need) {
  if (!mapped_) return fill(need) ? buf_.data() + pos_ : nullptr;
  if (file_offset_ + need > file_size_) return nullptr;
  if (window_ == nullptr || file_offset_ < window_start_ ||
      file_offset_ + need > window_start_ + window_len_) {
    if (window_ != nullptr) ::munmap(const_cast<std::uint8_t*>(window_), window_len_);
    window_ = nullptr;
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    window_start_ = file_offset_ & ~(page - 1);
    window_len_ = static_cast<std::size_t>(std::min<std::uint64_t>(
        file_size_ - window_start_,
        std::max<std::uint64_t>(kWindow, file_offset_ + need - window_start_)));
    void* m = ::mmap(nullptr, window_len_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_,
                     static_cast<off_t>(window_start_));
    if (m == MAP_FAILED) {
      error_ = std::string("cannot map the file: ") + std::strerror(errno);
      return nullptr;
    }
    window_ = static_cast<const std::uint8_t*>(m);
    ::madvise(m, window_len_, MADV_SEQUENTIAL);
  }
  return window_ + (file_offset_ - window_start_);
}

void PcapFileSource::advance(std::size_t n) {
  file_offset_ += n;
  if (!mapped_) pos_ += n;
}

std::uint64_t PcapFileSource::remaining() const {
  return mapped_ ? file_size_ - file_offset_ : end_ - pos_;
}

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::open(const std::string& path) {
  std::unique_ptr<PcapFileSource> s(new PcapFileSource(path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read {}: {}", path, std::strerror(errno));
  s->fd_ = fd;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    s->mapped_ = true;
    s->file_size_ = static_cast<std::uint64_t>(st.st_size);
  } else {
    s->buf_.resize(kChunk * 2);
  }
  if (const std::uint8_t* h = s->peek(kPcapFileHeaderBytes)) {
    std::uint32_t magic, snaplen, linktype;
    std::memcpy(&magic, h, 4);
    std::memcpy(&snaplen, h + 16, 4);
    std::memcpy(&linktype, h + 20, 4);
    const bool native = magic == kPcapMagicMicro || magic == kPcapMagicNano;
    const bool swapped = swap32(magic) == kPcapMagicMicro || swap32(magic) == kPcapMagicNano;
    if (native || swapped) {
      s->swapped_ = swapped;
      s->nano_ = (swapped ? swap32(magic) : magic) == kPcapMagicNano;
      if (swapped) {
        snaplen = swap32(snaplen);
        linktype = swap32(linktype);
      }
      s->snaplen_ = snaplen == 0 || snaplen > kMaxRecord ? kPcapDefaultSnaplen : snaplen;
      s->link_type_ = linktype_to_dlt(linktype & 0x03ffffff);  // upper bits: FCS length
      s->advance(kPcapFileHeaderBytes);
      return s;
    }
  }
  // Not classic pcap (or too short to tell): libpcap knows pcapng and reports what it is not.
  if (s->window_ != nullptr) ::munmap(const_cast<std::uint8_t*>(s->window_), s->window_len_);
  s->window_ = nullptr;
  ::close(s->fd_);
  s->fd_ = -1;
  s->buf_ = {};
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) return make_error("cannot read {}: {}", path, errbuf);
  s->pcap_ = p;
  s->link_type_ = pcap_datalink(p);
  const int snap = pcap_snapshot(p);
  s->snaplen_ = snap > 0 ? static_cast<std::uint32_t>(snap) : kPcapDefaultSnaplen;
  return s;
}

NextStatus PcapFileSource::next(RawPacket& out) {
  return pcap_ != nullptr ? next_libpcap(out) : next_classic(out);
}

NextStatus PcapFileSource::next_libpcap(RawPacket& out) {
  struct pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap_, &h, &data);
  if (rc == 1) {
    ++read_;
    out.ts = static_cast<TimeNs>(h->ts.tv_sec) * kNsPerSec + static_cast<TimeNs>(h->ts.tv_usec);
    out.data = ByteView(data, h->caplen);
    out.wire_len = h->len;
    return NextStatus::kPacket;
  }
  if (rc == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  error_ = pcap_geterr(pcap_);
  return NextStatus::kError;
}

bool PcapFileSource::fill(std::size_t need) {
  if (end_ - pos_ >= need) return true;
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (need > buf_.size()) buf_.resize(need + kChunk);
  while (end_ < need && !eof_) {
    const ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      if (n < 0) error_ = std::strerror(errno);
      break;
    }
    end_ += static_cast<std::size_t>(n);
  }
  return end_ - pos_ >= need;
}

void PcapFileSource::decode_header(const std::uint8_t* h, std::uint32_t v[4]) const {
  std::memcpy(v, h, 16);
  if (swapped_)
    for (int i = 0; i < 4; ++i) v[i] = swap32(v[i]);
}

bool PcapFileSource::valid_header(const std::uint8_t* h) const {
  // What libpcap itself insists on: a captured length no reader could accept is damage.
  std::uint32_t v[4];
  decode_header(h, v);
  return v[2] <= kMaxRecord && v[2] <= std::max(snaplen_, kPcapDefaultSnaplen);
}

bool PcapFileSource::plausible_header(const std::uint8_t* h) const {
  // Stricter, for finding records again inside damaged bytes, where anything may look valid.
  if (!valid_header(h)) return false;
  std::uint32_t v[4];
  decode_header(h, v);
  if (v[1] >= (nano_ ? 1'000'000'000u : 1'000'000u)) return false;
  if (v[3] < v[2] && v[3] != 0) return false;
  if (read_ > 0) {
    const TimeNs ts = static_cast<TimeNs>(v[0]) * kNsPerSec;
    if (ts > last_ts_ + kMaxTimeJump || ts < last_ts_ - kMaxTimeJump) return false;
  }
  return true;
}

NextStatus PcapFileSource::next_classic(RawPacket& out) {
  for (;;) {
    const std::uint8_t* h = peek(kPcapRecordHeaderBytes);
    if (h == nullptr) {
      if (remaining() == 0) return error_.empty() ? NextStatus::kEnd : NextStatus::kError;
      error_ = "truncated capture file: " + std::to_string(remaining()) +
               " bytes after the last record are not a whole record header";
      advance(static_cast<std::size_t>(remaining()));
      return NextStatus::kError;
    }
    if (!valid_header(h)) {
      // A damaged record header: find the next place where two valid records follow each
      // other (or one ends exactly at the end of the file) and go on from there.
      ++resyncs_;
      std::size_t skipped = 0;
      for (;;) {
        advance(1);
        ++skipped;
        const std::uint8_t* c = peek(kPcapRecordHeaderBytes);
        if (c == nullptr) break;
        if (!plausible_header(c)) continue;
        std::uint32_t v[4];
        decode_header(c, v);
        const std::size_t next = kPcapRecordHeaderBytes + v[2];
        if (const std::uint8_t* both = peek(next + kPcapRecordHeaderBytes)) {
          if (plausible_header(both + next)) break;
        } else if (remaining() == next) {
          break;  // the last record of the file
        }
      }
      skipped_bytes_ += skipped;
      continue;
    }
    std::uint32_t v[4];
    decode_header(h, v);
    const std::size_t total = kPcapRecordHeaderBytes + v[2];
    h = peek(total);
    if (h == nullptr) {
      error_ = "truncated capture file: the last record has " +
               std::to_string(remaining() - kPcapRecordHeaderBytes) + " of its " +
               std::to_string(v[2]) + " bytes";
      advance(static_cast<std::size_t>(remaining()));
      return NextStatus::kError;
    }
    out.ts = static_cast<TimeNs>(v[0]) * kNsPerSec + static_cast<TimeNs>(v[1]) * (nano_ ? 1 : 1000);
    out.data = ByteView(h + kPcapRecordHeaderBytes, v[2]);
    out.wire_len = v[3] < v[2] ? v[2] : v[3];
    out.file_offset = resyncs_ == 0 ? file_offset_ : RawPacket::kNoOffset;
    last_ts_ = out.ts;
    advance(total);
    ++read_;
    return NextStatus::kPacket;
  }
}

}  // namespace kagami::capture
