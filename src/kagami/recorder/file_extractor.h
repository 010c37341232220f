#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "kagami/analyzers/context.h"
#include "kagami/base/log_once.h"
#include "kagami/content/file_typer.h"
#include "kagami/store/file_store.h"

namespace kagami::recorder {

// The analyzers' FileSink: objects go to the store's content-addressed files, typed by their
// first bytes. One per worker (the typer is not shareable); the store is shared.
class FileExtractor final : public analyzers::FileSink {
 public:
  FileExtractor(store::FileStore& store, LogOnce& log_once, std::atomic<std::uint64_t>& not_stored)
      : store_(store), log_once_(log_once), not_stored_(not_stored) {}
  std::unique_ptr<analyzers::FileWriter> open() override;

  content::FileTyper& typer() { return typer_; }
  LogOnce& log_once() { return log_once_; }
  // An object whose bytes found no room (or an I/O error): its hashes are still recorded.
  void count_not_stored() { not_stored_.fetch_add(1, std::memory_order_relaxed); }

 private:
  store::FileStore& store_;
  LogOnce& log_once_;
  std::atomic<std::uint64_t>& not_stored_;
  content::FileTyper typer_;
};

}  // namespace kagami::recorder
