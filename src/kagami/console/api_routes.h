#pragma once
// The REST API as one table: every route's method, path, minimum role, summary and handler.
// The server registers the rows (the role checked before the handler runs), the pre-routing
// check lets through without a login only the rows that say so, and the OpenAPI document is
// generated from the same rows — a route cannot exist without its role and its description.

#include <optional>
#include <string>
#include <vector>

#include "kagami/console/api_server.h"
#include "kagami/console/login_sessions.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace kagami::console {

struct RouteParam {
  std::string name;
  const char* type = "string";  // OpenAPI: "string", "integer"
  std::string description;
  bool required = false;
};

struct Route {
  using Handler = void (*)(ApiServer::Impl&, const httplib::Request&, httplib::Response&);
  const char* method = "GET";
  // As OpenAPI writes it; a placeholder is one of {id} (a number), {sha256} (64 hex digits)
  // and {name} (a user name), and matches only that.
  std::string path;
  // Who may call it; none: anyone, without a login (only the login itself).
  std::optional<Role> min_role = Role::kViewer;
  std::string summary;
  Handler handler = nullptr;
  std::vector<RouteParam> query = {};  // query parameters (path ones follow from the path)
  const char* produces = nullptr;      // a content type other than JSON
};

// The rows, grouped by topic where their handlers live.
std::vector<Route> login_routes();   // api_server.cc: login, logout, me
std::vector<Route> record_routes();  // api_records.cc: search, pages, evidence, aggregates
std::vector<Route> admin_routes();   // api_admin.cc: users, audit log, alert triage
// All of them, in the order OpenAPI lists them.
const std::vector<Route>& api_routes();

// A path's placeholder: what it matches and how the OpenAPI document describes it.
struct PathPlaceholder {
  const char* name;
  const char* pattern;  // a capture group
  const char* type;     // OpenAPI: "integer", "string"
  const char* description;
};
// {id}, {sha256} or {name} (a user name; also what any other name is taken as).
const PathPlaceholder& placeholder(std::string_view name);

// The regular expression a route's path is matched with (placeholders captured in order).
std::string route_pattern(const std::string& path);
// The query parameters every search-like route takes: q, kind, limit, offset, order.
std::vector<RouteParam> search_params();

}  // namespace kagami::console
