#include "kagami/recorder/file_extractor.h"

#include <string>

#include <spdlog/spdlog.h>

namespace kagami::recorder {
namespace {

constexpr std::size_t kTypePrefix = 4u << 10;  // what FileTyper looks at

class ExtractedWriter final : public analyzers::FileWriter {
 public:
  ExtractedWriter(std::unique_ptr<store::FileStore::Writer> w, FileExtractor& owner)
      : w_(std::move(w)), owner_(owner) {}
  void write(ByteView bytes) override {
    if (prefix_.size() < kTypePrefix)
      prefix_.append(as_chars(bytes.first(std::min(bytes.size(), kTypePrefix - prefix_.size()))));
    w_->write(bytes);
  }
  std::uint64_t size() const override { return w_->size(); }
  records::FileRecord finish() override {
    const store::StoredFile s = w_->commit();
    if (!s.error.empty()) {
      owner_.count_not_stored();
      if (owner_.log_once().first("files.store_failed"))
        spdlog::error(
            "extracted file not stored (its hashes are recorded; further ones are counted in "
            "files.not_stored): {}",
            s.error);
    }
    records::FileRecord r;
    r.sha256 = s.sha256;
    r.md5 = s.md5;
    r.size = s.size;
    r.mime = owner_.typer().mime(as_bytes(prefix_));
    return r;
  }

 private:
  std::unique_ptr<store::FileStore::Writer> w_;
  FileExtractor& owner_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<analyzers::FileWriter> FileExtractor::open() {
  return std::make_unique<ExtractedWriter>(store_.open(), *this);
}

}  // namespace kagami::recorder
