#include "kagami/console/openapi.h"

#include <nlohmann/json.hpp>

#include "kagami/console/api_routes.h"

namespace kagami::console {

namespace {

using nlohmann::json;

json param(const std::string& name, const char* in, const char* type,
           const std::string& description, bool required) {
  return {{"name", name},
          {"in", in},
          {"required", required},
          {"description", description},
          {"schema", {{"type", type}}}};
}

// The path's placeholders, as route_pattern matches them.
json path_params(const std::string& path) {
  json out = json::array();
  for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
    const std::string name = path.substr(at + 1, path.find('}', at) - at - 1);
    const PathPlaceholder& p = placeholder(name);
    out.push_back(param(name, "path", p.type, p.description, true));
  }
  return out;
}

json operation(const Route& r) {
  json params = path_params(r.path);
  for (const RouteParam& p : r.query)
    params.push_back(param(p.name, "query", p.type, p.description, p.required));
  const std::string who = !r.min_role ? " (no login)"
                          : *r.min_role == Role::kViewer
                              ? ""
                              : " (" + std::string(role_name(*r.min_role)) + ")";
  json ok = {{"description", "OK"}};
  if (r.produces != nullptr) ok["content"] = {{r.produces, json::object()}};
  json o = {{"summary", r.summary + who},
            {"parameters", params},
            {"x-kagami-role", r.min_role ? role_name(*r.min_role) : "none"}};
  o["responses"] = {{"200", ok},
                    {"400", {{"description", "bad request or query: {error, position, length}"}}},
                    {"401", {{"description", "not logged in"}}},
                    {"403", {{"description", "role too low, or missing X-CSRF-Token"}}}};
  return o;
}

json build() {
  json paths = json::object();
  for (const Route& r : api_routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(c - 'A' + 'a');
    paths[r.path][method] = operation(r);
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Kagami investigation API"},
            {"version", "1"},
            {"description",
             "Every endpoint but /api/login needs the session cookie; requests other than GET "
             "also need the X-CSRF-Token header from /api/login or /api/me. Searches, views, "
             "exports and downloads are written to the store's audit log. x-kagami-role is the "
             "least role an operation needs (viewer < investigator < admin)."}}},
          {"paths", paths}};
}

}  // namespace

const std::string& openapi_json() {
  static const std::string text = build().dump(2);
  return text;
}

}  // namespace kagami::console
