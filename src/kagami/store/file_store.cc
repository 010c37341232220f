#include "kagami/store/file_store.h"

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

class ZstdWriter final : public FileStore::Writer {
 public:
  ZstdWriter(const FileStore& store, std::string tmp_path, std::FILE* f, int level)
      : store_(store), tmp_path_(std::move(tmp_path)), f_(f), cctx_(ZSTD_createCCtx()) {
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
    out_.resize(ZSTD_CStreamOutSize());
  }
  ~ZstdWriter() override {
    ZSTD_freeCCtx(cctx_);
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
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (in.pos < in.size) pump(in, ZSTD_e_continue);
  }

  std::uint64_t size() const override { return size_; }

  StoredFile commit() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (!failed_ && pump(in, ZSTD_e_end) != 0) {
    }
    if (std::fclose(f_) != 0) failed_ = true;
    f_ = nullptr;
    StoredFile s;
    s.sha256 = to_hex(sha_.finish());
    const Md5Digest md5 = md5_.finish();
    s.md5 = to_hex(ByteView(md5.data(), md5.size()));
    s.size = size_;
    if (failed_) {
      ::unlink(tmp_path_.c_str());
      s.error = "cannot write " + tmp_path_ + ": " + error_;
      return s;
    }
    const std::string dest = store_.path_of(s.sha256);
    struct stat st;
    if (::stat(dest.c_str(), &st) == 0) {
      ::unlink(tmp_path_.c_str());
      s.existed = true;
      return s;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dest).parent_path(), ec);
    if (::rename(tmp_path_.c_str(), dest.c_str()) != 0) {
      s.error = "cannot store " + dest + ": " + std::strerror(errno);
      ::unlink(tmp_path_.c_str());
    }
    return s;
  }

 private:
  std::size_t pump(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const std::size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(left)) {
      failed_ = true;
      error_ = ZSTD_getErrorName(left);
      in.pos = in.size;
      return 0;
    }
    if (out.pos > 0 && std::fwrite(out_.data(), 1, out.pos, f_) != out.pos) {
      failed_ = true;
      error_ = std::strerror(errno);
      in.pos = in.size;
      return 0;
    }
    return left;
  }

  const FileStore& store_;
  std::string tmp_path_;
  std::FILE* f_;
  ZSTD_CCtx* cctx_;
  std::vector<std::uint8_t> out_;
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
    : layout_(layout), options_(options) {
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
  const std::string path = tmp_dir(layout_) + "/" + std::to_string(::getpid()) + "-" +
                           std::to_string(next_tmp_.fetch_add(1, std::memory_order_relaxed));
  std::FILE* f = std::fopen(path.c_str(), "wbx");
  if (f == nullptr)
    return std::make_unique<FailedWriter>("cannot create " + path + ": " + std::strerror(errno));
  return std::make_unique<ZstdWriter>(*this, path, f, options_.zstd_level);
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
