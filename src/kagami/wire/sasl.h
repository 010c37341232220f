#pragma once

#include <string>
#include <string_view>

namespace kagami::wire {

// The user name a SASL exchange reveals (SMTP AUTH, IMAP AUTHENTICATE, POP3 AUTH), from the
// client's `step`-th response, already base64-decoded. Never the password. Empty when that
// step carries no name or the mechanism hides it.
//   PLAIN (RFC 4616)        step 0: authzid NUL authcid NUL passwd -> authcid
//   LOGIN                   step 0: the user name
//   CRAM-MD5 (RFC 2195)     step 0: "user digest"
//   XOAUTH2                 step 0: "user=NAME\x01auth=Bearer ..."
//   OAUTHBEARER (RFC 7628)  step 0: "n,a=NAME,\x01..."
//   NTLM                    the AUTHENTICATE message (type 3): DOMAIN\user
std::string sasl_user(std::string_view mechanism, std::string_view response, int step);
// The computer an NTLM AUTHENTICATE message (type 3) names (its Workstation field); empty when
// it names none or is not one.
std::string ntlm_workstation(std::string_view authenticate);

// A SASL exchange as SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE carry it: the mechanism,
// then one base64 line per client response ("=" an empty one, "*" cancels, RFC 4954 4).
class SaslExchange {
 public:
  void start(std::string_view mechanism) {
    mechanism_ = std::string(mechanism);
    step_ = 0;
  }
  // One client response; false when it cancels the exchange. `user` is set when the
  // response reveals the user name.
  bool response(std::string_view line, std::string& user);

 private:
  std::string mechanism_;
  int step_ = 0;
};

}  // namespace kagami::wire
