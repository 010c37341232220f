#include "kagami/console/metrics_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

namespace kagami::console {
namespace {

TEST(Metrics, CountersAndGaugesInPrometheusText) {
  const std::string text = prometheus_text({{"capture.packets", 12},
                                            {"flow.active", 3},
                                            {"tcp.reassembly_peak_bytes", 4096},
                                            {"analyzer.records.smb", 2},
                                            {"proxy.bytes-c2s", 7}});
  EXPECT_EQ(text,
            "# TYPE kagami_capture_packets_total counter\nkagami_capture_packets_total 12\n"
            "# TYPE kagami_flow_active gauge\nkagami_flow_active 3\n"
            "# TYPE kagami_tcp_reassembly_peak_bytes gauge\nkagami_tcp_reassembly_peak_bytes 4096\n"
            "# TYPE kagami_analyzer_records_smb_total counter\n"
            "kagami_analyzer_records_smb_total 2\n"
            "# TYPE kagami_proxy_bytes_c2s_total counter\nkagami_proxy_bytes_c2s_total 7\n");
}

// Scraped over HTTP, each time with the counters as they are then; anything else is 404.
TEST(Metrics, ServedAtSlashMetrics) {
  std::uint64_t n = 0;
  auto server = MetricsServer::start("127.0.0.1:0", [&n] {
    return std::vector<std::pair<std::string, std::uint64_t>>{{"capture.packets", ++n}};
  });
  ASSERT_TRUE(server) << server.error().message;
  httplib::Client c("127.0.0.1", server.value()->port());
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("kagami_capture_packets_total 1\n"), std::string::npos) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("kagami_capture_packets_total 2\n"), std::string::npos) << r->body;
  r = c.Get("/api/sessions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  server.value()->stop();
}

}  // namespace
}  // namespace kagami::console
