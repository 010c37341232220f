// The console's administration and triage endpoints: users, the audit log, alert notes.
#include <algorithm>
#include <chrono>

#include "kagami/base/password_hash.h"
#include "kagami/console/api_context.h"
#include "kagami/console/api_routes.h"
#include "kagami/query/search.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/store_status.h"

namespace kagami::console {

namespace {

using httplib::Request;
using httplib::Response;

constexpr std::size_t kMaxNoteChars = 4000;
constexpr std::size_t kMaxBulkAlerts = 1000;  // alerts one bulk triage may name

}  // namespace

bool valid_user_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

namespace {

void list_users(ApiServer::Impl& api, const Request& req, Response& res) {
  if (!api.audit(req, res, "view", "users")) return;
  std::lock_guard lock(api.writer_mutex);
  auto users = api.writer->users();
  if (!users) {
    send_error(res, 500, users.error().message);
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : *users)
    out.push_back({{"name", u.name},
                   {"role", u.role},
                   {"created", time_to_epoch_seconds(u.created)},
                   {"disabled", u.disabled}});
  send_json(res, out);
}

void set_user(ApiServer::Impl& api, const Request& req, Response& res) {
  nlohmann::json body;
  if (!read_json(req, res, body, {"name", "role", "password"})) return;
  const std::string name = body.value("name", "");
  const std::string role_text = body.value("role", "");
  const std::string password = body.value("password", "");
  Role role;
  if (!valid_user_name(name)) {
    send_error(res, 400, "a user name is 1 to 64 letters, digits and . _ - @");
    return;
  }
  if (!role_from_name(role_text, role)) {
    send_error(res, 400, "role is viewer, investigator or admin");
    return;
  }
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    send_error(res, 400,
               "a password has at least " + std::to_string(kMinPasswordLength) + " characters");
    return;
  }
  auto hash = hash_password(password);
  if (!hash) {
    send_error(res, 500, hash.error().message);
    return;
  }
  if (!api.audit(req, res, "user_set", "user:" + name, {{"role", role_text}})) return;
  {
    std::lock_guard lock(api.writer_mutex);
    if (auto st = api.writer->put_user({name, role_text, *hash, wall_clock_ns(), false}); !st) {
      send_error(res, 500, st.error().message);
      return;
    }
  }
  api.logins.remove_user(name);  // a new password or role takes effect now
  send_json(res, {{"name", name}, {"role", role_text}}, 201);
}

void remove_user(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string name = req.matches[1];
  if (name == api.login().user) {
    send_error(res, 400, "you cannot remove yourself");
    return;
  }
  if (!api.audit(req, res, "user_remove", "user:" + name)) return;
  bool removed = false;
  {
    std::lock_guard lock(api.writer_mutex);
    auto r = api.writer->remove_user(name);
    if (!r) {
      send_error(res, 500, r.error().message);
      return;
    }
    removed = *r;
  }
  api.logins.remove_user(name);
  if (!removed) {
    send_error(res, 404, "no user " + name);
    return;
  }
  send_json(res, {{"removed", name}});
}

void audit_log(ApiServer::Impl& api, const Request& req, Response& res) {
  std::uint64_t limit = 100, before = 0;
  try {
    if (req.has_param("limit")) limit = std::stoull(req.get_param_value("limit"));
    if (req.has_param("before")) before = std::stoull(req.get_param_value("before"));
  } catch (...) {
    send_error(res, 400, "limit and before are numbers");
    return;
  }
  limit = std::min<std::uint64_t>(limit, 1000);
  // Reading the log is in the log: who looked at whom.
  if (!api.audit(req, res, "view", "audit", {{"limit", limit}, {"before", before}})) return;
  auto index = api.reader(res);
  if (!index) return;
  auto entries = store::audit_entries(**index, limit, before);
  if (!entries) {
    send_error(res, 500, entries.error().message);
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : *entries)
    out.push_back({{"id", e.id},
                   {"ts", time_to_epoch_seconds(e.ts)},
                   {"actor", e.actor},
                   {"source", e.source},
                   {"action", e.action},
                   {"object", e.object},
                   {"detail", nlohmann::json::parse(e.detail, nullptr, false)},
                   {"hash", e.hash}});
  send_json(res, out);
}

void verify_audit_log(ApiServer::Impl& api, const Request& req, Response& res) {
  if (!api.audit(req, res, "view", "audit:verify")) return;
  auto index = api.reader(res);
  if (!index) return;
  auto r = store::verify_audit(**index);
  if (!r) {
    send_error(res, 500, r.error().message);
    return;
  }
  send_json(res, {{"ok", r->ok()}, {"entries", r->entries}, {"problems", r->problems}});
}

// The sensor: what the store holds (archive span, disk, retention and what it evicted) and
// what the running recorder and proxy last said of themselves (rates, drops, counters, the
// destinations relayed undecrypted automatically), as `kagami status --json` reads them.
void sensor_status(ApiServer::Impl& api, const Request& req, Response& res) {
  if (!api.audit(req, res, "view", "status")) return;
  nlohmann::json components = nlohmann::json::array();
  for (auto& c : store::component_statuses(api.layout.root)) components.push_back(std::move(c));
  send_json(res, {{"store", store::store_summary(api.layout.root)}, {"components", components}});
}

// Triage: one alert with its notes; acknowledge, reopen, comment.
void alert_page(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::uint64_t id = std::stoull(req.matches[1]);
  auto index = api.reader(res);
  if (!index) return;
  nlohmann::json alert;
  if (!find_record(**index, query::Kind::kAlerts, id, "alert", res, alert)) return;
  if (!api.audit(req, res, "view", "alert:" + std::to_string(id))) return;
  nlohmann::json notes = nlohmann::json::array();
  std::string state = "new";
  (void)(*index)->select(
      "SELECT id, ts, user, action, text FROM alert_notes WHERE alert_id = ? ORDER BY id",
      {static_cast<std::int64_t>(id)}, [&](const store::SqlRow& r) {
        const std::string action = r.text(3);
        if (action == "ack") state = "acknowledged";
        if (action == "reopen") state = "new";
        notes.push_back({{"id", r.i64(0)},
                         {"ts", time_to_epoch_seconds(r.i64(1))},
                         {"user", r.text(2)},
                         {"action", action},
                         {"text", r.text(4)}});
        return true;
      });
  alert["state"] = state;
  send_json(res, {{"alert", alert}, {"notes", notes}});
}

// POST /api/alerts/{id}/ack|reopen|comment: the action is the path's last part.
void note_alert(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::uint64_t id = std::stoull(req.matches[1]);
  const std::string action = req.path.substr(req.path.rfind('/') + 1);
  nlohmann::json body = nlohmann::json::object();
  if (!req.body.empty() && !read_json(req, res, body, {"text"})) return;
  const std::string text = body.value("text", "");
  if (text.size() > kMaxNoteChars) {
    send_error(res, 413, "a note has at most " + std::to_string(kMaxNoteChars) + " bytes");
    return;
  }
  if (action == "comment" && text.empty()) {
    send_error(res, 400, "a comment needs text");
    return;
  }
  {
    auto index = api.reader(res);
    if (!index) return;
    nlohmann::json alert;
    if (!find_record(**index, query::Kind::kAlerts, id, "alert", res, alert)) return;
  }
  if (!api.audit(req, res, "alert_" + action, "alert:" + std::to_string(id))) return;
  std::lock_guard lock(api.writer_mutex);
  auto note = api.writer->add_alert_note(id, wall_clock_ns(), api.login().user, action, text);
  if (!note) {
    send_error(res, 500, note.error().message);
    return;
  }
  send_json(res, {{"id", *note}, {"alert", id}, {"action", action}}, 201);
}

// POST /api/alerts/ack|reopen {ids, text}: triage of many alerts at once, each noted and
// audited as if acknowledged alone (the audit answers "who acknowledged #3" the same way).
void note_alerts(ApiServer::Impl& api, const Request& req, Response& res) {
  const std::string action = req.path.substr(req.path.rfind('/') + 1);
  nlohmann::json body;
  if (!read_json(req, res, body, {"text"})) return;
  const std::string text = body.value("text", "");
  if (text.size() > kMaxNoteChars) {
    send_error(res, 413, "a note has at most " + std::to_string(kMaxNoteChars) + " bytes");
    return;
  }
  if (!body.contains("ids") || !body["ids"].is_array() || body["ids"].empty() ||
      body["ids"].size() > kMaxBulkAlerts) {
    send_error(res, 400,
               "'ids' must list 1 to " + std::to_string(kMaxBulkAlerts) + " alert numbers");
    return;
  }
  std::vector<std::uint64_t> ids;
  for (const auto& v : body["ids"]) {
    if (!v.is_number_unsigned()) {
      send_error(res, 400, "'ids' must list alert numbers");
      return;
    }
    ids.push_back(v.get<std::uint64_t>());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  {
    auto index = api.reader(res);
    if (!index) return;
    auto found = query::page_records(**index, query::Kind::kAlerts, ids);
    if (!found) {
      send_error(res, 500, found.error().message);
      return;
    }
    if (found->size() != ids.size()) {
      send_error(res, 404, "some of these alerts do not exist; none was changed");
      return;
    }
  }
  for (const std::uint64_t id : ids)
    if (!api.audit(req, res, "alert_" + action, "alert:" + std::to_string(id))) return;
  std::lock_guard lock(api.writer_mutex);
  const TimeNs now = wall_clock_ns();
  for (const std::uint64_t id : ids) {
    auto note = api.writer->add_alert_note(id, now, api.login().user, action, text);
    if (!note) {
      send_error(res, 500, note.error().message);
      return;
    }
  }
  send_json(res, {{"alerts", ids}, {"action", action}}, 201);
}

}  // namespace

std::vector<Route> admin_routes() {
  std::vector<Route> routes = {{.path = "/api/users",
                                .min_role = Role::kAdmin,
                                .summary = "console users",
                                .handler = list_users},
                               {.method = "POST",
                                .path = "/api/users",
                                .min_role = Role::kAdmin,
                                .summary = "create or update a user {name, role, password}",
                                .handler = set_user},
                               {.method = "DELETE",
                                .path = "/api/users/{name}",
                                .min_role = Role::kAdmin,
                                .summary = "remove a user",
                                .handler = remove_user},
                               {.path = "/api/audit",
                                .min_role = Role::kAdmin,
                                .summary = "the audit log, newest first",
                                .handler = audit_log,
                                .query = {{"limit", "integer", "at most 1000"},
                                          {"before", "integer", "entries before this id"}}},
                               {.path = "/api/audit/verify",
                                .min_role = Role::kAdmin,
                                .summary = "re-hash the audit log's chain",
                                .handler = verify_audit_log},
                               {.path = "/api/status",
                                .min_role = Role::kAdmin,
                                .summary = "the sensor: archive, disk, retention, and what the "
                                           "running recorder and proxy say of themselves",
                                .handler = sensor_status},
                               {.path = "/api/alerts/{id}",
                                .summary = "an alert with its triage notes and state",
                                .handler = alert_page}};
  for (const char* action : {"ack", "reopen"})
    routes.push_back({.method = "POST",
                      .path = std::string("/api/alerts/") + action,
                      .min_role = Role::kInvestigator,
                      .summary = std::string(action) + " many alerts at once with {ids, text}",
                      .handler = note_alerts});
  for (const char* action : {"ack", "reopen", "comment"})
    routes.push_back({.method = "POST",
                      .path = std::string("/api/alerts/{id}/") + action,
                      .min_role = Role::kInvestigator,
                      .summary = std::string(action) + " an alert with {text}",
                      .handler = note_alert});
  return routes;
}

}  // namespace kagami::console
