#include "kagami/console/console_certificate.h"

#include <cstdio>
#include <filesystem>

#include "kagami/proxy/certificate_authority.h"

namespace kagami::console {

Result<ConsoleCertificate> ensure_console_certificate(const std::string& dir,
                                                      const std::vector<std::string>& names) {
  ConsoleCertificate out{dir + "/console.crt", dir + "/console.key", dir + "/console-ca.crt"};
  namespace fs = std::filesystem;
  if (fs::exists(out.cert) && fs::exists(out.key)) return out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create {}: {}", dir, ec.message());
  proxy::CaOptions options;
  options.name = "Kagami Console CA";
  auto ca = proxy::CertificateAuthority::generate(options);
  if (!ca) return ca.error();
  auto key = proxy::generate_key(false, 0);
  if (!key) return key.error();
  auto cert = proxy::issue_server_certificate(**ca, key->get(), names, 825);
  if (!cert) return cert.error();
  // The CA's key is not kept: the console certificate is the only one it will ever sign.
  fs::remove(out.ca, ec);
  if (auto s = proxy::write_certificate_and_key(cert->get(), key->get(), out.cert, out.key); !s)
    return s.error();
  const std::string pem = (*ca)->cert_pem();
  std::FILE* f = std::fopen(out.ca.c_str(), "wx");
  if (f == nullptr) return make_error("cannot create {}", out.ca);
  bool written = std::fwrite(pem.data(), 1, pem.size(), f) == pem.size();
  written = std::fclose(f) == 0 && written;
  if (!written) return make_error("cannot write {}", out.ca);
  out.created = true;
  return out;
}

}  // namespace kagami::console
