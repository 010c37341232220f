#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/inspect/detector.h"

struct hs_database;
struct hs_scratch;

namespace kagami::inspect {

// What one pattern of the database stands for.
struct PatternInfo {
  enum class Role : std::uint8_t {
    kValue,    // a candidate value: validated, then counted
    kContext,  // a word that raises the confidence of the detector's values nearby
    kAgainst,  // a word that says a nearby number is something else (商品コード, order no)
    kKeyword,  // a dictionary word or confidentiality marker: a finding by itself
  };
  // How a value's edges are checked and how it is validated and masked.
  enum class Shape : std::uint8_t { kDigits, kEmail, kToken, kPassport, kLiteral };
  Detector detector = Detector::kKeyword;
  Role role = Role::kValue;
  Shape shape = Shape::kLiteral;
  // A value of this pattern counts only with a context word nearby (a bare 7-digit number is
  // no bank account); otherwise it counts with low or medium confidence.
  bool needs_context = false;
  std::string text;  // keywords: the word itself (their findings may show it)
};

struct DetectorOptions {
  // Dictionary words and confidentiality markers (detector `keyword`); matched without regard
  // to ASCII case. Empty takes the built-in markers.
  std::vector<std::string> keywords;
  // Context words count within this many characters before or after a value (Microsoft
  // Purview's proximity is 300).
  int context_window_chars = 300;
  // Detectors not run at all (their patterns are left out of the database).
  std::vector<Detector> disabled;
};

// Every pattern of every detector compiled into one Hyperscan streaming database, immutable
// and shared by all scanners (each has its own scratch and stream).
class PatternDatabase {
 public:
  static Result<std::shared_ptr<const PatternDatabase>> build(const DetectorOptions& options);
  ~PatternDatabase();
  PatternDatabase(const PatternDatabase&) = delete;
  PatternDatabase& operator=(const PatternDatabase&) = delete;

  const hs_database* database() const { return db_; }
  const PatternInfo& info(unsigned id) const { return patterns_[id]; }
  std::size_t patterns() const { return patterns_.size(); }
  const DetectorOptions& options() const { return options_; }
  // The expressions as compiled, for a benchmark's scan without validation.
  const std::vector<std::string>& expressions() const { return expressions_; }
  const std::vector<unsigned>& flags() const { return flags_; }

 private:
  PatternDatabase() = default;
  hs_database* db_ = nullptr;
  std::vector<PatternInfo> patterns_;
  std::vector<std::string> expressions_;
  std::vector<unsigned> flags_;
  DetectorOptions options_;
};

}  // namespace kagami::inspect
