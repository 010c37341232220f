// The limit for reading a capture file: libpcap's read loop touching every byte, nothing else.
#include <cstdint>
#include <cstdio>

#include <pcap/pcap.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pcap_bare_read FILE\n");
    return 2;
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) {
    std::fprintf(stderr, "%s\n", err);
    return 1;
  }
  std::uint64_t packets = 0, bytes = 0, sum = 0;
  struct pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++packets;
    bytes += h->caplen;
    // Read the headers a decoder would look at, so the loop is not a pure memcpy count.
    sum += h->caplen >= 54 ? d[23] + d[47] : 0;
  }
  pcap_close(p);
  std::printf("packets %llu bytes %llu check %llu\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(sum));
  return 0;
}
