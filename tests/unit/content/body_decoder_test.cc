#include "kagami/content/body_decoder.h"

#include <string>

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

namespace kagami::content {
namespace {

struct Collect : ByteSink {
  std::string out;
  void write(ByteView b) override { out += std::string(as_chars(b)); }
};

std::string deflate(const std::string& in, int window_bits, bool finish = true) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(in.size() + 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, finish ? Z_FINISH : Z_SYNC_FLUSH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string gzip(const std::string& in) { return deflate(in, 15 + 16); }

struct Decoded {
  std::string out;
  BodyDecoder::State state;
  std::uint32_t oddities;
};
Decoded decode(const std::string& coding, const std::string& body) {
  DecodeLimits limits;
  auto d = BodyDecoder::create(coding, limits);
  if (!d) return {"(unknown)", BodyDecoder::State::kOk, 0};
  Collect c;
  // In small pieces: streams cross feed() calls.
  BodyDecoder::State st = BodyDecoder::State::kOk;
  for (std::size_t i = 0; i < body.size() && st == BodyDecoder::State::kOk; i += 7)
    st = d->feed(as_bytes(body).subspan(i, std::min<std::size_t>(7, body.size() - i)), c);
  if (st == BodyDecoder::State::kOk) st = d->finish(c);
  return {c.out, st, d->oddities()};
}

const std::string kText = [] {
  std::string t;
  for (int i = 0; i < 300; ++i) t += "line " + std::to_string(i) + " of the file\n";
  return t;
}();

TEST(BodyDecoder, UndoesWhatBrowsersUndo) {
  EXPECT_EQ(decode("gzip", gzip(kText)).out, kText);
  EXPECT_EQ(decode("x-gzip", gzip(kText)).out, kText);
  EXPECT_EQ(decode("deflate", deflate(kText, 15)).out, kText);
  EXPECT_EQ(decode("gzip, deflate", deflate(gzip(kText), 15)).out, kText);
  const Decoded plain = decode("gzip", gzip(kText));
  EXPECT_EQ(plain.state, BodyDecoder::State::kOk);
  EXPECT_EQ(plain.oddities, 0u);
  std::string z(ZSTD_compressBound(kText.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), kText.data(), kText.size(), 19));
  const Decoded zstd = decode("zstd", z);
  EXPECT_EQ(zstd.out, kText);
  EXPECT_EQ(zstd.state, BodyDecoder::State::kOk);
  EXPECT_EQ(decode("zstd", z.substr(0, z.size() / 2)).state, BodyDecoder::State::kError);
}

TEST(BodyDecoder, NotesWhatAPlainEncoderNeverWrites) {
  const Decoded raw = decode("deflate", deflate(kText, -15));
  EXPECT_EQ(raw.out, kText);
  EXPECT_EQ(raw.oddities, kOddRawDeflate);
  // No final block: browsers show what came; so does this, without an error.
  const Decoded unended = decode("deflate", deflate(kText, -15, false));
  EXPECT_EQ(unended.out, kText);
  EXPECT_EQ(unended.state, BodyDecoder::State::kOk);
  EXPECT_EQ(unended.oddities, kOddRawDeflate | kOddUnended);
  const std::string g = gzip(kText);
  const Decoded no_trailer = decode("gzip", g.substr(0, g.size() - 8));
  EXPECT_EQ(no_trailer.out, kText);
  EXPECT_EQ(no_trailer.oddities, kOddUnended);
  // A second member is dropped, as browsers drop it.
  const Decoded two = decode("gzip", gzip("first") + gzip("second"));
  EXPECT_EQ(two.out, "first");
  EXPECT_EQ(two.oddities, kOddAfterEnd);
  // FEXTRA, FNAME and FCOMMENT in the gzip header (FNAME alone is what gzip(1) writes).
  std::string fields = "\x1f\x8b\x08\x1c" + std::string(6, '\0') + std::string("\x02\x00xy", 4) +
                       "name.exe" + std::string(1, '\0') + "comment" + std::string(1, '\0');
  const std::string body = deflate(kText, -15);
  const std::string trailer = [&] {
    const uLong crc =
        crc32(0, reinterpret_cast<const Bytef*>(kText.data()), static_cast<uInt>(kText.size()));
    std::string t(8, '\0');
    for (int i = 0; i < 4; ++i) t[i] = static_cast<char>(crc >> (8 * i));
    for (int i = 0; i < 4; ++i) t[4 + i] = static_cast<char>(kText.size() >> (8 * i));
    return t;
  }();
  const Decoded header = decode("gzip", fields + body + trailer);
  EXPECT_EQ(header.out, kText);
  EXPECT_EQ(header.oddities, kOddGzipHeaderFields);
  std::string named = "\x1f\x8b\x08\x08" + std::string(6, '\0') + "name.txt" + std::string(1, '\0');
  EXPECT_EQ(decode("gzip", named + body + trailer).oddities, 0u);
}

TEST(BodyDecoder, LeavesAloneWhatBrowsersLeaveAlone) {
  // A coding browsers do not know, alone or in a list (identity among others included):
  // nothing is decoded, the body is kept as it came.
  EXPECT_EQ(decode("x-deflate", deflate(kText, 15)).out, "(unknown)");
  EXPECT_EQ(decode("identity, gzip", gzip(kText)).out, "(unknown)");
  EXPECT_EQ(decode("gzip, foo", gzip(kText)).out, "(unknown)");
}

}  // namespace
}  // namespace kagami::content
