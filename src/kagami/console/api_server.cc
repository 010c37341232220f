#include "kagami/console/api_server.h"

#include <chrono>
#include <set>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "kagami/base/ip_address.h"
#include "kagami/base/password_hash.h"
#include "kagami/base/printable.h"
#include "kagami/console/api_context.h"
#include "kagami/console/api_routes.h"
#include "kagami/console/console_assets.h"
#include "kagami/console/console_certificate.h"
#include "kagami/query/search.h"
#include "kagami/records/json_text.h"
#include "kagami/store/audit_log.h"

namespace kagami::console {

namespace {

thread_local std::optional<Login> t_login;

constexpr const char* kCookie = "kagami_session";

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t at = 0;
  while (at < header.size()) {
    while (at < header.size() && (header[at] == ' ' || header[at] == ';')) ++at;
    const std::size_t end = header.find(';', at);
    const std::string pair = header.substr(at, end == std::string::npos ? end : end - at);
    const std::size_t eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return {};
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ADDR:PORT with IPv6 in brackets.
bool split_listen(const std::string& listen, std::string& host, int& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return port >= 0 && port <= 65535 && IpAddress::parse(host).ok();
}

bool is_loopback(const std::string& host) { return host.rfind("127.", 0) == 0 || host == "::1"; }

}  // namespace

Result<std::unique_ptr<IndexPool::Lease>> IndexPool::take() {
  std::unique_ptr<store::SqliteIndex> index;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      index = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!index) {
    auto opened = store::SqliteIndex::open(path_, store::SqliteIndex::Mode::kReadOnly);
    if (!opened) return opened.error();
    index = std::move(opened.value());
  }
  return std::make_unique<Lease>(*this, std::move(index));
}

void IndexPool::give_back(std::unique_ptr<store::SqliteIndex> index) {
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(index));
}

void send_json(httplib::Response& res, const nlohmann::json& j, int status) {
  res.status = status;
  // Records hold bytes from the wire: what is not UTF-8 comes with its exact bytes in "_raw".
  res.set_content(records::dump_json(j), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message,
                const query::QueryError* where) {
  // A query error's message ends in the query with a caret under the spot; JSON clients get
  // the first line and the position instead.
  nlohmann::json j = {
      {"error", where != nullptr ? message.substr(0, message.find('\n')) : message}};
  if (where != nullptr) {
    j["position"] = where->pos;
    j["length"] = where->len;
    if (!where->code.empty()) {
      j["code"] = where->code;
      nlohmann::json args = nlohmann::json::object();
      for (const auto& [k, v] : where->args) args[k] = v;
      j["args"] = std::move(args);
    }
  }
  send_json(res, j, status);
}

bool read_json(const httplib::Request& req, httplib::Response& res, nlohmann::json& out,
               std::initializer_list<const char*> strings) {
  out = nlohmann::json::parse(req.body, nullptr, false);
  if (out.is_discarded() || !out.is_object()) {
    send_error(res, 400, "the body must be a JSON object");
    return false;
  }
  for (const char* name : strings) {
    if (out.contains(name) && !out[name].is_string()) {
      send_error(res, 400, std::string("'") + name + "' must be a string");
      return false;
    }
  }
  return true;
}

bool find_record(store::SqliteIndex& index, query::Kind kind, std::uint64_t id, const char* noun,
                 httplib::Response& res, nlohmann::json& out) {
  auto found = query::page_records(index, kind, {id});
  if (!found || found->empty()) {
    send_error(res, 404, std::string("no ") + noun + " " + std::to_string(id));
    return false;
  }
  out = std::move((*found)[0]);
  return true;
}

void mask_for_viewers(nlohmann::json& records) {
  if (records.is_array()) {
    for (auto& r : records) mask_for_viewers(r);
    return;
  }
  if (!records.is_object()) return;
  if (records.contains("sample")) records["sample"] = "***";
  if (records.contains("context")) records["context"] = "***";
  // The digest of a document's text is an oracle too: a short text holding one value can be
  // found by hashing every candidate value.
  if (records.contains("inspection") && records["inspection"].is_object())
    records["inspection"].erase("text_sha256");
}

bool ApiServer::Impl::within_rate(const httplib::Request& req, httplib::Response& res,
                                  const std::string& what, const query::SearchRequest& sr) {
  const std::size_t budget =
      login().role == Role::kViewer ? options.viewer_query_budget : options.query_shape_budget;
  std::chrono::seconds wait{0};
  const std::string kind = sr.kind ? query::kind_name(*sr.kind) : "";
  if (query_rate.allow(login().user, what + ":" + kind, sr.query, budget, &wait)) return true;
  (void)audit(req, res, "rate_limited", sr.query, {{"what", what}, {"kind", kind}});
  res.set_header("Retry-After", std::to_string(std::max<std::int64_t>(1, wait.count())));
  send_error(
      res, 429,
      "too many queries of the same shape; try again in " + std::to_string(wait.count()) + " s");
  return false;
}

Result<std::shared_ptr<const inspect::PatternDatabase>> ApiServer::Impl::patterns() {
  std::lock_guard lock(patterns_mutex);
  if (!patterns_) {
    auto built = inspect::PatternDatabase::build({});
    if (!built) return built.error();
    patterns_ = std::move(*built);
  }
  return patterns_;
}

ApiServer::Impl::Impl(const ServeOptions& o)
    : options(o), layout{o.store}, readers(layout.index_path()) {}

const Login& ApiServer::Impl::login() const { return *t_login; }

bool ApiServer::Impl::require(httplib::Response& res, Role min) const {
  if (t_login && static_cast<int>(t_login->role) >= static_cast<int>(min)) return true;
  send_error(res, 403, std::string("this needs the ") + role_name(min) + " role");
  return false;
}

bool ApiServer::Impl::audit(const httplib::Request& req, httplib::Response& res,
                            const std::string& action, const std::string& object,
                            const nlohmann::json& detail) {
  const std::string actor = t_login ? t_login->user : "";
  std::lock_guard lock(writer_mutex);
  auto id = writer->append_audit(wall_clock_ns(), actor, req.remote_addr, action,
                                 object.substr(0, 4000), records::dump_json(detail));
  if (id) return true;
  spdlog::error("audit log: {}", id.error().message);
  send_error(res, 500, "the audit log cannot be written; nothing is served until it can");
  return false;
}

Result<std::optional<store::UserRow>> ApiServer::Impl::current_user(const std::string& name) {
  auto lease = readers.take();
  if (!lease) return lease.error();
  return (**lease)->user(name);
}

// Why a request comes from another site, or "" when nothing says so: an Origin that is not
// this console's (scheme and Host of the request), or a browser's Sec-Fetch-Site that is not
// same-origin. Clients that are not browsers send neither.
std::string ApiServer::Impl::cross_site(const httplib::Request& req) const {
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    // Plain HTTP serves behind a TLS-terminating proxy: the browser's origin is https there.
    const std::string asked = req.get_header_value("Host");
    if (origin != "https://" + asked && (tls || origin != "http://" + asked))
      return "a request from another site (Origin " + origin + ") is refused";
  }
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none")
    return "a request from another site (Sec-Fetch-Site " + site + ") is refused";
  return {};
}

std::unique_ptr<IndexPool::Lease> ApiServer::Impl::reader(httplib::Response& res) {
  auto lease = readers.take();
  if (!lease) {
    spdlog::error("index: {}", lease.error().message);
    send_error(res, 503, "the index cannot be opened");
    return nullptr;
  }
  return std::move(lease.value());
}

void ApiServer::Impl::routes() {
  httplib::Server& s = *server;
  // Every /api/ path but login needs a logged-in user; every request that changes something
  // also needs the login's CSRF token in a header (a cross-site form cannot set one).
  // Answered without a login: the table says which (their paths have no placeholders).
  std::set<std::string> open_paths;
  for (const Route& r : api_routes())
    if (!r.min_role) open_paths.insert(r.path);
  s.set_pre_routing_handler(
      [this, open_paths](const httplib::Request& req, httplib::Response& res) {
        t_login.reset();
        if (req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
        if (open_paths.count(req.path) != 0) return httplib::Server::HandlerResponse::Unhandled;
        const std::string token = cookie_value(req, kCookie);
        auto found = logins.find(token);
        if (!found) {
          send_error(res, 401, "log in first");
          return httplib::Server::HandlerResponse::Handled;
        }
        // The user as the table says now, whoever changed it (this console, another one, the
        // command line): removed, disabled or given a new password since this login, they are
        // logged out; a new role counts from this request on.
        auto row = current_user(found->user);
        if (!row) {
          send_error(res, 503, "the user list cannot be read");
          return httplib::Server::HandlerResponse::Handled;
        }
        Role role = Role::kViewer;
        if (!*row || (*row)->disabled || !same_secret((*row)->password, found->credential) ||
            !role_from_name((*row)->role, role)) {
          logins.remove(token);
          send_error(res, 401, "log in again: this user was changed or removed");
          return httplib::Server::HandlerResponse::Handled;
        }
        found->role = role;
        if (req.method != "GET" && req.method != "HEAD") {
          if (!same_secret(req.get_header_value("X-CSRF-Token"), found->csrf)) {
            send_error(res, 403, "missing or wrong X-CSRF-Token");
            return httplib::Server::HandlerResponse::Handled;
          }
          if (const std::string why = cross_site(req); !why.empty()) {
            send_error(res, 403, why);
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        t_login = std::move(found);
        return httplib::Server::HandlerResponse::Unhandled;
      });
  s.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
                   "data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                   "form-action 'self'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
    if (req.path.rfind("/api/", 0) == 0) res.set_header("Cache-Control", "no-store");
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          spdlog::error("console: {} {}: {}", req.method, printable(req.path), e.what());
        } catch (...) {
          spdlog::error("console: {} {}: unknown exception", req.method, printable(req.path));
        }
        send_error(res, 500, "internal error");
      });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (req.path.rfind("/api/", 0) == 0 || res.status != 404) {
      send_error(res, res.status,
                 res.status == 404   ? "no such resource"
                 : res.status == 413 ? "the request is too large"
                 : res.status == 414 ? "the request URI is too long"
                                     : "the request was refused");
    } else {
      res.set_content("not found\n", "text/plain");
    }
  });

  // The console's own files: the only answers without a login.
  s.Get(R"(/|/assets/[A-Za-z0-9._-]+)", [](const httplib::Request& req, httplib::Response& res) {
    const Asset* a = find_asset(req.path == "/" ? "/index.html" : req.path);
    if (a == nullptr) {
      res.status = 404;
      return;
    }
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->type);
    res.set_header("Cache-Control", "no-cache");
  });

  // The table's rows, each behind its role.
  for (const Route& r : api_routes()) {
    const std::string pattern = route_pattern(r.path);
    auto handle = [this, &r](const httplib::Request& req, httplib::Response& res) {
      if (r.min_role && !require(res, *r.min_role)) return;
      r.handler(*this, req, res);
    };
    const std::string_view method = r.method;
    if (method == "GET")
      s.Get(pattern, handle);
    else if (method == "POST")
      s.Post(pattern, handle);
    else if (method == "DELETE")
      s.Delete(pattern, handle);
    else
      spdlog::error("console: route {} {} has a method this server does not serve", r.method,
                    r.path);
  }
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() { stop(); }

Result<std::unique_ptr<ApiServer>> ApiServer::start(const ServeOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (auto s = impl->layout.check_exists(); !s) return s.error();
  int port = 0;
  if (!split_listen(options.listen, impl->host, port))
    return make_error("--listen wants ADDR:PORT with a numeric address, not '{}'", options.listen);
  if (options.plain_http && !is_loopback(impl->host))
    return make_error("plain HTTP only on a loopback address; the console serves evidence");
  // The read-write connection brings an older index up to date before readers open it.
  auto writer =
      store::SqliteIndex::open(impl->layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!writer) return writer.error();
  impl->writer = std::move(writer.value());
  (void)impl->writer->optimize();  // planner statistics for this store as it is now
  HttpServerOptions ho;
  ho.listen = options.listen;
  ho.workers = std::max<std::size_t>(2, options.threads);
  ho.limits.max_body_bytes = options.max_body_bytes;
  ho.max_connections = options.max_connections;
  ho.max_connections_per_client = options.max_connections_per_client;
  ho.head_timeout_ms = options.head_timeout_ms;
  ho.body_timeout_ms = options.body_timeout_ms;
  ho.idle_timeout_ms = options.idle_timeout_ms;
  if (!options.plain_http) {
    ho.tls_cert = options.tls_cert;
    ho.tls_key = options.tls_key;
    if (ho.tls_cert.empty() != ho.tls_key.empty())
      return make_error("give both --tls-cert and --tls-key");
    if (ho.tls_cert.empty()) {
      std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
      if (impl->host != "0.0.0.0" && impl->host != "::" && impl->host != "127.0.0.1" &&
          impl->host != "::1")
        names.push_back(impl->host);
      auto made = ensure_console_certificate(impl->layout.root + "/console", names);
      if (!made) return made.error();
      ho.tls_cert = made->cert;
      ho.tls_key = made->key;
      impl->ca_path = made->ca;
    }
    impl->tls = true;
  }
  impl->server = std::make_unique<Routes>();
  impl->server->set_payload_max_length(options.max_body_bytes);
  impl->routes();
  Routes* routes = impl->server.get();
  auto http = HttpServer::start(
      ho, [routes](httplib::Stream& stream, bool& close) { routes->answer(stream, close); });
  if (!http) return make_error("console: {}", http.error().message);
  impl->front = std::move(http.value());
  impl->port = impl->front->port();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

std::uint16_t ApiServer::port() const { return impl_->port; }

std::string ApiServer::url() const {
  const std::string h = impl_->host.find(':') != std::string::npos ? "[" + impl_->host + "]"
                        : impl_->host == "0.0.0.0"                 ? "127.0.0.1"
                                                                   : impl_->host;
  return std::string(impl_->tls ? "https" : "http") + "://" + h + ":" + std::to_string(impl_->port);
}

const std::string& ApiServer::ca_path() const { return impl_->ca_path; }

void ApiServer::stop() {
  if (impl_ && impl_->front) impl_->front->stop();
}

void ApiServer::wait() {
  if (impl_ && impl_->front) impl_->front->wait();
}

namespace {

// POST /api/login: the only request answered without a login.
void log_in(ApiServer::Impl& api, const httplib::Request& req, httplib::Response& res) {
  // Proof that the console's own page sent it (login CSRF: a page elsewhere must not log the
  // victim's browser in as the attacker): JSON, which a cross-site form cannot send, and no
  // other site's Origin.
  const std::string type = req.get_header_value("Content-Type");
  if (type.substr(0, type.find(';')) != "application/json") {
    send_error(res, 415, "the login is a JSON object (Content-Type: application/json)");
    return;
  }
  if (const std::string why = api.cross_site(req); !why.empty()) {
    send_error(res, 403, why);
    return;
  }
  nlohmann::json body;
  if (!read_json(req, res, body, {"user", "password"})) return;
  const std::string user = body.value("user", "");
  const std::string password = body.value("password", "");
  if (user.empty() || user.size() > 64 || password.size() > kMaxPasswordLength) {
    send_error(res, 400, "give a user name and a password");
    return;
  }
  if (auto wait = api.throttle.begin(req.remote_addr, user); wait.count() > 0) {
    res.set_header("Retry-After", std::to_string(wait.count()));
    send_error(res, 429,
               "too many failed logins; try again in " + std::to_string(wait.count()) + " s");
    return;
  }
  std::optional<store::UserRow> row;
  {
    std::lock_guard lock(api.writer_mutex);
    auto got = api.writer->user(user);
    if (!got) {
      send_error(res, 503, "the user list cannot be read");
      return;
    }
    row = *got;
  }
  // An unknown user costs the same scrypt as a known one: timing tells nothing.
  static const std::string kDummy = hash_password("not a password of anyone").value();
  const bool known = row.has_value() && !row->disabled;
  const bool ok = verify_password(password, known ? row->password : kDummy) && known;
  Role role = Role::kViewer;
  if (ok && !role_from_name(row->role, role)) {
    send_error(res, 403, "this user has no valid role");
    return;
  }
  {
    std::lock_guard lock(api.writer_mutex);
    (void)api.writer->append_audit(wall_clock_ns(), user.substr(0, 64), req.remote_addr,
                                   ok ? "login" : "login_failed", "console", "{}");
  }
  if (!ok) {
    send_error(res, 401, "wrong user name or password");
    return;
  }
  api.throttle.succeeded(req.remote_addr, user);
  std::string csrf;
  const std::string token = api.logins.create(user, role, row->password, &csrf);
  res.set_header("Set-Cookie", std::string(kCookie) + "=" + token +
                                   "; Path=/; HttpOnly; SameSite=Strict" +
                                   (api.tls ? "; Secure" : ""));
  send_json(res, {{"user", user}, {"role", role_name(role)}, {"csrf", csrf}});
}

void log_out(ApiServer::Impl& api, const httplib::Request& req, httplib::Response& res) {
  api.logins.remove(cookie_value(req, kCookie));
  res.set_header("Set-Cookie", std::string(kCookie) +
                                   "=; Path=/; HttpOnly; SameSite=Strict; "
                                   "Max-Age=0" +
                                   (api.tls ? "; Secure" : ""));
  send_json(res, {{"ok", true}});
}

void me(ApiServer::Impl& api, const httplib::Request&, httplib::Response& res) {
  send_json(res, {{"user", api.login().user},
                  {"role", role_name(api.login().role)},
                  {"csrf", api.login().csrf}});
}

}  // namespace

std::vector<Route> login_routes() {
  return {{.method = "POST",
           .path = "/api/login",
           .min_role = std::nullopt,
           .summary = "log in with {user, password}; sets the HttpOnly session cookie, returns "
                      "{user, role, csrf}; 429 with Retry-After after repeated failures",
           .handler = log_in},
          {.method = "POST", .path = "/api/logout", .summary = "log out", .handler = log_out},
          {.path = "/api/me", .summary = "the logged-in user, role and CSRF token", .handler = me}};
}

}  // namespace kagami::console
