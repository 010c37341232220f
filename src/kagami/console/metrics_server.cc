#include "kagami/console/metrics_server.h"

#include "kagami/console/http_routes.h"
#include "kagami/console/http_server.h"

namespace kagami::console {
namespace {

bool is_gauge(const std::string& name) {
  const std::string last = name.substr(name.rfind('.') + 1);
  return last == "active" || last.find("peak") != std::string::npos ||
         last.find("queue") != std::string::npos || last.find("depth") != std::string::npos;
}

// Metric names are [a-zA-Z_:][a-zA-Z0-9_:]*.
std::string metric_name(const std::string& name, bool gauge) {
  std::string out = "kagami_";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  if (!gauge) out += "_total";
  return out;
}

}  // namespace

std::string prometheus_text(const std::vector<std::pair<std::string, std::uint64_t>>& counters) {
  std::string out;
  for (const auto& [name, value] : counters) {
    const bool gauge = is_gauge(name);
    const std::string m = metric_name(name, gauge);
    out += "# TYPE " + m + (gauge ? " gauge\n" : " counter\n");
    out += m + " " + std::to_string(value) + "\n";
  }
  return out;
}

struct MetricsServer::Impl {
  HttpRoutes routes;
  std::unique_ptr<HttpServer> http;
};

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& listen,
                                                            Counters counters) {
  auto impl = std::make_unique<Impl>();
  impl->routes.Get("/metrics", [counters](const httplib::Request&, httplib::Response& res) {
    res.set_content(prometheus_text(counters()), "text/plain; version=0.0.4; charset=utf-8");
  });
  HttpServerOptions o;
  o.listen = listen;
  o.workers = 2;
  o.max_connections = 64;
  o.max_connections_per_client = 8;
  HttpRoutes* routes = &impl->routes;
  auto http = HttpServer::start(
      o, [routes](httplib::Stream& stream, bool& close) { routes->answer(stream, close); });
  if (!http) return make_error("metrics: {}", http.error().message);
  impl->http = std::move(http.value());
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() { stop(); }

std::uint16_t MetricsServer::port() const { return impl_->http->port(); }

void MetricsServer::stop() {
  if (impl_ && impl_->http) impl_->http->stop();
}

}  // namespace kagami::console
