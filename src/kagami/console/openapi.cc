#include "kagami/console/openapi.h"

#include <nlohmann/json.hpp>

#include "kagami/query/search_fields.h"

namespace kagami::console {

namespace {

using nlohmann::json;

json param(const char* name, const char* in, const char* type, const char* description,
           bool required = false) {
  return {{"name", name},
          {"in", in},
          {"required", required},
          {"description", description},
          {"schema", {{"type", type}}}};
}

json search_params() {
  return json::array(
      {param("q", "query", "string",
             "query: host:*.example.com AND method:POST, user:tanaka finding:jp_my_number, "
             "time:[2026-11-01 TO 2026-11-02], ip:10.0.0.0/8, free text"),
       param("kind", "query", "string",
             (query::kind_names() + " (default: what the query's fields suggest)").c_str()),
       param("limit", "query", "integer", "records per page (default 50, at most 10000)"),
       param("offset", "query", "integer", "records to skip"),
       param("order", "query", "string", "'oldest' for oldest first (default newest)")});
}

json op(const char* summary, json params = json::array(), const char* produces = nullptr) {
  json o = {{"summary", summary}, {"parameters", params}};
  json ok = {{"description", "OK"}};
  if (produces != nullptr) ok["content"] = {{produces, json::object()}};
  o["responses"] = {{"200", ok},
                    {"400", {{"description", "bad query: {error, position, length}"}}},
                    {"401", {{"description", "not logged in"}}},
                    {"403", {{"description", "role too low, or missing X-CSRF-Token"}}}};
  return o;
}

json build() {
  json paths;
  paths["/api/login"]["post"] =
      op("log in with {user, password}; sets the HttpOnly session cookie, returns {user, role, "
         "csrf}; 429 with Retry-After after repeated failures");
  paths["/api/logout"]["post"] = op("log out");
  paths["/api/me"]["get"] = op("the logged-in user, role and CSRF token");
  paths["/api/search"]["get"] = op(
      "search: {kind, total, total_capped, offset, limit, elapsed_ms, records}", search_params());
  for (const query::Kind kind : query::kAllKinds) {
    const std::string k = query::kind_name(kind);
    paths["/api/" + k]["get"] = op(("search " + k + " (kind fixed)").c_str(), search_params());
  }
  json id = json::array({param("id", "path", "integer", "id", true)});
  json sha = json::array({param("sha256", "path", "string", "SHA-256, hex", true)});
  paths["/api/sessions/{id}"]["get"] =
      op("a session with its HTTP, DNS, TLS, mail, FTP, files, findings and alerts", id);
  paths["/api/sessions/{id}/pcap"]["get"] =
      op("the session's packets (investigator)", id, "application/vnd.tcpdump.pcap");
  paths["/api/export.pcap"]["get"] =
      op("the packets of every session a query names "
         "(investigator, at most 10000 sessions)",
         search_params(), "application/vnd.tcpdump.pcap");
  paths["/api/mail/{id}"]["get"] = op("a message with its attachments", id);
  paths["/api/files/{sha256}"]["get"] =
      op("a file: hashes, type, inspection, every sighting, findings", sha);
  paths["/api/files/{sha256}/content"]["get"] =
      op("the file's bytes (investigator); malware only in a zip with the password 'infected'", sha,
         "application/octet-stream");
  json tl = search_params();
  tl.push_back(param("buckets", "query", "integer", "number of buckets (default 60)"));
  paths["/api/timeline"]["get"] = op("matches over time: {start, width, counts, bytes}", tl);
  json top = search_params();
  top.push_back(param("field", "query", "string", "host, user, client.ip, method, ...", true));
  top.push_back(param("n", "query", "integer", "how many (default 10)"));
  paths["/api/top"]["get"] = op("the most frequent values of a field among the matches", top);
  paths["/api/users/{name}/activity"]["get"] =
      op("one user's activity: counts by kind, timeline, latest sessions and HTTP",
         json::array({param("name", "path", "string", "user name", true)}));
  paths["/api/alerts/{id}"]["get"] = op("an alert with its triage notes and state", id);
  for (const char* a : {"ack", "reopen", "comment"})
    paths[std::string("/api/alerts/{id}/") + a]["post"] =
        op((std::string(a) + " an alert with {text} (investigator)").c_str(), id);
  paths["/api/users"]["get"] = op("console users (admin)");
  paths["/api/users"]["post"] = op("create or update a user {name, role, password} (admin)");
  paths["/api/users/{name}"]["delete"] = op("remove a user (admin)");
  paths["/api/audit"]["get"] =
      op("the audit log, newest first (admin)",
         json::array({param("limit", "query", "integer", "at most 1000"),
                      param("before", "query", "integer", "entries before this id")}));
  paths["/api/audit/verify"]["get"] = op("re-hash the audit log's chain (admin)");
  paths["/api/fields"]["get"] = op("the fields of the query language");
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "Kagami investigation API"},
            {"version", "1"},
            {"description",
             "Every endpoint but /api/login needs the session cookie; requests other than GET "
             "also need the X-CSRF-Token header from /api/login or /api/me. Searches, views, "
             "exports and downloads are written to the store's audit log."}}},
          {"paths", paths}};
}

}  // namespace

const std::string& openapi_json() {
  static const std::string text = build().dump(2);
  return text;
}

}  // namespace kagami::console
