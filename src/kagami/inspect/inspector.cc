#include "kagami/inspect/inspector.h"

#include "kagami/inspect/clamav_engine.h"
#include "kagami/inspect/hash_lists.h"
#include "kagami/inspect/text_scanner.h"
#include "kagami/inspect/yara_rules.h"

namespace kagami::inspect {

std::string Inspection::flags() const {
  std::string f;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!f.empty()) f += ",";
    f += name;
  };
  add(extract.encrypted, "encrypted");
  add(extract.bomb, "bomb");
  add(extract.too_deep, "too_deep");
  add(extract.truncated || scan_truncated, "truncated");
  add(extract.corrupt, "corrupt");
  add(extract.unsupported, "unsupported");
  add(extract.invalid_text, "invalid_text");
  add(!errors.empty(), "scan_error");
  return f;
}

Inspector::~Inspector() = default;
Inspector::Worker::~Worker() = default;

Result<std::shared_ptr<const Inspector>> Inspector::create(const InspectorOptions& options) {
  std::shared_ptr<Inspector> in(new Inspector());
  in->options_ = options;
  auto db = PatternDatabase::build(options.detectors);
  if (!db) return db.error();
  in->patterns_ = db.value();
  if (!options.yara_rule_files.empty()) {
    auto y = YaraRules::compile(options.yara_rule_files);
    if (!y) return y.error();
    in->yara_ = std::move(y.value());
  }
  if (!options.clamav_database_dir.empty()) {
    auto c = ClamavEngine::load(options.clamav_database_dir);
    if (!c) return c.error();
    in->clamav_ = std::move(c.value());
  }
  if (!options.hash_lists.empty()) {
    in->hash_lists_ = std::make_unique<HashLists>();
    for (const auto& [name, path] : options.hash_lists)
      if (auto s = in->hash_lists_->add(name, path); !s) return s.error();
  }
  return std::shared_ptr<const Inspector>(std::move(in));
}

Result<std::unique_ptr<Inspector::Worker>> Inspector::worker() const {
  auto s = TextScanner::create(patterns_);
  if (!s) return s.error();
  std::unique_ptr<Worker> w(new Worker());
  w->scanner = std::move(s.value());
  return w;
}

std::size_t Inspector::yara_rules() const { return yara_ ? yara_->rule_count() : 0; }
unsigned Inspector::clamav_signatures() const { return clamav_ ? clamav_->signatures() : 0; }

Inspection Inspector::inspect(Worker& worker, ByteView bytes, std::string_view sha256,
                              std::string_view name, std::string_view mime,
                              std::string* text_out) const {
  Inspection out;
  TextScanner& scanner = *worker.scanner;
  // Each document part is scanned on its own: a value never spans two files of an archive.
  std::string member;
  bool open = false;
  auto close_member = [&] {
    if (!open) return;
    for (Finding& f : scanner.finish()) {
      ObjectFinding o;
      o.detector = std::string(detector_name(f.detector));
      o.confidence = f.confidence;
      o.count = f.count;
      o.sample = f.detector == Detector::kKeyword ? f.name : std::move(f.sample);
      o.member = member;
      out.findings.push_back(std::move(o));
    }
    out.scan_truncated = out.scan_truncated || scanner.counters().truncated;
    open = false;
  };
  content::DocumentText text(options_.extract);
  out.extract = text.extract(bytes, name, mime, [&](std::string_view t, std::string_view m) {
    if (!open || m != member) {
      close_member();
      member = std::string(m);
      scanner.begin();
      open = true;
      if (text_out != nullptr && !member.empty()) *text_out += "\n== " + member + " ==\n";
    }
    scanner.feed(t);
    if (text_out != nullptr) text_out->append(t);
  });
  close_member();
  out.text_bytes = out.extract.text_bytes;
  // What a password keeps from being read is a finding of its own: the detectors could not
  // look inside, and a file sent that way (PPAP's zip) is what an administrator asks about.
  if (out.extract.encrypted) {
    ObjectFinding o;
    o.detector = "encrypted";
    o.confidence = Confidence::kHigh;
    o.count = 1;
    o.sample = out.extract.encrypted_what;
    out.findings.push_back(std::move(o));
  }

  auto malware = [&](std::string detector) {
    ObjectFinding o;
    o.detector = std::move(detector);
    o.confidence = Confidence::kHigh;
    o.count = 1;
    o.sample = std::string(sha256.substr(0, 16));
    out.findings.push_back(std::move(o));
  };
  if (yara_) {
    bool timed_out = false;
    for (std::string& rule : yara_->scan(bytes, options_.yara_timeout_s, timed_out))
      malware("yara:" + rule);
    if (timed_out) out.errors += "YARA scan timed out; ";
  }
  if (clamav_) {
    std::string error;
    const std::string signature = clamav_->scan(bytes, error);
    if (!signature.empty()) malware("clamav:" + signature);
    if (!error.empty()) out.errors += "ClamAV: " + error + "; ";
  }
  if (hash_lists_)
    for (const std::string& list : hash_lists_->lists_of(std::string(sha256)))
      malware("hash_list:" + list);
  return out;
}

}  // namespace kagami::inspect
