#include "kagami/content/body_decoder.h"

#include <algorithm>
#include <cctype>

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include "kagami/base/ascii.h"

namespace kagami::content {
namespace {

constexpr std::size_t kOutChunk = 64u << 10;

// One coding's decompressor; output goes to the next stage.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual bool feed(ByteView in, ByteSink& out) = 0;  // false: format error
  virtual bool finish(ByteSink& out) = 0;             // false: truncated stream
  std::string error;
  std::uint32_t oddities = 0;  // CodingOddity bits
};

class ZlibStage final : public Stage {
 public:
  explicit ZlibStage(bool gzip) : gzip_(gzip) { init(gzip ? 15 + 32 : 15); }
  ~ZlibStage() override { inflateEnd(&z_); }

  bool feed(ByteView in, ByteSink& out) override {
    if (failed_) return false;
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    while (z_.avail_in > 0) {
      if (done_) {
        // Bytes after the end of the stream: another gzip member, or trailing garbage.
        // Browsers show the first member alone and drop the rest, and so does this (noted:
        // a scanner that reads every member sees other content than the user did).
        oddities |= kOddAfterEnd;
        return true;
      }
      z_.next_out = buf_;
      z_.avail_out = sizeof buf_;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const std::size_t produced = sizeof buf_ - z_.avail_out;
      if (header_.done == 1) {
        if (header_.extra != Z_NULL || header_.comment != Z_NULL || header_.hcrc)
          oddities |= kOddGzipHeaderFields;
        header_.done = 0;
      }
      if (produced) {
        out.write(ByteView(buf_, produced));
        any_output_ = true;
      }
      if (rc == Z_STREAM_END) {
        done_ = true;
        continue;
      }
      if (rc == Z_DATA_ERROR && !gzip_ && !any_output_ && !raw_) {
        // "deflate" sent without its zlib wrapper, as some servers do: retry raw.
        const Bytef* start = in.data();
        const uInt n = static_cast<uInt>(in.size());
        inflateEnd(&z_);
        raw_ = true;
        oddities |= kOddRawDeflate;
        init(-15);
        z_.next_in = const_cast<Bytef*>(start);
        z_.avail_in = n;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error = z_.msg ? z_.msg : "inflate failed";
        failed_ = true;
        return false;
      }
      if (rc == Z_BUF_ERROR && produced == 0) break;
    }
    return true;
  }
  bool finish(ByteSink& out) override {
    (void)out;
    if (failed_) return false;
    if (!done_ && any_output_) {
      // No final block or no gzip trailer: browsers show what came, and so does this.
      oddities |= kOddUnended;
      return true;
    }
    if (!done_) error = "compressed stream ends early";
    return done_;
  }

 private:
  void init(int window_bits) {
    z_ = z_stream{};
    inflateInit2(&z_, window_bits);
    if (gzip_) watch_header();
  }
  // zlib reports a gzip header's optional parts only into buffers it is given; their
  // contents do not matter here, only whether they were there.
  void watch_header() {
    header_ = gz_header{};
    header_.extra = header_bytes_;
    header_.extra_max = sizeof header_bytes_;
    header_.name = header_bytes_;
    header_.name_max = sizeof header_bytes_;
    header_.comment = header_bytes_;
    header_.comm_max = sizeof header_bytes_;
    inflateGetHeader(&z_, &header_);
  }
  gz_header header_{};
  Bytef header_bytes_[256];
  z_stream z_{};
  Bytef buf_[kOutChunk];
  bool gzip_;
  bool raw_ = false;
  bool done_ = false;
  bool failed_ = false;
  bool any_output_ = false;
};

class BrotliStage final : public Stage {
 public:
  BrotliStage() : s_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliStage() override { BrotliDecoderDestroyInstance(s_); }

  bool feed(ByteView in, ByteSink& out) override {
    if (failed_) return false;
    std::size_t avail_in = in.size();
    const std::uint8_t* next_in = in.data();
    for (;;) {
      std::size_t avail_out = sizeof buf_;
      std::uint8_t* next_out = buf_;
      const BrotliDecoderResult r =
          BrotliDecoderDecompressStream(s_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      if (next_out != buf_) out.write(ByteView(buf_, static_cast<std::size_t>(next_out - buf_)));
      if (r == BROTLI_DECODER_RESULT_ERROR) {
        error = BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s_));
        failed_ = true;
        return false;
      }
      if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        done_ = true;
        return true;
      }
      if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return true;
      // NEEDS_MORE_OUTPUT: loop with a fresh buffer.
    }
  }
  bool finish(ByteSink& out) override {
    (void)out;
    if (failed_) return false;
    if (!done_) error = "brotli stream ends early";
    return done_;
  }

 private:
  BrotliDecoderState* s_;
  std::uint8_t buf_[kOutChunk];
  bool done_ = false;
  bool failed_ = false;
};

class ZstdStage final : public Stage {
 public:
  ZstdStage() : d_(ZSTD_createDStream()) {
    // Browsers decode zstd frames with windows up to 8 MiB (RFC 8878's recommendation for
    // HTTP); larger ones are refused there and here, which also bounds the memory.
    ZSTD_DCtx_setParameter(d_, ZSTD_d_windowLogMax, 23);
  }
  ~ZstdStage() override { ZSTD_freeDStream(d_); }

  bool feed(ByteView in, ByteSink& out) override {
    if (failed_) return false;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{buf_, sizeof buf_, 0};
      const std::size_t rc = ZSTD_decompressStream(d_, &output, &input);
      if (ZSTD_isError(rc)) {
        error = ZSTD_getErrorName(rc);
        failed_ = true;
        return false;
      }
      if (output.pos) out.write(ByteView(buf_, output.pos));
      ended_ = rc == 0;
    }
    // Output may still be held inside after the input is used up.
    for (bool more = true; more;) {
      ZSTD_outBuffer output{buf_, sizeof buf_, 0};
      const std::size_t rc = ZSTD_decompressStream(d_, &output, &input);
      if (ZSTD_isError(rc)) break;
      if (output.pos) out.write(ByteView(buf_, output.pos));
      more = output.pos == sizeof buf_;
    }
    return true;
  }
  bool finish(ByteSink& out) override {
    (void)out;
    if (failed_) return false;
    if (!ended_) error = "zstd stream ends early";
    return ended_;
  }

 private:
  ZSTD_DStream* d_;
  std::uint8_t buf_[kOutChunk];
  bool ended_ = false;
  bool failed_ = false;
};

// Feeds one stage's output into the next.
class StageSink final : public ByteSink {
 public:
  StageSink(Stage& next, ByteSink& out) : next_(next), out_(out) {}
  void write(ByteView bytes) override {
    if (ok) ok = next_.feed(bytes, out_);
  }
  bool ok = true;

 private:
  Stage& next_;
  ByteSink& out_;
};

// Counts what reaches the caller and enforces the limits.
class LimitSink final : public ByteSink {
 public:
  LimitSink(const DecodeLimits& limits, ByteSink& out) : limits_(limits), out_(out) {}
  void write(ByteView bytes) override {
    if (over) return;
    std::size_t take = bytes.size();
    if (produced + take > limits_.max_output_bytes) {
      take = static_cast<std::size_t>(limits_.max_output_bytes - produced);
      over = true;
    }
    if (produced + take > limits_.ratio_grace_bytes &&
        produced + take > consumed * limits_.max_ratio) {
      over = true;
      take = 0;
    }
    if (take) out_.write(bytes.first(take));
    produced += take;
  }
  std::uint64_t consumed = 0, produced = 0;
  bool over = false;

 private:
  const DecodeLimits& limits_;
  ByteSink& out_;
};

class ChainDecoder final : public BodyDecoder {
 public:
  ChainDecoder(std::vector<std::unique_ptr<Stage>> stages, const DecodeLimits& limits)
      : stages_(std::move(stages)), limits_(limits) {}

  State feed(ByteView in, ByteSink& out) override {
    if (state_ != State::kOk) return state_;
    LimitSink limit(limits_, out);
    limit.consumed = consumed_ + in.size();
    limit.produced = produced_;
    run(in, limit, false);
    consumed_ += in.size();
    produced_ = limit.produced;
    if (limit.over) state_ = State::kLimit;
    return state_;
  }

  State finish(ByteSink& out) override {
    if (state_ != State::kOk) return state_;
    LimitSink limit(limits_, out);
    limit.consumed = consumed_;
    limit.produced = produced_;
    run({}, limit, true);
    produced_ = limit.produced;
    if (limit.over) state_ = State::kLimit;
    return state_;
  }

  std::uint64_t output_bytes() const override { return produced_; }
  std::uint32_t oddities() const override {
    std::uint32_t o = 0;
    for (const auto& st : stages_) o |= st->oddities;
    return o;
  }
  std::string error() const override { return error_; }

 private:
  // Codings apply in the order listed, so they are undone from the last one back.
  void run(ByteView in, ByteSink& out, bool finishing) {
    std::vector<std::unique_ptr<StageSink>> sinks;
    ByteSink* next = &out;
    for (std::size_t i = 0; i + 1 < stages_.size(); ++i) {
      sinks.push_back(std::make_unique<StageSink>(*stages_[i], *next));
      next = sinks.back().get();
    }
    Stage& first = *stages_.back();
    bool ok = finishing ? true : first.feed(in, *next);
    if (finishing) {
      ok = first.finish(*next);
      for (std::size_t i = stages_.size() - 1; ok && i-- > 0;) {
        ByteSink* dst = i == 0 ? &out : sinks[i - 1].get();
        ok = stages_[i]->finish(*dst);
      }
    }
    for (const auto& s : sinks) ok = ok && s->ok;
    if (!ok) {
      state_ = State::kError;
      for (const auto& st : stages_)
        if (!st->error.empty()) error_ = st->error;
    }
  }

  std::vector<std::unique_ptr<Stage>> stages_;  // stages_[0] is the first coding applied
  const DecodeLimits& limits_;
  std::uint64_t consumed_ = 0, produced_ = 0;
  State state_ = State::kOk;
  std::string error_;
};

}  // namespace

std::vector<std::string> parse_content_codings(std::string_view header) {
  std::vector<std::string> out;
  std::string cur;
  auto push = [&]() {
    std::string t;
    for (char c : cur)
      if (c != ' ' && c != '\t')
        t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!t.empty() && t != "identity") out.push_back(t);
    cur.clear();
  };
  for (char c : header) {
    if (c == ',') {
      push();
    } else {
      cur += c;
    }
  }
  push();
  return out;
}

std::unique_ptr<BodyDecoder> BodyDecoder::create(std::string_view content_encoding,
                                                 const DecodeLimits& limits) {
  std::vector<std::unique_ptr<Stage>> stages;
  const auto codings = parse_content_codings(content_encoding);
  // "identity" in a list of codings is not one browsers know: they decode nothing then.
  const auto members = list_members(content_encoding);
  if (!codings.empty() && std::any_of(members.begin(), members.end(),
                                      [](std::string_view m) { return iequals(m, "identity"); }))
    return nullptr;
  for (const std::string& c : codings) {
    if (c == "gzip" || c == "x-gzip") {
      stages.push_back(std::make_unique<ZlibStage>(true));
    } else if (c == "deflate") {
      stages.push_back(std::make_unique<ZlibStage>(false));
    } else if (c == "br") {
      stages.push_back(std::make_unique<BrotliStage>());
    } else if (c == "zstd") {
      stages.push_back(std::make_unique<ZstdStage>());
    } else {
      return nullptr;
    }
  }
  if (stages.empty()) return nullptr;
  return std::make_unique<ChainDecoder>(std::move(stages), limits);
}

}  // namespace kagami::content
