// DCE/RPC as the recorder reads it from a named pipe, both directions untrusted: PDUs cut
// anywhere, fragments, binds and their answers, calls answered or not, faults, authentication
// trailers, svcctl arguments with lying lengths. Each step: [flags: 1][length: 1][bytes];
// flags bit 0: the server's; bit 1: the bytes become a PDU with a valid header (type from
// bits 2-5, the fragment length right) so the fuzzer spends its time on bodies.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kagami/analyzers/smb/pipe_calls.h"
#include "kagami/wire/dcerpc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  analyzers::PipeCalls calls("\\\\server\\IPC$\\svcctl");
  std::vector<records::DceRpcRecord> done;
  std::size_t i = 0;
  while (i + 2 <= size) {
    const std::uint8_t flags = data[i];
    const std::size_t len = std::min<std::size_t>(data[i + 1], size - i - 2);
    std::string bytes(reinterpret_cast<const char*>(data + i + 2), len);
    i += 2 + len;
    if (flags & 2) {
      const std::size_t n = 16 + bytes.size();
      std::string h = {5,
                       0,
                       static_cast<char>((flags >> 2) & 0x0f),
                       3,
                       0x10,
                       0,
                       0,
                       0,
                       static_cast<char>(n & 0xff),
                       static_cast<char>(n >> 8),
                       0,
                       0,
                       static_cast<char>(flags >> 6),
                       0,
                       0,
                       0};
      if (!bytes.empty()) h[10] = static_cast<char>(bytes[0] & 0x1f);  // an auth length
      bytes = h + bytes;
    }
    const ByteView v(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (flags & 1)
      calls.from_server(v, done);
    else
      calls.from_client(1, v, done);
    // The argument readers on their own, on whatever came.
    wire::SvcctlCall s;
    for (std::uint16_t op : {12, 24, 16, 11})
      (void)wire::svcctl_request(op, ByteView(v.data(), v.size()), s);
    std::array<std::uint8_t, 20> handle;
    (void)wire::svcctl_handle_returned(12, v, handle);
    done.clear();
  }
  calls.finish(done);
  return 0;
}
