#pragma once
// The console server's shared state and helpers (not a public interface).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "kagami/console/api_server.h"
#include "kagami/console/http_routes.h"
#include "kagami/console/http_server.h"
#include "kagami/console/login_sessions.h"
#include "kagami/console/query_rate.h"
#include "kagami/inspect/pattern_database.h"
#include "kagami/query/query_parser.h"
#include "kagami/query/search.h"
#include "kagami/query/search_fields.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

namespace kagami::console {

// Read-only index connections, one per request at a time (SQLite connections are not shared
// between threads); more are opened as the pool's threads need them.
class IndexPool {
 public:
  explicit IndexPool(std::string path) : path_(std::move(path)) {}
  class Lease {
   public:
    Lease(IndexPool& pool, std::unique_ptr<store::SqliteIndex> index)
        : pool_(pool), index_(std::move(index)) {}
    ~Lease() { pool_.give_back(std::move(index_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    store::SqliteIndex& operator*() { return *index_; }
    store::SqliteIndex* operator->() { return index_.get(); }

   private:
    IndexPool& pool_;
    std::unique_ptr<store::SqliteIndex> index_;
  };
  Result<std::unique_ptr<Lease>> take();

 private:
  void give_back(std::unique_ptr<store::SqliteIndex> index);
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::SqliteIndex>> free_;
};

// The console's routes.
using Routes = HttpRoutes;

struct ApiServer::Impl {
  ServeOptions options;
  store::StoreLayout layout;
  IndexPool readers;
  std::mutex writer_mutex;  // the one read-write connection: audit, users, triage
  std::unique_ptr<store::SqliteIndex> writer;
  LoginSessions logins;
  LoginThrottle throttle;
  QueryRate query_rate;
  std::unique_ptr<Routes> server;
  std::unique_ptr<HttpServer> front;  // connections, TLS, bounds
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string ca_path;

  explicit Impl(const ServeOptions& o);

  // The detectors' patterns (built-in), compiled at the first masked preview and kept.
  Result<std::shared_ptr<const inspect::PatternDatabase>> patterns();
  std::mutex patterns_mutex;
  std::shared_ptr<const inspect::PatternDatabase> patterns_;

  void routes();

  // The logged-in user of the request being handled (set by the pre-routing check).
  const Login& login() const;
  // False (and a 403 sent) when the user's role is below `min`.
  bool require(httplib::Response& res, Role min) const;
  // Writes the audit entry before the answer leaves; false (and a 500 sent) if it cannot.
  bool audit(const httplib::Request& req, httplib::Response& res, const std::string& action,
             const std::string& object, const nlohmann::json& detail = nlohmann::json::object());
  // The user's row as it is now (a read-only connection sees other processes' changes).
  Result<std::optional<store::UserRow>> current_user(const std::string& name);
  // Why the request comes from another site ("" if nothing says so).
  std::string cross_site(const httplib::Request& req) const;
  // False (a 429 sent, the refusal audited) when the user has asked too many queries of this
  // one's shape lately (query_rate.h).
  bool within_rate(const httplib::Request& req, httplib::Response& res, const std::string& what,
                   const query::SearchRequest& sr);
  // A reader connection, or false and a 503 sent.
  std::unique_ptr<IndexPool::Lease> reader(httplib::Response& res);
};

void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200);
void send_error(httplib::Response& res, int status, const std::string& message,
                const query::QueryError* where = nullptr);
// Parses a JSON object body; false and a 400 sent if it is not one, or if one of `strings`
// is there but not a string.
bool read_json(const httplib::Request& req, httplib::Response& res, nlohmann::json& out,
               std::initializer_list<const char*> strings = {});
// The one record of `kind` with this id; false and a 404 ("no NOUN ID") when there is none.
bool find_record(store::SqliteIndex& index, query::Kind kind, std::uint64_t id, const char* noun,
                 httplib::Response& res, nlohmann::json& out);
// Viewers see what inspection found, not the values: samples and contexts masked, digests of
// extracted text left out (a record, or an array of them).
void mask_for_viewers(nlohmann::json& records);

}  // namespace kagami::console
