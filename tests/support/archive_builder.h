#pragma once

// Builds zip, tar and gzip files in memory for tests: fixtures made where the test can be
// read, with no tool and no file.

#include <cstdint>
#include <string>
#include <vector>

#include <zlib.h>

namespace kagami::test {

inline void put16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

// Raw deflate (zip method 8) or gzip (window bits 31).
inline std::string deflate_bytes(const std::string& in, int window_bits) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string gzip_bytes(const std::string& in) { return deflate_bytes(in, 31); }

class ZipBuilder {
 public:
  // `encrypted` sets the traditional-encryption flag (the data is then not readable).
  ZipBuilder& add(const std::string& name, const std::string& data, bool deflate = true,
                  bool encrypted = false) {
    const std::uint32_t crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const std::string body = deflate ? deflate_bytes(data, -15) : data;
    const unsigned flags = encrypted ? 1 : 0, method = deflate ? 8 : 0;
    const std::uint32_t offset = static_cast<std::uint32_t>(out_.size());
    put32(out_, 0x04034b50);
    put16(out_, 20);
    put16(out_, flags);
    put16(out_, method);
    put16(out_, 0);
    put16(out_, 0x21);
    put32(out_, crc);
    put32(out_, static_cast<std::uint32_t>(body.size()));
    put32(out_, static_cast<std::uint32_t>(data.size()));
    put16(out_, static_cast<unsigned>(name.size()));
    put16(out_, 0);
    out_ += name;
    out_ += body;
    put32(central_, 0x02014b50);
    put16(central_, 20);
    put16(central_, 20);
    put16(central_, flags);
    put16(central_, method);
    put16(central_, 0);
    put16(central_, 0x21);
    put32(central_, crc);
    put32(central_, static_cast<std::uint32_t>(body.size()));
    put32(central_, static_cast<std::uint32_t>(data.size()));
    put16(central_, static_cast<unsigned>(name.size()));
    put16(central_, 0);
    put16(central_, 0);
    put16(central_, 0);
    put16(central_, 0);
    put32(central_, 0);
    put32(central_, offset);
    central_ += name;
    ++entries_;
    return *this;
  }
  std::string build() const {
    std::string z = out_ + central_;
    put32(z, 0x06054b50);
    put16(z, 0);
    put16(z, 0);
    put16(z, entries_);
    put16(z, entries_);
    put32(z, static_cast<std::uint32_t>(central_.size()));
    put32(z, static_cast<std::uint32_t>(out_.size()));
    put16(z, 0);
    return z;
  }

 private:
  std::string out_, central_;
  unsigned entries_ = 0;
};

inline std::string tar_bytes(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string t;
  for (const auto& [name, data] : files) {
    std::string h(512, '\0');
    h.replace(0, name.size(), name);
    h.replace(100, 7, "0000644");
    h.replace(108, 7, "0000000");
    h.replace(116, 7, "0000000");
    char size[16];
    std::snprintf(size, sizeof size, "%011o", static_cast<unsigned>(data.size()));
    h.replace(124, 11, size);
    h.replace(136, 11, "00000000000");
    h[156] = '0';
    h.replace(257, 6, std::string("ustar\0", 6));
    h.replace(263, 2, "00");
    h.replace(148, 8, "        ");
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    char chk[8];
    std::snprintf(chk, sizeof chk, "%06o", sum);
    h.replace(148, 6, chk);
    h[154] = '\0';
    h[155] = ' ';
    t += h;
    t += data;
    t.append((512 - data.size() % 512) % 512, '\0');
  }
  t.append(1024, '\0');
  return t;
}

// An LHA archive (.lzh) of stored members ("-lh0-", level-0 headers), as old Japanese
// archivers wrote them.
inline std::string lzh_bytes(const std::vector<std::pair<std::string, std::string>>& files) {
  auto crc16 = [](const std::string& d) {  // CRC-16/ARC, as LHA uses it
    unsigned crc = 0;
    for (unsigned char c : d) {
      crc ^= c;
      for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return crc & 0xFFFF;
  };
  std::string out;
  for (const auto& [name, data] : files) {
    std::string h;
    h += "-lh0-";
    put32(h, static_cast<std::uint32_t>(data.size()));  // packed
    put32(h, static_cast<std::uint32_t>(data.size()));  // original
    put32(h, 0x5A210000);                               // an MS-DOS date and time
    h.push_back(0x20);                                  // attribute
    h.push_back(0);                                     // header level 0
    h.push_back(static_cast<char>(name.size()));
    h += name;
    put16(h, crc16(data));
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    out.push_back(static_cast<char>(h.size()));
    out.push_back(static_cast<char>(sum & 0xFF));
    out += h + data;
  }
  out.push_back('\0');
  return out;
}

// A Microsoft cabinet (.cab) of one stored member (no compression, no checksum).
inline std::string cab_bytes(const std::string& name, const std::string& data) {
  const std::uint32_t header = 36, folder = 8,
                      file = 16 + static_cast<std::uint32_t>(name.size()) + 1;
  const std::uint32_t data_at = header + folder + file;
  std::string c = "MSCF";
  put32(c, 0);
  put32(c, data_at + 8 + static_cast<std::uint32_t>(data.size()));  // the cabinet's size
  put32(c, 0);
  put32(c, header + folder);  // the first file entry
  put32(c, 0);
  c.push_back(3);  // version 1.3
  c.push_back(1);
  put16(c, 1);                                        // folders
  put16(c, 1);                                        // files
  put16(c, 0);                                        // flags
  put16(c, 0);                                        // set id
  put16(c, 0);                                        // cabinet number
  put32(c, data_at);                                  // folder: its data blocks start here
  put16(c, 1);                                        // one block
  put16(c, 0);                                        // stored
  put32(c, static_cast<std::uint32_t>(data.size()));  // file: size
  put32(c, 0);                                        // offset in the folder
  put16(c, 0);                                        // folder
  put16(c, 0x5A21);                                   // date
  put16(c, 0);                                        // time
  put16(c, 0x20);                                     // attributes
  c += name;
  c.push_back('\0');
  put32(c, 0);  // no checksum
  put16(c, static_cast<unsigned>(data.size()));
  put16(c, static_cast<unsigned>(data.size()));
  c += data;
  return c;
}

}  // namespace kagami::test
