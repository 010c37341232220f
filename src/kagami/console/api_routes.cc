#include "kagami/console/api_routes.h"

#include "kagami/query/search_fields.h"

namespace kagami::console {

const std::vector<Route>& api_routes() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> all;
    for (auto part : {login_routes, record_routes, admin_routes})
      for (Route& r : part()) all.push_back(std::move(r));
    return all;
  }();
  return routes;
}

const PathPlaceholder& placeholder(std::string_view name) {
  static constexpr PathPlaceholder kPlaceholders[] = {
      {"id", R"((\d{1,19}))", "integer", "id"},
      {"sha256", "([0-9a-f]{64})", "string", "SHA-256, hex"},
      {"name", "([^/]{1,64})", "string", "user name"}};
  for (const PathPlaceholder& p : kPlaceholders)
    if (name == p.name) return p;
  return kPlaceholders[std::size(kPlaceholders) - 1];
}

std::string route_pattern(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '{') {
      const std::size_t end = path.find('}', i);
      const std::string name = path.substr(i + 1, end - i - 1);
      out += placeholder(name).pattern;
      i = end;
      continue;
    }
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

std::vector<RouteParam> search_params() {
  return {{"q", "string",
           "query: host:*.example.com AND method:POST, user:tanaka finding:jp_my_number, "
           "time:[2026-11-01 TO 2026-11-02], ip:10.0.0.0/8, free text"},
          {"kind", "string", query::kind_names() + " (default: what the query's fields suggest)"},
          {"limit", "integer", "records per page (default 50, at most 10000)"},
          {"offset", "integer", "records to skip"},
          {"order", "string", "'oldest' for oldest first (default newest)"},
          {"sort", "string", "a column to sort by ('-size' descending); ties by time"},
          {"tz", "string", "the zone of times typed without one (default UTC): Asia/Tokyo"}};
}

}  // namespace kagami::console
