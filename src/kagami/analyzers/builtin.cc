#include <string_view>

#include "kagami/analyzers/analyzer.h"

// The built-in protocols, in detection order (those without detect(), like FTP data, are
// started only by an announcement on another connection). A new protocol
// is a folder under analyzers/ that defines `const AnalyzerSpec k<Name>Analyzer`, plus one line
// here.
#define KAGAMI_BUILTIN_ANALYZERS(X) \
  X(kFtpDataAnalyzer)               \
  X(kWebSocketAnalyzer)             \
  X(kHttp2Analyzer)                 \
  X(kHttp1Analyzer)                 \
  X(kDnsAnalyzer)                   \
  X(kTlsAnalyzer)                   \
  X(kSmtpAnalyzer)                  \
  X(kPop3Analyzer)                  \
  X(kImapAnalyzer)                  \
  X(kFtpAnalyzer)                   \
  X(kSmbAnalyzer)                   \
  X(kQuicAnalyzer)

namespace kagami::analyzers {

#define KAGAMI_DECLARE(spec) extern const AnalyzerSpec spec;
KAGAMI_BUILTIN_ANALYZERS(KAGAMI_DECLARE)
#undef KAGAMI_DECLARE

const std::vector<const AnalyzerSpec*>& builtin_analyzers() {
#define KAGAMI_LIST(spec) &spec,
  static const std::vector<const AnalyzerSpec*> all = {KAGAMI_BUILTIN_ANALYZERS(KAGAMI_LIST)};
#undef KAGAMI_LIST
  return all;
}

const AnalyzerSpec* find_analyzer(std::string_view name) {
  for (const AnalyzerSpec* s : builtin_analyzers())
    if (name == s->name) return s;
  return nullptr;
}

}  // namespace kagami::analyzers
