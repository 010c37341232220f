#include "kagami/store/file_store.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "kagami/base/md5.h"
#include "kagami/base/sha256.h"

namespace kagami::store {
namespace {

std::string tmp_dir(const StoreLayout& l) { return l.files_dir() + "/.tmp"; }

// One compression context and output buffer per thread: a context costs more memory (its
// window and tables, ~1 MiB) than most objects, so writers do not each keep one.
struct Compressor {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::vector<std::uint8_t> out;
  ~Compressor() { ZSTD_freeCCtx(cctx); }
};
thread_local Compressor t_compressor;

// Bytes are gathered in blocks of kBlockBytes, each compressed as its own zstd frame with the
// thread's context (a file of frames decompresses as their concatenation), so an open writer
// holds at most a block and its compressed output: thousands of concurrent transfers cost
// megabytes, not gigabytes. The compressed object stays in memory up to kMemoryBytes (most
// objects: web pages, images, mails) and is then written once, straight into its final
// directory as an unnamed file linked under its name when whole. Larger objects spill to a
// named temporary file, renamed into place at the end.
class ZstdWriter final : public FileStore::Writer {
 public:
  static constexpr std::size_t kBlockBytes = 64u << 10;
  static constexpr std::size_t kMemoryBytes = 64u << 10;
  // A block when the writers' memory is pressed: smaller frames (a little less compression)
  // and nothing kept whole in memory.
  static constexpr std::size_t kThroughBytes = 4u << 10;

  ZstdWriter(const FileStore& store, int level)
      : store_(store), level_(level), share_(&store.writer_memory()) {}
  ~ZstdWriter() override {
    if (f_ != nullptr) {
      std::fclose(f_);
      ::unlink(tmp_path_.c_str());
    }
  }

  void write(ByteView bytes) override {
    if (bytes.empty() || failed_) return;
    sha_.update(bytes);
    md5_.update(bytes);
    size_ += bytes.size();
    while (!bytes.empty() && !failed_) {
      const bool pressed = share_.pressed();
      const std::size_t limit = pressed ? kThroughBytes : kBlockBytes;
      if (block_.size() >= limit) {  // grown before the pressure came
        compress_block();
        continue;
      }
      // Doubling, not growing to fit: segments arrive a packet at a time, and growing by
      // each would copy the block over and over.
      if (block_.size() + bytes.size() > block_.capacity() && block_.capacity() < limit)
        block_.reserve(std::min(
            limit,
            std::max({block_.capacity() * 2, block_.size() + bytes.size(), std::size_t{4096}})));
      const std::size_t n = std::min(bytes.size(), limit - block_.size());
      block_.insert(block_.end(), bytes.data(), bytes.data() + n);
      bytes = bytes.subspan(n);
      if (block_.size() == limit) compress_block();
    }
    share_.set(block_.capacity() + mem_.capacity());
  }

  std::uint64_t size() const override { return size_; }

  StoredFile commit() override {
    if (!failed_ && (!block_.empty() || !frames_))
      compress_block();  // an empty object is one empty frame
    if (f_ != nullptr && std::fclose(f_) != 0) failed_ = true;
    f_ = nullptr;
    StoredFile s;
    s.sha256 = to_hex(sha_.finish());
    const Md5Digest md5 = md5_.finish();
    s.md5 = to_hex(ByteView(md5.data(), md5.size()));
    s.size = size_;
    const bool spilled = !tmp_path_.empty();
    if (failed_) {
      if (spilled) ::unlink(tmp_path_.c_str());
      s.error = "cannot write " + (spilled ? tmp_path_ : std::string("object")) + ": " + error_;
      return s;
    }
    const std::string dest = store_.path_of(s.sha256);
    struct stat st;
    if (::stat(dest.c_str(), &st) == 0) {
      if (spilled) ::unlink(tmp_path_.c_str());
      s.existed = true;
      return s;
    }
    if (!store_.ensure_dir(s.sha256)) {
      s.error = "cannot create the directory of " + dest + ": " + std::strerror(errno);
      if (spilled) ::unlink(tmp_path_.c_str());
      return s;
    }
    if (spilled) {
      if (::rename(tmp_path_.c_str(), dest.c_str()) != 0) {
        s.error = "cannot store " + dest + ": " + std::strerror(errno);
        ::unlink(tmp_path_.c_str());
      }
      return s;
    }
    if (auto e = publish(dest); !e.empty()) s.error = e;
    return s;
  }

 private:
  // Writes the in-memory object as `dest`, never visible half written.
  std::string publish(const std::string& dest) {
    const std::string dir = dest.substr(0, dest.rfind('/'));
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const bool ok = write_all(fd, mem_);
      const std::string proc = "/proc/self/fd/" + std::to_string(fd);
      const bool linked =
          ok && (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, dest.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
                 errno == EEXIST);  // another worker stored the same bytes first
      const int err = errno;
      ::close(fd);
      if (linked) return {};
      if (!ok || err != ENOENT) return "cannot store " + dest + ": " + std::strerror(err);
      // linkat through /proc needs /proc: fall through to a named temporary file.
    }
    const std::string tmp = store_.temp_path();
    const int t = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (t < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
    const bool ok = write_all(t, mem_);
    ::close(t);
    if (!ok || ::rename(tmp.c_str(), dest.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return "cannot store " + dest + ": " + std::strerror(err);
    }
    return {};
  }

  static bool write_all(int fd, const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  void compress_block() {
    Compressor& z = t_compressor;
    const std::size_t bound = ZSTD_compressBound(block_.size());
    if (z.out.size() < bound) z.out.resize(bound);
    ZSTD_CCtx_reset(z.cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, level_);
    ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_checksumFlag, 1);
    const std::size_t n =
        ZSTD_compress2(z.cctx, z.out.data(), z.out.size(), block_.data(), block_.size());
    block_.clear();
    // An idle writer (a transfer cut off, a slow download) keeps no full-size block.
    if (block_.capacity() > kThroughBytes && share_.pressed())
      std::vector<std::uint8_t>().swap(block_);
    ++frames_;
    if (ZSTD_isError(n)) {
      failed_ = true;
      error_ = ZSTD_getErrorName(n);
      return;
    }
    emit(z.out.data(), n);
  }

  void emit(const std::uint8_t* p, std::size_t n) {
    if (f_ == nullptr && mem_.size() + n <= kMemoryBytes) {
      if (!share_.pressed()) {
        mem_.insert(mem_.end(), p, p + n);
        return;
      }
      share_.count_pressed();
    }
    if (f_ == nullptr) {
      tmp_path_ = store_.temp_path();
      f_ = std::fopen(tmp_path_.c_str(), "wbx");
      // Whole frames are written: a stdio buffer per open object would only cost memory.
      if (f_ != nullptr) std::setvbuf(f_, nullptr, _IONBF, 0);
      if (f_ == nullptr ||
          (!mem_.empty() && std::fwrite(mem_.data(), 1, mem_.size(), f_) != mem_.size())) {
        failed_ = true;
        error_ = std::strerror(errno);
        return;
      }
      mem_ = {};
    }
    if (std::fwrite(p, 1, n, f_) != n) {
      failed_ = true;
      error_ = std::strerror(errno);
    }
  }

  const FileStore& store_;
  std::string tmp_path_;  // set once the object spilled to a file
  std::FILE* f_ = nullptr;
  int level_;
  std::vector<std::uint8_t> block_;  // bytes not compressed yet
  std::vector<std::uint8_t> mem_;    // compressed, while the object is small
  std::uint64_t frames_ = 0;
  MemoryBudget::Share share_;  // block_ and mem_, in the store's writer memory
  Sha256 sha_;
  Md5 md5_;
  std::uint64_t size_ = 0;
  bool failed_ = false;
  std::string error_;
};

// An object that could not get a temporary file: still hashed, so the sighting is recorded.
class FailedWriter final : public FileStore::Writer {
 public:
  explicit FailedWriter(std::string why) : why_(std::move(why)) {}
  void write(ByteView bytes) override {
    sha_.update(bytes);
    md5_.update(bytes);
    size_ += bytes.size();
  }
  std::uint64_t size() const override { return size_; }
  StoredFile commit() override {
    StoredFile s;
    s.sha256 = to_hex(sha_.finish());
    const Md5Digest md5 = md5_.finish();
    s.md5 = to_hex(ByteView(md5.data(), md5.size()));
    s.size = size_;
    s.error = why_;
    return s;
  }

 private:
  std::string why_;
  Sha256 sha_;
  Md5 md5_;
  std::uint64_t size_ = 0;
};

}  // namespace

FileStore::FileStore(const StoreLayout& layout, Options options)
    : layout_(layout), options_(options), writer_memory_(options.writer_memory_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir(layout_), ec);
}

std::string FileStore::path_of(const std::string& sha256) const {
  return layout_.files_dir() + "/" + sha256.substr(0, 2) + "/" + sha256.substr(2, 2) + "/" + sha256;
}

bool FileStore::contains(const std::string& sha256) const {
  struct stat st;
  return sha256.size() == 64 && ::stat(path_of(sha256).c_str(), &st) == 0;
}

std::unique_ptr<FileStore::Writer> FileStore::open() {
  return std::make_unique<ZstdWriter>(*this, options_.zstd_level);
}

std::string FileStore::temp_path() const {
  return tmp_dir(layout_) + "/" + std::to_string(::getpid()) + "-" +
         std::to_string(next_tmp_.fetch_add(1, std::memory_order_relaxed));
}

bool FileStore::ensure_dir(const std::string& sha256) const {
  // 65,536 directories at most (ab/cd): each is made once per process, then remembered.
  const unsigned index = static_cast<unsigned>(std::stoul(sha256.substr(0, 4), nullptr, 16));
  std::atomic<std::uint64_t>& word = made_dirs_[index / 64];
  const std::uint64_t bit = 1ull << (index % 64);
  if (word.load(std::memory_order_relaxed) & bit) return true;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_of(sha256)).parent_path(), ec);
  if (ec) {
    errno = ec.value();
    return false;
  }
  word.fetch_or(bit, std::memory_order_relaxed);
  return true;
}

Status FileStore::read(const std::string& sha256, std::FILE* out) const {
  if (sha256.size() != 64 || sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    return make_error("'{}' is not a SHA-256 (64 lower-case hex digits)", sha256);
  const std::string path = path_of(sha256);
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return make_error("no stored file {}", sha256);
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<std::uint8_t> ibuf(ZSTD_DStreamInSize()), obuf(ZSTD_DStreamOutSize());
  Sha256 check;
  Status status;
  std::size_t n;
  std::size_t last = 1;
  while ((n = std::fread(ibuf.data(), 1, ibuf.size(), in)) > 0 && status.ok()) {
    ZSTD_inBuffer zin{ibuf.data(), n, 0};
    while (zin.pos < zin.size) {
      ZSTD_outBuffer zout{obuf.data(), obuf.size(), 0};
      last = ZSTD_decompressStream(dctx, &zout, &zin);
      if (ZSTD_isError(last)) {
        status = make_error("stored file {} is damaged: {}", sha256, ZSTD_getErrorName(last));
        break;
      }
      check.update(ByteView(obuf.data(), zout.pos));
      if (std::fwrite(obuf.data(), 1, zout.pos, out) != zout.pos) {
        status = make_error("write failed: {}", std::strerror(errno));
        break;
      }
    }
  }
  ZSTD_freeDCtx(dctx);
  std::fclose(in);
  if (!status.ok()) return status;
  if (last != 0) return make_error("stored file {} is truncated", sha256);
  if (to_hex(check.finish()) != sha256)
    return make_error("stored file {} does not match its SHA-256", sha256);
  return {};
}

}  // namespace kagami::store
