#pragma once

#include <httplib.h>

namespace kagami::console {

// cpp-httplib's router and handlers, answering requests that HttpServer has read whole (never
// a socket of its own): the console's routes, and the metrics' one.
class HttpRoutes : public httplib::Server {
 public:
  // httplib abandons streamed answers (pcap exports, downloads) when its listening socket is
  // INVALID_SOCKET, its sign of shutting down: these routes never listen, so must never look so.
  HttpRoutes() { svr_sock_ = 0; }
  void answer(httplib::Stream& stream, bool& close) {
    bool asked_close = false;
    const bool ok = process_request(stream, close, asked_close, {});
    close = close || asked_close || !ok;
  }
};

}  // namespace kagami::console
