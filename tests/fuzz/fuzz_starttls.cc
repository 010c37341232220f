// The plaintext before a STARTTLS upgrade, as the proxy watches it between two untrusted peers:
// the input is cut into turns (a byte says whose and how long), fed as a relay would, held
// client bytes fed again when the server refuses. Never more forwarded than given, never a
// crash; once accepted or given up, the state stays. An input whose first turn is the client's
// and can begin an LDAP message is watched as LDAP (BER, client first), as the proxy does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kagami/wire/starttls.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  using W = wire::StartTlsWatch;
  W watch;
  std::string held;  // the client's bytes not yet relayed
  std::size_t at = 0;
  if (size > 1 && !(data[0] & 0x80) && W::ldap_first(ByteView(data + 1, size - 1)))
    watch.watch_ldap();
  while (at < size) {
    const std::uint8_t control = data[at++];
    const std::size_t n = std::min<std::size_t>(size - at, (control & 0x7f) + 1);
    const ByteView turn(data + at, n);
    at += n;
    const W::State before = watch.state();
    if (control & 0x80) {
      if (watch.server(turn) > n) std::abort();
    } else {
      held.append(reinterpret_cast<const char*>(turn.data()), turn.size());
    }
    if (watch.state() == W::State::kWatching || watch.state() == W::State::kGaveUp) {
      const std::size_t sent =
          watch.client(ByteView(reinterpret_cast<const std::uint8_t*>(held.data()), held.size()));
      if (sent > held.size()) std::abort();
      held.erase(0, sent);
    }
    if ((before == W::State::kGaveUp || before == W::State::kViolation) && watch.state() != before)
      std::abort();
  }
  return 0;
}
