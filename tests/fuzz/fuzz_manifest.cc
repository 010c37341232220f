// The hash-chained seal manifest parser on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <stdio.h>
#include <unistd.h>

#include "kagami/store/seal_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  char path[] = "/tmp/kagami-fuzz-manifest-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return 0;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    std::vector<std::string> problems;
    auto m = kagami::store::SealManifest::load(path, &problems);
    if (m.ok()) (void)kagami::store::archive_state(m->entries());
  }
  close(fd);
  unlink(path);
  return 0;
}
