// kagami ca init | export: the organisation CA that the proxy mints certificates from.
#include <iostream>

#include <CLI/CLI.hpp>

#include "kagami/proxy/certificate_authority.h"

#include "app/commands.h"

namespace kagami::app {

void add_ca_command(CLI::App& app, int& exit_code) {
  auto* ca = app.add_subcommand("ca", "the inspection CA: create it, or print its certificate");
  ca->require_subcommand(1);

  struct InitOptions {
    std::string dir;
    bool rsa = false;
    std::string name = "Kagami Inspection CA";
    int days = 3650;
  };
  auto init_opts = std::make_shared<InitOptions>();
  auto* init = ca->add_subcommand(
      "init", "create the CA (and a second, untrusted one for upstreams that fail verification)");
  init->add_option("--dir", init_opts->dir, "directory for ca.crt and ca.key (key mode 0600)")
      ->required();
  init->add_flag("--rsa", init_opts->rsa, "RSA 3072 instead of ECDSA P-256");
  init->add_option("--name", init_opts->name, "the CA's common name")->capture_default_str();
  init->add_option("--days", init_opts->days, "validity in days")->capture_default_str();
  init->callback([init_opts, &exit_code] {
    proxy::CaOptions o;
    o.rsa = init_opts->rsa;
    o.name = init_opts->name;
    o.valid_days = init_opts->days;
    if (auto s = proxy::init_ca_dir(init_opts->dir, o); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cerr << "CA created: " << proxy::CaFiles::cert(init_opts->dir)
              << " (install it on clients: kagami ca export --dir " << init_opts->dir << ")\n";
  });

  auto dir = std::make_shared<std::string>();
  auto* exp = ca->add_subcommand("export", "print the CA certificate (PEM) to install on clients");
  exp->add_option("--dir", *dir, "the CA directory")->required();
  exp->callback([dir, &exit_code] {
    auto loaded =
        proxy::CertificateAuthority::load(proxy::CaFiles::cert(*dir), proxy::CaFiles::key(*dir));
    if (!loaded) {
      std::cerr << "error: " << loaded.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << (*loaded)->cert_pem();
  });
}

}  // namespace kagami::app
