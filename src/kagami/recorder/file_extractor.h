#pragma once

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
  FileExtractor(store::FileStore& store, LogOnce& log_once) : store_(store), log_once_(log_once) {}
  std::unique_ptr<analyzers::FileWriter> open() override;

  content::FileTyper& typer() { return typer_; }
  LogOnce& log_once() { return log_once_; }

 private:
  store::FileStore& store_;
  LogOnce& log_once_;
  content::FileTyper typer_;
};

}  // namespace kagami::recorder
