#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"
#include "kagami/store/archive_verify.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"

namespace kagami::app {
namespace {

struct VerifyOptions {
  std::string store;
  bool json = false;
  bool strict = false;
  bool list = false;
};

int run_verify(const VerifyOptions& o) {
  store::StoreLayout layout{o.store};
  if (auto s = layout.check_exists(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  auto report = store::verify_archive(layout);
  if (!report) {
    std::cerr << "error: " << report.error().message << "\n";
    return 1;
  }
  std::size_t unsealed = 0;
  for (const auto& f : report->files)
    if (f.status == store::FileCheck::Status::kUnsealed) ++unsealed;
  const bool ok = report->ok() && (!o.strict || unsealed == 0);
  if (o.json) {
    nlohmann::json j;
    j["ok"] = ok;
    j["sealed_ok"] = report->sealed_ok;
    j["unsealed"] = unsealed;
    j["evicted"] = report->evicted;
    j["chain_problems"] = report->chain_problems;
    j["index_problems"] = report->index_problems;
    auto& files = j["files"] = nlohmann::json::array();
    for (const auto& f : report->files)
      files.push_back({{"name", f.name},
                       {"status", store::file_check_status_name(f.status)},
                       {"detail", f.detail},
                       {"bytes", f.bytes},
                       {"packets", f.packets}});
    std::cout << records::dump_json(j) << "\n";
  } else {
    for (const auto& f : report->files) {
      if ((f.status == store::FileCheck::Status::kOk ||
           f.status == store::FileCheck::Status::kEvicted) &&
          !o.list)
        continue;
      std::cout << store::file_check_status_name(f.status) << "\t" << f.name;
      if (!f.detail.empty()) std::cout << "\t" << f.detail;
      std::cout << "\n";
    }
    for (const auto& p : report->chain_problems) std::cout << "MANIFEST\t" << p << "\n";
    for (const auto& p : report->index_problems) std::cout << "INDEX\t" << p << "\n";
    std::cout << (ok ? "OK" : "FAILED") << ": " << report->sealed_ok << " sealed file(s) verified, "
              << unsealed << " not sealed yet";
    if (report->evicted)
      std::cout << ", " << report->evicted
                << " evicted by retention (seal and tombstone checked in the chain)";
    std::cout << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* cmd =
      app.add_subcommand("verify", "check the integrity seal of every archived packet file");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_flag("--json", o->json, "a JSON report");
  cmd->add_flag("--strict", o->strict, "files not sealed yet count as failures");
  cmd->add_flag("--list", o->list, "list every file, not only those with a problem");
  cmd->callback([o, &exit_code] { exit_code = run_verify(*o); });
}

}  // namespace kagami::app
