#pragma once

#include "kagami/analyzers/context.h"
#include "kagami/records/dns_record.h"
#include "kagami/wire/dns_message.h"

namespace kagami::analyzers {

// A DNS message into its record, the same for DNS over UDP or TCP and DNS over HTTPS.

// A query: its id and first question.
void record_query(records::DnsRecord& r, const wire::DnsMessage& m);
// A response: its code and records. Addresses in it teach `names` the names they were
// resolved from (none when `names` is null).
void record_response(records::DnsRecord& r, const wire::DnsMessage& m, NameCache* names, TimeNs ts);

}  // namespace kagami::analyzers
