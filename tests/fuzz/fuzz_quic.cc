// QUIC Initial reading: long headers of coalesced packets, keys from their connection IDs,
// header protection and AEAD, and the frames of a plaintext (fed straight, since random bytes
// almost never pass the AEAD) into a bounded CRYPTO stream. Input: [mode: 1] then bytes; mode
// bit 0 reads the bytes as a datagram, otherwise as Initial plaintext.
#include <cstddef>
#include <cstdint>

#include "kagami/wire/quic_initial.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  const ByteView in(data + 1, size - 1);
  wire::QuicCryptoStream stream(4096);
  auto feed = [&](ByteView plain) {
    auto frames = wire::quic_crypto_frames(plain);
    if (!frames) return;
    for (const wire::QuicCrypto& c : frames.value()) stream.add(c.offset, c.bytes);
    if (stream.contiguous().size() > 4096) __builtin_trap();  // the bound must hold
  };
  if ((data[0] & 1) == 0) {
    feed(in);
    return 0;
  }
  ByteView d = in;
  while (!d.empty()) {
    auto h = wire::parse_quic_long_header(d);
    if (!h) break;
    if (h->size == 0 || h->size > d.size()) __builtin_trap();
    if (h->type == wire::QuicPacketType::kInitial && wire::quic_version_known(h->version)) {
      for (bool server : {false, true}) {
        auto keys =
            wire::quic_initial_keys(h->version, ByteView(h->dcid.data(), h->dcid.size()), server);
        if (!keys) continue;
        auto plain = wire::open_quic_initial(d.first(h->size), *h, *keys);
        if (plain) feed(ByteView(plain->data(), plain->size()));
      }
    }
    d = d.subspan(h->size);
  }
  return 0;
}
