#pragma once

#include <cstdint>

#include "kagami/records/proxied_connection.h"
#include "kagami/records/record_types.h"
#include "kagami/records/session_record.h"

namespace kagami::analyzers {

// The proxy's view of a TLS session it carried, added to the session's TLS record among
// `records` (a batch's vectors): a decrypted session shows no handshake on the mirror, so its
// record is made from the note; a bypassed one was analyzed from its bytes and gains the
// proxy's verdict and policy. Marks the session `tls` when the proxy decrypted it.
void add_proxy_view(const records::ProxiedConnection& note, std::uint64_t session_id,
                    records::SessionRecord& session, records::RecordVectors& records);

}  // namespace kagami::analyzers
