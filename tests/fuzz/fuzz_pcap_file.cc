// The archive's own pcap reader (recovery scan and random access) on arbitrary files.
#include <cstddef>
#include <cstdint>
#include <string>

#include <stdio.h>
#include <unistd.h>

#include "kagami/capture/pcap_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  char path[] = "/tmp/kagami-fuzz-pcap-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return 0;
  if (write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    unlink(path);
    return 0;
  }
  close(fd);
  if (auto scan = kagami::capture::scan_pcap_file(path, false); scan.ok()) {
    if (scan->valid_bytes > scan->file_bytes) __builtin_trap();
  }
  if (auto r = kagami::capture::PcapRecordReader::open(path); r.ok()) {
    for (std::uint64_t off = 0; off < size; off += 1 + off / 3) (void)r.value()->read_at(off);
  }
  (void)kagami::capture::scan_pcap_file(path, true);  // and the truncating recovery path
  unlink(path);
  return 0;
}
