#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"
#include "kagami/content/document_text.h"
#include "kagami/inspect/detector.h"
#include "kagami/inspect/pattern_database.h"

namespace kagami::inspect {

class TextScanner;
class YaraRules;
class ClamavEngine;
class HashLists;

struct InspectorOptions {
  DetectorOptions detectors;
  content::ExtractLimits extract;
  std::vector<std::string> yara_rule_files;
  std::string clamav_database_dir;                              // empty: no ClamAV
  std::vector<std::pair<std::string, std::string>> hash_lists;  // name, file
  int yara_timeout_s = 10;
};

// One finding in one object: a detector, how sure, how many, where (an archive member or
// document part), and a sample that never shows a whole value.
struct ObjectFinding {
  std::string detector;  // stable: "jp_my_number", "keyword", "yara:<rule>", "clamav:<sig>", ...
  Confidence confidence = Confidence::kLow;
  std::uint64_t count = 0;
  std::string sample;
  std::string member;  // "" for the object itself
};

struct Inspection {
  std::vector<ObjectFinding> findings;
  content::ExtractReport extract;
  std::uint64_t text_bytes = 0;
  bool scan_truncated = false;  // a scanner bound cut the scan short
  std::string errors;           // scanners that could not finish, and why
  // "encrypted,bomb,..." from extraction and the scanners; empty for a clean run.
  std::string flags() const;
};

// Everything that inspects an object: text out of documents and archives, the DLP detectors
// on that text, YARA and ClamAV on the bytes, hash lists on the digest. Immutable and shared
// by the inspecting threads; each thread has a Worker of its own.
class Inspector {
 public:
  static Result<std::shared_ptr<const Inspector>> create(const InspectorOptions& options);
  ~Inspector();

  class Worker {
   public:
    ~Worker();

   private:
    friend class Inspector;
    std::unique_ptr<TextScanner> scanner;
  };
  Result<std::unique_ptr<Worker>> worker() const;

  // `text`, when given, receives the text that was scanned (each archive member's under a
  // "== member ==" line), to be stored for later search.
  Inspection inspect(Worker& worker, ByteView bytes, std::string_view sha256, std::string_view name,
                     std::string_view mime, std::string* text = nullptr) const;

  const PatternDatabase& patterns() const { return *patterns_; }
  const content::ExtractLimits& extract_limits() const { return options_.extract; }
  std::size_t yara_rules() const;
  unsigned clamav_signatures() const;

 private:
  Inspector() = default;
  InspectorOptions options_;
  std::shared_ptr<const PatternDatabase> patterns_;
  std::unique_ptr<YaraRules> yara_;
  std::unique_ptr<ClamavEngine> clamav_;
  std::unique_ptr<HashLists> hash_lists_;
};

}  // namespace kagami::inspect
