#pragma once

#include <string>

#include "kagami/base/byte_view.h"

namespace kagami::wire {

// The service a Kerberos AP-REQ (RFC 4120 5.5.1) presents its ticket to, as
// "service/host@REALM": the ticket's realm and server name travel in the clear, while the client's
// name is inside the encrypted part. `gss_token` is what SMB's SESSION_SETUP, HTTP's Negotiate
// or LDAP's SASL GSS-SPNEGO carry: SPNEGO's NegTokenInit or NegTokenResp (RFC 4178) wrapping a
// Kerberos mechanism token (RFC 4121 4.1), or that token bare. False when there is no AP-REQ
// (NTLMSSP, a server's reply) or it is malformed.
bool kerberos_service_in(ByteView gss_token, std::string& principal);

}  // namespace kagami::wire
