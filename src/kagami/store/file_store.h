#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/memory_budget.h"
#include "kagami/base/result.h"
#include "kagami/store/store_layout.h"

namespace kagami::store {

struct StoredFile {
  std::string sha256;  // hex
  std::string md5;     // hex
  std::uint64_t size = 0;
  bool existed = false;  // the same bytes were stored before: nothing new was written
  std::string error;     // non-empty: the bytes were hashed but could not be stored
};

// Extracted objects, content-addressed: STORE/files/ab/cd/<sha256>, each compressed with
// zstd (the frame records the original size). The same bytes are stored once however often
// they are seen. Writers stream to a temporary file and are renamed into place, so a reader
// never sees half an object and a crash leaves only temporaries behind.
class FileStore {
 public:
  struct Options {
    int zstd_level = 1;  // fast: extraction must keep up with capture
    // What open writers hold together (blocks waiting for compression, small objects kept
    // whole) before each writes through: small frames straight to its file. Thousands of
    // transfers left open (cut captures, long downloads) then cost a few KiB each.
    std::size_t writer_memory_bytes = 64u << 20;
  };

  class Writer {
   public:
    virtual ~Writer() = default;
    virtual void write(ByteView bytes) = 0;
    virtual std::uint64_t size() const = 0;
    // Moves the object into place (or drops it if already stored). The hashes are always
    // there; `error` says if the bytes could not be kept.
    virtual StoredFile commit() = 0;
  };

  FileStore(const StoreLayout& layout, Options options);

  std::unique_ptr<Writer> open();
  // The object's original bytes, decompressed, written to `out`.
  Status read(const std::string& sha256, std::FILE* out) const;
  std::string path_of(const std::string& sha256) const;
  bool contains(const std::string& sha256) const;
  // Where bytes that wait to be parsed may spill (same file system as the objects).
  std::string spool_dir() const { return layout_.files_dir(); }
  // For writers: a fresh temporary name, and the object's directory made (once).
  std::string temp_path() const;
  bool ensure_dir(const std::string& sha256) const;
  // What open writers hold together; past its bound they write through.
  MemoryBudget& writer_memory() const { return writer_memory_; }

 private:
  StoreLayout layout_;
  Options options_;
  mutable MemoryBudget writer_memory_;
  mutable std::atomic<std::uint64_t> next_tmp_{0};  // temporary names, unique across workers
  mutable std::atomic<std::uint64_t> made_dirs_[1024] = {};  // one bit per ab/cd directory
};

}  // namespace kagami::store
