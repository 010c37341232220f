#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/inspect/detector.h"
#include "kagami/inspect/pattern_database.h"

struct hs_stream;

namespace kagami::inspect {

// What one object's text holds of one detector at one confidence.
struct Finding {
  Detector detector = Detector::kKeyword;
  std::string name;  // keyword findings: the word; others: empty
  Confidence confidence = Confidence::kLow;
  std::uint64_t count = 0;
  std::string sample;  // the first value, masked: never a whole value
};

struct ScanLimits {
  // Candidate values held while their surroundings arrive; beyond it the rest of the object
  // is not validated and the scan is flagged truncated.
  std::size_t max_pending = 65536;
};

struct ScanCounters {
  std::uint64_t bytes = 0, candidates = 0, validated = 0;
  // Valid-looking values that a word nearby says are something else (an order number, a JAN
  // code): not counted.
  std::uint64_t explained = 0;
  bool truncated = false;  // max_pending reached
};

// Scans one object's text (UTF-8, NFKC) at a time, fed in chunks of any size: Hyperscan in
// streaming mode finds values split across chunks, each candidate is checked (edges, check
// digits) once the bytes around it have arrived, and context words within the window before
// or after it decide its confidence. One scanner per thread; reuse it for every object.
class TextScanner {
 public:
  static Result<std::unique_ptr<TextScanner>> create(std::shared_ptr<const PatternDatabase> db,
                                                     ScanLimits limits = {});
  ~TextScanner();
  TextScanner(const TextScanner&) = delete;
  TextScanner& operator=(const TextScanner&) = delete;

  void begin();
  // Also keep where each value that passed its check lies (byte offsets in the object's
  // text), context or not: what a masked preview hides. Off by default; begin() clears them.
  void keep_spans(bool on) { keep_spans_ = on; }
  struct Span {
    std::uint64_t from = 0, to = 0;
  };
  const std::vector<Span>& spans() const { return spans_; }
  void feed(std::string_view text);
  // Ends the object: its findings, most sure first within each detector.
  std::vector<Finding> finish();
  const ScanCounters& counters() const { return counters_; }

 private:
  struct Hit {
    unsigned id;
    std::uint64_t from, to;
  };
  // What validation learned of a value beyond its being one.
  struct Traits {
    bool needs_context = false;  // counted only with its detector's words nearby
    bool tight = false;          // and then only right next to it (no table chain)
    bool evident = false;        // its form says what it is (a T-prefixed corporate number)
  };
  struct Value {  // validated, waiting for the context after it
    unsigned id;
    std::uint64_t from, to;
    std::string sample;
    Traits traits;
  };

  TextScanner() = default;
  static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                      void* self);
  void check(const Hit& h);              // validates a candidate whose surroundings have arrived
  void check_ready(bool final = false);  // checks the waiting candidates that now can be
  void settle(bool final);               // validates and resolves what the text so far allows
  bool validate(const Hit& h, std::string& sample, Traits& traits) const;
  bool inside_encoded_run(const Hit& h) const;
  // A word of the detector near the value (within `window` characters; 0: the configured
  // window), or, with `chain`, the value is in a table under a row that had one.
  bool has_context(Detector d, std::uint64_t from, std::uint64_t to, std::size_t window = 0,
                   bool chain = true) const;
  // A word that says the value is something else, near it or over the rows above it.
  bool has_against(Detector d, std::uint64_t from, std::uint64_t to) const;
  bool near(std::uint64_t a, std::uint64_t b, std::size_t window) const;
  std::size_t chars_between(std::uint64_t a, std::uint64_t b) const;  // UTF-8 characters
  int at(std::uint64_t offset) const;  // the byte there, or -1 outside what is kept
  void count(const PatternInfo& info, Confidence c, const std::string& sample);
  void trim();

  std::shared_ptr<const PatternDatabase> db_;
  ScanLimits limits_;
  struct hs_scratch* scratch_ = nullptr;
  struct hs_stream* stream_ = nullptr;
  std::uint64_t window_bytes_ = 0;  // the context window, at four bytes a character

  // The text kept: from kept_from_ to end_ (absolute offsets in the object).
  std::string kept_;
  std::uint64_t kept_from_ = 0, end_ = 0;
  std::deque<Hit> unchecked_;                     // waiting for the bytes after them
  std::deque<Value> waiting_;                     // validated, waiting for the context after them
  std::vector<std::deque<Hit>> context_;          // per detector, recent context words
  std::vector<std::deque<Hit>> against_;          // per detector, recent words against
  std::vector<std::uint64_t> last_counted_to_;    // per detector
  std::vector<std::uint64_t> last_confident_to_;  // per detector: its last value with context
  std::vector<std::uint64_t> last_against_to_;    // per detector: its last value explained away
  std::vector<Finding> findings_;
  ScanCounters counters_;
  bool keep_spans_ = false;
  std::vector<Span> spans_;
};

// `text` with every value the detectors find replaced, character by character, by '*' (the
// last four ASCII letters or digits of each left, as samples show them): a preview an
// investigator can read over a shoulder. Words the detectors look for (keywords) stay.
Result<std::string> masked_text(std::shared_ptr<const PatternDatabase> db, std::string_view text);

}  // namespace kagami::inspect
