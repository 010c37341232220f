// `kagami file get SHA256 -o OUT`: an extracted object's original bytes, as evidence.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "kagami/base/sha256.h"
#include "kagami/store/file_store.h"
#include "kagami/store/store_layout.h"

#include "app/cli_audit.h"
#include "app/commands.h"

namespace kagami::app {
namespace {

struct FileGetOptions {
  std::string store;
  std::string sha256;
  std::string out;
};

int run_file_get(const FileGetOptions& o) {
  store::StoreLayout layout{o.store};
  if (auto s = layout.check_exists(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  if (!sha256_from_hex(o.sha256)) {
    std::cerr << "error: '" << o.sha256 << "' is not a SHA-256 (64 hex digits)\n";
    return 2;
  }
  std::string sha = o.sha256;
  for (char& c : sha) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  store::FileStore files(layout, {});
  if (!files.contains(sha)) {
    std::cerr << "error: no file " << sha << " in " << o.store << "\n";
    return 1;
  }
  if (auto a = cli_audit(layout, "download", "file:" + sha); !a) {
    std::cerr << "error: " << a.error().message << "\n";
    return 1;
  }
  const bool to_stdout = o.out == "-";
  // Written beside the target and renamed, so OUT is either whole or absent.
  const std::string tmp = o.out + ".part";
  std::FILE* f = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    std::cerr << "error: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  const Status s = files.read(sha, f);
  if (to_stdout) {
    std::fflush(stdout);
  } else if (std::fclose(f) != 0 && s.ok()) {
    std::cerr << "error: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
    std::remove(tmp.c_str());
    return 1;
  }
  if (!s) {
    std::cerr << "error: " << s.error().message << "\n";
    if (!to_stdout) std::remove(tmp.c_str());
    return 1;
  }
  if (!to_stdout) {
    // The bytes must be the ones the index names: check before handing them over.
    auto got = sha256_file(tmp);
    if (!got || to_hex(got.value()) != sha) {
      std::cerr << "error: stored object " << sha << " is damaged (its bytes hash to "
                << (got ? to_hex(got.value()) : got.error().message) << ")\n";
      std::remove(tmp.c_str());
      return 1;
    }
    if (std::rename(tmp.c_str(), o.out.c_str()) != 0) {
      std::cerr << "error: cannot rename " << tmp << " to " << o.out << ": " << std::strerror(errno)
                << "\n";
      std::remove(tmp.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

void add_file_command(CLI::App& app, int& exit_code) {
  CLI::App* file = app.add_subcommand("file", "work with one extracted file");
  file->require_subcommand(1);
  auto o = std::make_shared<FileGetOptions>();
  CLI::App* get = file->add_subcommand("get", "write an extracted file's bytes");
  get->add_option("--store,-s", o->store, "store directory")->required();
  get->add_option("sha256", o->sha256, "the file's SHA-256")->required();
  get->add_option("-o,--output", o->out, "where to write it ('-': standard output)")->required();
  get->callback([o, &exit_code] { exit_code = run_file_get(*o); });
}

}  // namespace kagami::app
