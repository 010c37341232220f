#include "kagami/capture/live_source.h"

#include <pcap/pcap.h>
#include <poll.h>

namespace kagami::capture {

LiveSource::LiveSource(pcap_t* p, std::string name) : pcap_(p), name_(std::move(name)) {
  link_type_ = pcap_datalink(p);
  snaplen_ = static_cast<std::uint32_t>(pcap_snapshot(p));
}

LiveSource::~LiveSource() {
  if (pcap_ != nullptr) pcap_close(pcap_);
}

Result<std::unique_ptr<LiveSource>> LiveSource::open(const LiveOptions& o) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(o.interface.c_str(), errbuf);
  if (p == nullptr) return make_error("cannot capture on {}: {}", o.interface, errbuf);
  auto fail = [&](const char* what) -> Error {
    Error e = make_error("cannot capture on {}: {}: {}", o.interface, what, pcap_geterr(p));
    pcap_close(p);
    return e;
  };
  pcap_set_snaplen(p, static_cast<int>(o.snaplen));
  pcap_set_promisc(p, o.promiscuous ? 1 : 0);
  pcap_set_timeout(p, o.timeout_ms);
  pcap_set_buffer_size(p, static_cast<int>(o.buffer_bytes));
  pcap_set_immediate_mode(p, 1);
  if (pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0) {
    // Not every platform offers nanoseconds; microseconds are still correct, just coarser.
  }
  const int rc = pcap_activate(p);
  if (rc < 0) return fail("activate");
  if (!o.bpf_filter.empty()) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, o.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return fail("bad filter");
    const int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) return fail("set filter");
  }
  char nb_err[PCAP_ERRBUF_SIZE] = {};
  if (pcap_setnonblock(p, 1, nb_err) != 0) return fail("non-blocking mode");
  auto src = std::unique_ptr<LiveSource>(new LiveSource(p, o.interface));
  src->fd_ = pcap_get_selectable_fd(p);
  src->timeout_ms_ = o.timeout_ms;
  // pcap_set_tstamp_precision may have been refused: ask what we got.
  src->nano_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  return src;
}

NextStatus LiveSource::next(RawPacket& out) {
  struct pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(pcap_, &h, &data);
  if (rc == 0 && fd_ >= 0) {
    // Nothing buffered: wait on the socket ourselves. TPACKET_V3 blocks until a block fills,
    // so libpcap's own timeout never fires on an idle link; the recorder needs its turn to
    // expire idle flows, flush the archive and answer signals.
    pollfd p = {fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms_);
    if (ready <= 0) return NextStatus::kTimeout;  // timeout, or a signal (EINTR)
    rc = pcap_next_ex(pcap_, &h, &data);
  }
  if (rc == 1) {
    out.ts = static_cast<TimeNs>(h->ts.tv_sec) * kNsPerSec +
             static_cast<TimeNs>(h->ts.tv_usec) * (nano_ ? 1 : 1000);
    out.data = ByteView(data, h->caplen);
    out.wire_len = h->len;
    return NextStatus::kPacket;
  }
  if (rc == 0) return NextStatus::kTimeout;
  if (rc == PCAP_ERROR_BREAK) return NextStatus::kEnd;
  error_ = pcap_geterr(pcap_);
  return NextStatus::kError;
}

SourceStats LiveSource::stats() const {
  struct pcap_stat ps = {};
  if (pcap_stats(pcap_, &ps) != 0) return {};
  return SourceStats{ps.ps_recv, ps.ps_drop, ps.ps_ifdrop};
}

void LiveSource::break_loop() { pcap_breakloop(pcap_); }

}  // namespace kagami::capture
