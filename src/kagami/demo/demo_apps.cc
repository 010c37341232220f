// The demo's web applications of today, at apps.kagami-demo.test: an HTTP/2 API (nghttp2 on
// both ends) and a WebSocket chat (HTTP/1.1 Upgrade), each one TLS server chosen by ALPN, and
// the clients that use them through the proxy.
#include "kagami/demo/demo_apps.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include <nghttp2/nghttp2.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include "kagami/base/base64.h"

namespace kagami::demo {
namespace {

bool write_all(SSL* ssl, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const int n = SSL_write(ssl, data, static_cast<int>(std::min<std::size_t>(size, 1u << 20)));
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
bool write_all(SSL* ssl, const std::string& s) {
  return write_all(ssl, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

nghttp2_nv nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

// A body served from a string (nghttp2's data provider reads it piece by piece).
struct Body {
  std::string bytes;
  std::size_t offset = 0;
};
ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                  std::uint32_t* flags, nghttp2_data_source* source, void*) {
  auto* b = static_cast<Body*>(source->ptr);
  const std::size_t n = std::min(length, b->bytes.size() - b->offset);
  std::memcpy(buf, b->bytes.data() + b->offset, n);
  b->offset += n;
  if (b->offset == b->bytes.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// Runs a session over TLS until it has nothing more to say or to hear (or `done`).
template <class Done>
bool pump(nghttp2_session* s, SSL* ssl, Done done) {
  for (;;) {
    const std::uint8_t* out = nullptr;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &out)) > 0)
      if (!write_all(ssl, out, static_cast<std::size_t>(n))) return false;
    if (n < 0) return false;
    if (done() || (!nghttp2_session_want_read(s) && !nghttp2_session_want_write(s))) return true;
    std::uint8_t in[16384];
    const int got = SSL_read(ssl, in, sizeof in);
    if (got <= 0) return done();
    if (nghttp2_session_mem_recv(s, in, static_cast<std::size_t>(got)) < 0) return false;
  }
}

// --- the HTTP/2 API ---

struct ServerStream {
  std::string method, path, body;
  Body response;
};
struct H2Server {
  std::map<std::int32_t, ServerStream> streams;
};

int server_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                  std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                  std::uint8_t, void* user) {
  auto* srv = static_cast<H2Server*>(user);
  ServerStream& st = srv->streams[frame->hd.stream_id];
  const std::string n(reinterpret_cast<const char*>(name), namelen);
  const std::string v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method") st.method = v;
  if (n == ":path") st.path = v;
  return 0;
}
int server_data(nghttp2_session*, std::uint8_t, std::int32_t stream, const std::uint8_t* data,
                std::size_t len, void* user) {
  auto& body = static_cast<H2Server*>(user)->streams[stream].body;
  if (body.size() < (16u << 20)) body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}
int server_frame(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
  const bool request_done = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
  if (!request_done) return 0;
  auto* srv = static_cast<H2Server*>(user);
  ServerStream& st = srv->streams[frame->hd.stream_id];
  std::string type = "application/json";
  if (st.method == "POST")
    st.response.bytes = "{\"stored\":" + std::to_string(st.body.size()) + "}\n";
  else if (st.path == "/api/notices")
    st.response.bytes =
        "{\"notices\":[\"四半期決算の説明会は金曜日です\",\"The VPN will be down on Sunday\"]}\n";
  else
    st.response.bytes = "{\"error\":\"not found\"}\n";
  const std::string status = st.path == "/api/notices" || st.method == "POST" ? "200" : "404";
  const std::string ct = "content-type", st_name = ":status", server = "server",
                    server_value = "kagami-demo-h2";
  const nghttp2_nv headers[] = {nv(st_name, status), nv(ct, type), nv(server, server_value)};
  nghttp2_data_provider provider{};
  provider.source.ptr = &st.response;
  provider.read_callback = read_body;
  nghttp2_submit_response(s, frame->hd.stream_id, headers, 3, &provider);
  return 0;
}

void serve_h2(SSL* ssl) {
  H2Server srv;
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, server_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, server_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, server_frame);
  nghttp2_session* s = nullptr;
  nghttp2_session_server_new(&s, cb, &srv);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, settings, 1);
  pump(s, ssl, [] { return false; });
  nghttp2_session_del(s);
}

// --- the WebSocket chat (RFC 6455 over HTTP/1.1) ---

std::string accept_key(const std::string& key) {
  const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  return base64_encode(std::string(reinterpret_cast<char*>(digest), sizeof digest));
}

std::string ws_frame(std::uint8_t opcode, const std::string& payload, bool masked) {
  std::string f(1, static_cast<char>(0x80 | opcode));
  const char m = masked ? static_cast<char>(0x80) : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(m | static_cast<char>(payload.size()));
  } else {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  }
  std::string p = payload;
  if (masked) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    char key[4];
    for (char& k : key) k = static_cast<char>(rng());
    f.append(key, 4);
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>(p[i] ^ key[i & 3]);
  }
  return f + p;
}

// Reads bytes until `buf` holds `n`; false at the end of the connection.
bool fill(SSL* ssl, std::string& buf, std::size_t n) {
  while (buf.size() < n) {
    char in[4096];
    const int got = SSL_read(ssl, in, sizeof in);
    if (got <= 0) return false;
    buf.append(in, static_cast<std::size_t>(got));
  }
  return true;
}

// One frame (payloads up to 64 KiB are all the demo sends): opcode and unmasked payload.
bool read_ws_frame(SSL* ssl, std::string& buf, std::uint8_t& opcode, std::string& payload) {
  if (!fill(ssl, buf, 2)) return false;
  opcode = static_cast<std::uint8_t>(buf[0]) & 0x0f;
  const bool masked = static_cast<std::uint8_t>(buf[1]) & 0x80;
  std::size_t len = static_cast<std::uint8_t>(buf[1]) & 0x7f, head = 2;
  if (len == 126) {
    if (!fill(ssl, buf, 4)) return false;
    len = (static_cast<std::uint8_t>(buf[2]) << 8) | static_cast<std::uint8_t>(buf[3]);
    head = 4;
  } else if (len == 127) {
    return false;
  }
  const std::size_t key_at = head;
  if (masked) head += 4;
  if (!fill(ssl, buf, head + len)) return false;
  payload = buf.substr(head, len);
  if (masked)
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<char>(payload[i] ^ buf[key_at + (i & 3)]);
  buf.erase(0, head + len);
  return true;
}

void serve_chat(SSL* ssl) {
  std::string buf;
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > 16384 || !fill(ssl, buf, buf.size() + 1)) return;
  }
  const std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  std::string key;
  std::size_t at = head.find("Sec-WebSocket-Key:");
  if (at == std::string::npos) {
    write_all(ssl, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  at += std::strlen("Sec-WebSocket-Key:");
  key = head.substr(at, head.find("\r\n", at) - at);
  while (!key.empty() && key.front() == ' ') key.erase(0, 1);
  if (!write_all(ssl,
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                     accept_key(key) + "\r\n\r\n"))
    return;
  std::uint8_t opcode = 0;
  std::string payload;
  while (read_ws_frame(ssl, buf, opcode, payload)) {
    if (opcode == 8) {
      write_all(ssl, ws_frame(8, payload.substr(0, 2), false));
      return;
    }
    if (opcode == 1) write_all(ssl, ws_frame(1, "受信しました / received: " + payload, false));
  }
}

// Both sides of the demo's TLS: the server offers h2 and http/1.1 by ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kProtocols[] = "\x02h2\x08http/1.1";
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, kProtocols, sizeof kProtocols - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// --- clients ---

struct ClientState {
  int open = 0;
  std::map<std::int32_t, int> status;
  std::map<std::int32_t, std::string> bodies;
};
int client_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                  std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                  std::uint8_t, void* user) {
  if (namelen == 7 && std::memcmp(name, ":status", 7) == 0)
    static_cast<ClientState*>(user)->status[frame->hd.stream_id] =
        std::stoi(std::string(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}
int client_data(nghttp2_session*, std::uint8_t, std::int32_t stream, const std::uint8_t* data,
                std::size_t len, void* user) {
  static_cast<ClientState*>(user)->bodies[stream].append(reinterpret_cast<const char*>(data), len);
  return 0;
}
int client_closed(nghttp2_session*, std::int32_t, std::uint32_t, void* user) {
  --static_cast<ClientState*>(user)->open;
  return 0;
}

}  // namespace

void configure_apps_server(SSL_CTX* ctx) { SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr); }

void serve_app(SSL* ssl) {
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn_len == 2 && std::memcmp(alpn, "h2", 2) == 0)
    serve_h2(ssl);
  else
    serve_chat(ssl);
}

namespace {

struct H2Request {
  std::string method, path, content_type, body;
};

// The requests on one HTTP/2 connection, all at once as a browser or an SDK sends them; their
// statuses and bodies in the same order.
bool h2_exchange(SSL* ssl, const std::string& authority, const std::vector<H2Request>& requests,
                 std::vector<int>& statuses, std::vector<std::string>& bodies) {
  ClientState state;
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, client_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, client_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, client_closed);
  nghttp2_session* s = nullptr;
  nghttp2_session_client_new(&s, cb, &state);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, nullptr, 0);
  const std::string method = ":method", scheme = ":scheme", auth = ":authority", path = ":path",
                    https = "https", ua = "user-agent", ct = "content-type",
                    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) KagamiDemo/1";
  std::vector<Body> sources(requests.size());
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const H2Request& r = requests[i];
    std::vector<nghttp2_nv> headers = {nv(method, r.method), nv(scheme, https), nv(auth, authority),
                                       nv(path, r.path), nv(ua, agent)};
    if (!r.content_type.empty()) headers.push_back(nv(ct, r.content_type));
    nghttp2_data_provider provider{};
    sources[i].bytes = r.body;
    provider.source.ptr = &sources[i];
    provider.read_callback = read_body;
    ids.push_back(nghttp2_submit_request(s, nullptr, headers.data(), headers.size(),
                                         r.body.empty() ? nullptr : &provider, nullptr));
  }
  state.open = static_cast<int>(requests.size());
  const bool submitted =
      std::all_of(ids.begin(), ids.end(), [](std::int32_t id) { return id > 0; });
  const bool ok = submitted && pump(s, ssl, [&] { return state.open == 0; });
  nghttp2_session_terminate_session(s, NGHTTP2_NO_ERROR);
  pump(s, ssl, [] { return true; });  // the GOAWAY
  nghttp2_session_del(s);
  for (const std::int32_t id : ids) {
    statuses.push_back(state.status[id]);
    bodies.push_back(state.bodies[id]);
  }
  return ok;
}

std::string statuses_text(const std::vector<int>& statuses) {
  std::string t;
  for (const int s : statuses) t += (t.empty() ? "" : " ") + std::to_string(s);
  return t;
}

}  // namespace

bool h2_requests(SSL* ssl, const std::string& authority, const std::string& report,
                 std::uint64_t& requests, std::string& why) {
  std::vector<int> statuses;
  std::vector<std::string> bodies;
  const bool ok = h2_exchange(
      ssl, authority,
      {{"GET", "/api/notices", "", ""}, {"POST", "/api/report", "text/csv; charset=utf-8", report}},
      statuses, bodies);
  if (!ok || statuses[0] != 200 || statuses[1] != 200) {
    why = "HTTP/2 API: " + statuses_text(statuses);
    return false;
  }
  requests += 2;
  return true;
}

bool h2_news(SSL* ssl, const std::string& authority, std::uint64_t& requests, std::string& why) {
  std::vector<int> statuses;
  std::vector<std::string> bodies;
  const bool ok =
      h2_exchange(ssl, authority,
                  {{"GET", "/", "", ""}, {"GET", "/news/1", "", ""}, {"GET", "/news/2", "", ""}},
                  statuses, bodies);
  for (std::size_t i = 0; ok && i < statuses.size(); ++i) {
    if (statuses[i] != 200 || bodies[i].find("ニュース") == std::string::npos) {
      why = "news reader (HTTP/2 to an HTTP/1.1 site): " + statuses_text(statuses);
      return false;
    }
  }
  if (!ok) {
    why = "news reader (HTTP/2 to an HTTP/1.1 site): " + statuses_text(statuses);
    return false;
  }
  requests += statuses.size();
  return true;
}

bool chat(SSL* ssl, const std::string& host, const std::vector<std::string>& lines,
          std::uint64_t& messages, std::string& why) {
  const std::string request = "GET /chat HTTP/1.1\r\nHost: " + host +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: a2FnYW1pLWRlbW8tY2hhdA==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  std::string buf;
  if (!write_all(ssl, request)) return false;
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos)
    if (buf.size() > 16384 || !fill(ssl, buf, buf.size() + 1)) {
      why = "chat: no answer to the upgrade";
      return false;
    }
  if (buf.compare(0, 12, "HTTP/1.1 101") != 0) {
    why = "chat: " + buf.substr(0, buf.find('\r'));
    return false;
  }
  buf.erase(0, end + 4);
  for (const std::string& line : lines) {
    std::uint8_t opcode = 0;
    std::string reply;
    if (!write_all(ssl, ws_frame(1, line, true)) || !read_ws_frame(ssl, buf, opcode, reply)) {
      why = "chat: the server went away";
      return false;
    }
    messages += 2;
  }
  std::uint8_t opcode = 0;
  std::string reply;
  write_all(ssl, ws_frame(8, "\x03\xe8", true));
  read_ws_frame(ssl, buf, opcode, reply);
  return true;
}

}  // namespace kagami::demo
