#include "kagami/capture/pcap_file_source.h"

#include <pcap/pcap.h>

namespace kagami::capture {

PcapFileSource::PcapFileSource(pcap_t* p, std::string path) : pcap_(p), path_(std::move(path)) {
  link_type_ = pcap_datalink(p);
  const int snap = pcap_snapshot(p);
  snaplen_ = snap > 0 ? static_cast<std::uint32_t>(snap) : 262144;
}

PcapFileSource::~PcapFileSource() {
  if (pcap_ != nullptr) pcap_close(pcap_);
}

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) return make_error("cannot read {}: {}", path, errbuf);
  return std::unique_ptr<PcapFileSource>(new PcapFileSource(p, path));
}

NextStatus PcapFileSource::next(RawPacket& out) {
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

}  // namespace kagami::capture
