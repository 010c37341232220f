#include "kagami/inspect/yara_rules.h"

#include <cstdio>
#include <mutex>

#include <yara.h>

namespace kagami::inspect {
namespace {

// libyara is initialised once for the process and never finalised: rules may live until exit.
bool initialise() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = yr_initialize() == ERROR_SUCCESS; });
  return ok;
}

struct CompileErrors {
  std::string text;
};

void on_compile_message(int level, const char* file, int line, const YR_RULE*, const char* message,
                        void* user) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;
  auto* e = static_cast<CompileErrors*>(user);
  if (!e->text.empty()) e->text += "; ";
  e->text += std::string(file != nullptr ? file : "?") + ":" + std::to_string(line) + ": " +
             (message != nullptr ? message : "");
}

struct ScanState {
  std::vector<std::string>* matches;
};

int on_scan_message(YR_SCAN_CONTEXT*, int message, void* data, void* user) {
  if (message == CALLBACK_MSG_RULE_MATCHING) {
    const auto* rule = static_cast<const YR_RULE*>(data);
    static_cast<ScanState*>(user)->matches->push_back(rule->identifier);
  }
  return CALLBACK_CONTINUE;
}

}  // namespace

Result<std::unique_ptr<YaraRules>> YaraRules::compile(const std::vector<std::string>& files) {
  if (!initialise()) return make_error("libyara failed to initialise");
  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS)
    return make_error("cannot create a YARA compiler");
  CompileErrors errors;
  yr_compiler_set_callback(compiler, on_compile_message, &errors);
  for (const std::string& path : files) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) {
      yr_compiler_destroy(compiler);
      return make_error("cannot read the YARA rules {}", path);
    }
    const int failures = yr_compiler_add_file(compiler, f, nullptr, path.c_str());
    std::fclose(f);
    if (failures > 0) {
      yr_compiler_destroy(compiler);
      return make_error("YARA rules do not compile: {}", errors.text);
    }
  }
  YR_RULES* rules = nullptr;
  const int rc = yr_compiler_get_rules(compiler, &rules);
  yr_compiler_destroy(compiler);
  if (rc != ERROR_SUCCESS) return make_error("cannot build the YARA rules (error {})", rc);
  std::unique_ptr<YaraRules> y(new YaraRules());
  y->rules_ = rules;
  const YR_RULE* rule = nullptr;
  yr_rules_foreach(rules, rule) { ++y->rule_count_; }
  return y;
}

YaraRules::~YaraRules() {
  if (rules_ != nullptr) yr_rules_destroy(static_cast<YR_RULES*>(rules_));
}

std::vector<std::string> YaraRules::scan(ByteView bytes, int timeout_s, bool& timed_out) const {
  std::vector<std::string> matches;
  ScanState state{&matches};
  const int rc = yr_rules_scan_mem(static_cast<YR_RULES*>(rules_), bytes.data(), bytes.size(),
                                   SCAN_FLAGS_FAST_MODE, on_scan_message, &state, timeout_s);
  timed_out = rc == ERROR_SCAN_TIMEOUT;
  return matches;
}

}  // namespace kagami::inspect
