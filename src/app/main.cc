// kagami: network forensics that sees inside TLS. The command line only wires modules together.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "app/commands.h"
#include "app/display_zone.h"

int main(int argc, char** argv) {
  // Everything Kagami writes (the index with its password hashes, packets, extracted files,
  // mirror pcaps of decrypted traffic, alert queues, CA keys) is for its own user alone: files
  // 0600 and folders 0700, whatever the caller's umask.
  ::umask(077);
  // Descriptors scale with what is in flight (connections through the proxy, objects being
  // extracted, spooled mails): the soft limit (often 1024) goes up to the hard one.
  if (struct rlimit r; ::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &r);
  }
  auto logger = spdlog::stderr_color_mt("kagami");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);

  CLI::App app{"Kagami: network forensics that sees inside TLS"};
  app.set_version_flag("--version", std::string("kagami ") + KAGAMI_VERSION);
  app.require_subcommand(1);
  // One zone for every listing, search and export, given before or after the subcommand.
  app.fallthrough();
  app.add_option("--tz",
                 "the time zone times are shown in and zone-less times in queries are "
                 "read in: Asia/Tokyo, America/New_York, UTC, +09:00 (default: "
                 "KAGAMI_TZ, else UTC)")
      ->envname("KAGAMI_TZ")
      ->each([](const std::string& name) {
        if (auto s = kagami::app::set_display_zone(name); !s)
          throw CLI::ValidationError("--tz", s.error().message);
      });
  int exit_code = 0;
  kagami::app::add_record_command(app, exit_code);
  kagami::app::add_reanalyze_command(app, exit_code);
  kagami::app::add_sessions_command(app, exit_code);
  kagami::app::add_export_command(app, exit_code);
  kagami::app::add_follow_command(app, exit_code);
  kagami::app::add_record_listing_commands(app, exit_code);
  kagami::app::add_file_command(app, exit_code);
  kagami::app::add_verify_command(app, exit_code);
  kagami::app::add_ca_command(app, exit_code);
  kagami::app::add_proxy_command(app, exit_code);
  kagami::app::add_search_command(app, exit_code);
  kagami::app::add_audit_command(app, exit_code);
  kagami::app::add_serve_command(app, exit_code);
  kagami::app::add_up_command(app, exit_code);
  kagami::app::add_status_command(app, exit_code);
  kagami::app::add_proxy_user_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    // Exceptions only come from start-up and configuration.
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
