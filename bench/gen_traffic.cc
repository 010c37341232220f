// Writes a deterministic capture of mixed TCP traffic for benchmarks: many concurrent
// connections (web, TLS, mail, SSH, database ports) with handshakes, request/response
// exchanges of heavy-tailed sizes segmented at 1460 bytes, delayed ACKs, a little
// retransmission and reordering, and FIN teardown; Ethernet framing, nanosecond pcap.
//
// With --apps, connections speak real protocols instead of noise, for the analyzers: HTTP/1.1
// (downloads with Content-Length or chunked, multipart uploads, keep-alive) and SMTP (EHLO,
// MAIL, RCPT, DATA with a MIME message carrying a base64 attachment, QUIT).
//
//   gen_traffic --bytes 1100000000 --out mixed.pcap [--seed 1] [--concurrency 2000] [--apps]
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/capture/pcap_writer.h"

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint32_t kMss = 1460;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr std::uint16_t kPorts[] = {80, 443, 443, 443, 25, 22, 8080, 3306, 993, 21};

// Payload bytes come from one random buffer (mostly incompressible) with text headers on top.
std::vector<std::uint8_t> g_noise;

struct Endpoint {
  std::uint32_t ip;
  std::uint16_t port;
  std::uint64_t mac;
};

void put_frame(Bytes& f, const Endpoint& src, const Endpoint& dst, std::uint32_t seq,
               std::uint32_t ack, std::uint8_t flags, const std::uint8_t* payload,
               std::uint32_t len) {
  f.clear();
  f.resize(14 + 20 + 20 + len);
  std::uint8_t* p = f.data();
  for (int i = 0; i < 6; ++i) p[i] = static_cast<std::uint8_t>(dst.mac >> (40 - 8 * i));
  for (int i = 0; i < 6; ++i) p[6 + i] = static_cast<std::uint8_t>(src.mac >> (40 - 8 * i));
  p[12] = 0x08;
  p[13] = 0x00;
  std::uint8_t* ip = p + 14;
  ip[0] = 0x45;
  kagami::store_be16(ip + 2, static_cast<std::uint16_t>(40 + len));
  ip[8] = 64;
  ip[9] = 6;
  kagami::store_be32(ip + 12, src.ip);
  kagami::store_be32(ip + 16, dst.ip);
  std::uint8_t* t = ip + 20;
  kagami::store_be16(t, src.port);
  kagami::store_be16(t + 2, dst.port);
  kagami::store_be32(t + 4, seq);
  kagami::store_be32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  kagami::store_be16(t + 14, 65535);
  if (len) std::memcpy(t + 20, payload, len);
}

bool g_apps = false;

std::string noise(std::mt19937_64& rng, std::size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    const std::size_t take = std::min<std::size_t>(n - out.size(), g_noise.size() / 2);
    const std::size_t off = rng() % (g_noise.size() - take);
    out.append(reinterpret_cast<const char*>(g_noise.data() + off), take);
  }
  return out;
}

// Text to slice web pages, scripts and JSON from: words, markup and punctuation.
std::string g_text;

std::string text_slice(std::mt19937_64& rng, std::size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    const std::size_t take = std::min<std::size_t>(n - out.size(), g_text.size() / 2);
    out.append(g_text, rng() % (g_text.size() - take), take);
  }
  return out;
}

// A web object of about `n` bytes with the mix of types web traffic has: HTML, scripts and
// style sheets, JSON, JPEG and PNG images, compressed archives, opaque binaries.
std::string web_object(std::mt19937_64& rng, std::size_t n) {
  const std::uint64_t r = rng() % 100;
  if (r < 30)
    return "<!DOCTYPE html>\n<html><head><title>page</title></head><body>\n" + text_slice(rng, n) +
           "\n</body></html>\n";
  if (r < 45)
    return "function f" + std::to_string(rng() % 1000) + "() {\n" + text_slice(rng, n) + "\n}\n";
  if (r < 55) return "{\"items\": [\"" + text_slice(rng, n) + "\"]}\n";
  if (r < 80)
    return std::string("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20) +
           noise(rng, n);
  if (r < 85) return std::string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16) + noise(rng, n);
  if (r < 95) return std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + noise(rng, n);
  return noise(rng, n);
}

std::string base64_lines(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 38 + 8);
  std::size_t col = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16 |
                            (i + 1 < in.size() ? static_cast<std::uint8_t>(in[i + 1]) << 8 : 0) |
                            (i + 2 < in.size() ? static_cast<std::uint8_t>(in[i + 2]) : 0);
    out += k[n >> 18 & 63];
    out += k[n >> 12 & 63];
    out += i + 1 < in.size() ? k[n >> 6 & 63] : '=';
    out += i + 2 < in.size() ? k[n & 63] : '=';
    if ((col += 4) >= 76) {
      out += "\r\n";
      col = 0;
    }
  }
  return out + "\r\n";
}

// Heavy-tailed object sizes, as web and mail have them.
std::size_t object_size(std::mt19937_64& rng) {
  const std::uint64_t r = rng() % 1000;
  if (r < 600) return 200 + rng() % 4000;
  if (r < 900) return 4096 + rng() % 60000;
  if (r < 990) return 65536 + rng() % 1000000;
  return 1000000 + rng() % 9000000;
}

// One side's turn to speak in an application conversation.
struct Turn {
  bool from_client;
  std::string bytes;
};

std::vector<Turn> http_conversation(std::mt19937_64& rng, std::uint64_t serial) {
  std::vector<Turn> turns;
  const int exchanges = 1 + static_cast<int>(rng() % 4);
  const std::string host = "www.site" + std::to_string(serial % 5000) + ".example";
  for (int e = 0; e < exchanges; ++e) {
    const std::string path = "/files/" + std::to_string(rng() % 100000) + ".bin";
    if (rng() % 10 == 0) {
      const std::string body = noise(rng, 1000 + rng() % 200000);
      const std::string part =
          "--bnd\r\nContent-Disposition: form-data; name=\"file\"; "
          "filename=\"upload.bin\"\r\nContent-Type: "
          "application/octet-stream\r\n\r\n" +
          body + "\r\n--bnd--\r\n";
      turns.push_back({true, "POST /upload HTTP/1.1\r\nHost: " + host +
                                 "\r\nUser-Agent: bench/1.0\r\nContent-Type: multipart/form-data; "
                                 "boundary=bnd\r\nContent-Length: " +
                                 std::to_string(part.size()) + "\r\n\r\n" + part});
      turns.push_back({false, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"});
      continue;
    }
    turns.push_back({true, "GET " + path + " HTTP/1.1\r\nHost: " + host +
                               "\r\nUser-Agent: Mozilla/5.0 (bench)\r\nAccept: */*\r\n"
                               "Referer: http://" +
                               host + "/\r\n\r\n"});
    const std::string body = web_object(rng, object_size(rng));
    if (rng() % 4 == 0) {
      std::string chunked;
      for (std::size_t off = 0; off < body.size(); off += 8192) {
        const std::size_t n = std::min<std::size_t>(8192, body.size() - off);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        chunked += size + body.substr(off, n) + "\r\n";
      }
      turns.push_back({false,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" +
                           chunked + "0\r\n\r\n"});
    } else {
      turns.push_back({false,
                       "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                       "Content-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body});
    }
  }
  return turns;
}

std::vector<Turn> smtp_conversation(std::mt19937_64& rng, std::uint64_t serial) {
  const std::string n = std::to_string(serial);
  const std::string attachment = base64_lines(web_object(rng, object_size(rng) / 2 + 100));
  const std::string message =
      "From: user" + n + " <user" + n +
      "@corp.example>\r\nTo: partner@other.example\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?= " +
      n +
      "\r\n"
      "Message-ID: <" +
      n +
      "@corp.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nPlease find the file attached.\r\n"
      "--b\r\nContent-Type: application/octet-stream; name=report" +
      n +
      ".bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      attachment + "--b--\r\n";
  return {{false, "220 mx.other.example ESMTP\r\n"},
          {true, "EHLO client" + n + ".corp.example\r\n"},
          {false, "250-mx.other.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"},
          {true, "MAIL FROM:<user" + n +
                     "@corp.example>\r\nRCPT TO:<partner@other.example>\r\n"
                     "DATA\r\n"},
          {false, "250 ok\r\n250 ok\r\n354 go ahead\r\n"},
          {true, message + ".\r\n"},
          {false, "250 queued\r\n"},
          {true, "QUIT\r\n"},
          {false, "221 bye\r\n"}};
}

class Connection {
 public:
  Connection(std::mt19937_64& rng, std::uint64_t serial) {
    client_.ip = 0x0a000000u | static_cast<std::uint32_t>(rng() % 50000 + 256);
    client_.port = static_cast<std::uint16_t>(32768 + serial % 28000);
    client_.mac = 0x020000000000ull | client_.ip;
    server_.ip = 0xc6120000u | static_cast<std::uint32_t>(rng() % 400 + 1);
    server_.port = kPorts[rng() % std::size(kPorts)];
    if (g_apps) {
      server_.port = rng() % 10 < 7 ? 80 : 25;
      turns_ = server_.port == 80 ? http_conversation(rng, serial) : smtp_conversation(rng, serial);
    }
    server_.mac = 0x02ff00000000ull | server_.ip;
    cseq_ = static_cast<std::uint32_t>(rng());
    sseq_ = static_cast<std::uint32_t>(rng());
    exchanges_ = 1 + static_cast<int>(rng() % 4);
    next_exchange(rng);
  }

  bool done() const { return state_ == kDone; }

  // Appends this connection's next few packets.
  void emit(std::mt19937_64& rng, std::vector<Bytes>& out) {
    auto frame = [&](bool from_client, std::uint8_t flags, const std::uint8_t* pl,
                     std::uint32_t len) {
      out.emplace_back();
      if (from_client) {
        // A pure SYN acknowledges nothing (RFC 9293: ACK flag clear, field zero).
        put_frame(out.back(), client_, server_, cseq_, (flags & kAck) ? sseq_ : 0, flags, pl, len);
        cseq_ += len + ((flags & (kSyn | kFin)) ? 1 : 0);
      } else {
        put_frame(out.back(), server_, client_, sseq_, cseq_, flags, pl, len);
        sseq_ += len + ((flags & (kSyn | kFin)) ? 1 : 0);
      }
    };
    switch (state_) {
      case kSyn:
        frame(true, kSyn, nullptr, 0);
        frame(false, kSyn | kAck, nullptr, 0);
        frame(true, kAck, nullptr, 0);
        state_ = kRequest;
        return;
      case kRequest:
      case kResponse: {
        if (g_apps) {
          // The current turn's bytes, two segments at a time, then the other side's ACK.
          Turn& turn = turns_[turn_];
          for (int i = 0; i < 2 && turn_off_ < turn.bytes.size(); ++i) {
            const std::uint32_t len = static_cast<std::uint32_t>(
                std::min<std::size_t>(kMss, turn.bytes.size() - turn_off_));
            frame(turn.from_client, kAck | kPsh,
                  reinterpret_cast<const std::uint8_t*>(turn.bytes.data()) + turn_off_, len);
            turn_off_ += len;
          }
          frame(!turn.from_client, kAck, nullptr, 0);
          if (turn_off_ == turn.bytes.size()) {
            turn_off_ = 0;
            if (++turn_ == turns_.size()) state_ = kClose;
          }
          return;
        }
        const bool from_client = state_ == kRequest;
        std::uint64_t& left = from_client ? request_left_ : response_left_;
        for (int i = 0; i < 2 && left > 0; ++i) {
          const std::uint32_t len = static_cast<std::uint32_t>(left < kMss ? left : kMss);
          const std::size_t off = rng() % (g_noise.size() - kMss);
          frame(from_client, kAck | (left == len ? kPsh : 0), g_noise.data() + off, len);
          left -= len;
          if (rng() % 200 == 0) {  // a retransmission of that segment
            Bytes copy = out.back();
            out.push_back(std::move(copy));
          } else if (rng() % 200 == 0 && out.size() >= 2) {  // reordered with the previous one
            std::swap(out[out.size() - 1], out[out.size() - 2]);
          }
        }
        frame(!from_client, kAck, nullptr, 0);  // delayed ACK for every two segments
        if (left == 0) {
          if (from_client) {
            state_ = kResponse;
          } else if (--exchanges_ > 0) {
            next_exchange(rng);
            state_ = kRequest;
          } else {
            state_ = kClose;
          }
        }
        return;
      }
      case kClose:
        frame(true, kFin | kAck, nullptr, 0);
        frame(false, kFin | kAck, nullptr, 0);
        frame(true, kAck, nullptr, 0);
        state_ = kDone;
        return;
      case kDone:
        return;
    }
  }

 private:
  enum State { kSyn, kRequest, kResponse, kClose, kDone };
  void next_exchange(std::mt19937_64& rng) {
    request_left_ = 80 + rng() % 1400;
    const std::uint64_t r = rng() % 1000;
    if (r < 600) {
      response_left_ = 200 + rng() % 4000;
    } else if (r < 900) {
      response_left_ = 4096 + rng() % 60000;
    } else if (r < 990) {
      response_left_ = 65536 + rng() % 1000000;
    } else {
      response_left_ = 1000000 + rng() % 19000000;
    }
  }
  Endpoint client_{}, server_{};
  std::vector<Turn> turns_;
  std::size_t turn_ = 0, turn_off_ = 0;
  std::uint32_t cseq_ = 0, sseq_ = 0;
  int exchanges_ = 1;
  std::uint64_t request_left_ = 0, response_left_ = 0;
  State state_ = kSyn;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t target = 1ull << 30;
  std::string out = "mixed.pcap";
  std::uint64_t seed = 1;
  std::size_t concurrency = 2000;
  for (int i = 1; i < argc; i += 2) {
    if (std::string(argv[i]) == "--apps") {
      g_apps = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) break;
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--bytes")
      target = std::stoull(v);
    else if (k == "--out")
      out = v;
    else if (k == "--seed")
      seed = std::stoull(v);
    else if (k == "--concurrency")
      concurrency = std::stoull(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::mt19937_64 rng(seed);
  g_noise.resize(1 << 22);
  for (auto& b : g_noise) b = static_cast<std::uint8_t>(rng());
  static const char* const kWords[] = {"the ",     "data ",    "<div class=\"item\">",
                                       "</div>\n", "var x = ", "; ",
                                       "return ",  "network ", "forensics ",
                                       "request ", "42",       "\n",
                                       "<p>",      "</p>",     "{",
                                       "}",        ": ",       "\"value\", ",
                                       "kagami ",  "traffic "};
  while (g_text.size() < (1u << 22)) g_text += kWords[rng() % std::size(kWords)];
  auto writer = kagami::capture::PcapWriter::create(out, 1, 65535, 4u << 20, true);
  if (!writer) {
    std::fprintf(stderr, "%s\n", writer.error().message.c_str());
    return 1;
  }
  std::vector<Connection> live;
  std::uint64_t serial = 0;
  for (std::size_t i = 0; i < concurrency; ++i) live.emplace_back(rng, serial++);
  kagami::TimeNs t = 1'800'000'000ll * 1'000'000'000ll;
  std::vector<Bytes> frames;
  std::uint64_t packets = 0, connections = concurrency;
  while (writer.value()->size() < target) {
    const std::size_t i = rng() % live.size();
    frames.clear();
    live[i].emit(rng, frames);
    for (const Bytes& f : frames) {
      t += 2000 + static_cast<kagami::TimeNs>(rng() % 6000);
      (void)writer.value()->write(t, kagami::ByteView(f.data(), f.size()),
                                  static_cast<std::uint32_t>(f.size()));
      ++packets;
    }
    if (live[i].done()) {
      live[i] = Connection(rng, serial++);
      ++connections;
    }
  }
  const auto size = writer.value()->size();
  if (auto s = writer.value()->close(); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("%s: %llu packets, %llu bytes, %llu connections started\n", out.c_str(),
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(size),
              static_cast<unsigned long long>(connections));
  return 0;
}
