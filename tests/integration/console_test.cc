// `kagami serve` end to end over HTTPS: a store recorded from a small incident, users of each
// role, and every promise of the console checked from the outside — no answer without a
// login, CSRF on every change, throttled guessing, masked findings for viewers, evidence out
// (pcap, files, malware zipped) and all of it in a hash chain that `kagami audit verify` checks.
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "integration/harness.h"
#include "support/investigation_fixture.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

using nlohmann::json;

class Console : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::signal(SIGPIPE, SIG_IGN);  // a refused connection is an error to see, not a death
    dir_ = new TempDir();
    const std::string d = dir_->path();
    store_ = d + "/store";
    const TimeNs start = parse_time("2026-11-02T01:00:00Z").value();
    ASSERT_TRUE(write_conversations_pcap(d + "/incident.pcap", investigation_conversations(start)));
    write_file(d + "/rules.yar", kFixtureYaraRule);
    write_file(d + "/kagami.toml", "[inspect]\nyara_rules = [\"" + d + "/rules.yar\"]\n");
    auto rec = kagami(
        {"record", "--read", d + "/incident.pcap", "--store", store_, "-c", d + "/kagami.toml"});
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    for (const auto& [name, role] : {std::pair<std::string, std::string>{"alice", "admin"},
                                     {"ivan", "investigator"},
                                     {"vera", "viewer"}}) {
      write_file(d + "/pw", name + "-password-123\n");
      auto u = kagami(
          {"user", "set", "--store", store_, name, "--role", role, "--password-file", d + "/pw"});
      ASSERT_EQ(u.exit_code, 0) << u.err;
    }
    port_ = free_port();
    server_ = new Background({KAGAMI_BINARY, "serve", "--store", store_, "--listen",
                              "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(server_->wait_for_stderr("console at", 15000)) << server_->err();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      server_->signal(SIGTERM);
      server_->wait(10000);
    }
    delete server_;
    delete dir_;
  }

  // A client that trusts only the console's own CA: the certificate is checked for real.
  static std::unique_ptr<httplib::SSLClient> client() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->set_ca_cert_path((store_ + "/console/console-ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    c->set_read_timeout(30, 0);
    return c;
  }

  struct Session {
    std::string cookie, csrf, set_cookie;
  };
  static Session login(const std::string& user) {
    auto c = client();
    auto r =
        c->Post("/api/login", json{{"user", user}, {"password", user + "-password-123"}}.dump(),
                "application/json");
    Session s;
    if (!r || r->status != 200) {
      ADD_FAILURE() << "login " << user << ": " << (r ? r->status : -1);
      return s;
    }
    s.set_cookie = r->get_header_value("Set-Cookie");
    s.cookie = s.set_cookie.substr(0, s.set_cookie.find(';'));
    s.csrf = json::parse(r->body)["csrf"];
    return s;
  }
  static httplib::Result get(const Session& s, const std::string& path) {
    return client()->Get(path.c_str(), httplib::Headers{{"Cookie", s.cookie}});
  }
  static httplib::Result post(const Session& s, const std::string& path, const json& body,
                              bool with_csrf = true) {
    httplib::Headers h{{"Cookie", s.cookie}};
    if (with_csrf) h.emplace("X-CSRF-Token", s.csrf);
    return client()->Post(path.c_str(), h, body.dump(), "application/json");
  }
  static json get_json(const Session& s, const std::string& path, int want = 200) {
    auto r = get(s, path);
    if (!r) {
      ADD_FAILURE() << path << ": no answer";
      return {};
    }
    EXPECT_EQ(r->status, want) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  static TempDir* dir_;
  static std::string store_;
  static int port_;
  static Background* server_;
};

TempDir* Console::dir_ = nullptr;
std::string Console::store_;
int Console::port_ = 0;
Background* Console::server_ = nullptr;

TEST_F(Console, NothingButLoginAndTheConsoleAnswersWithoutALogin) {
  auto c = client();
  for (const char* path : {"/api/search?q=*",
                           "/api/sessions",
                           "/api/http",
                           "/api/mail",
                           "/api/files",
                           "/api/findings",
                           "/api/alerts",
                           "/api/sessions/1",
                           "/api/sessions/1/pcap",
                           "/api/export.pcap?q=*",
                           "/api/timeline",
                           "/api/top?field=host",
                           "/api/users",
                           "/api/audit",
                           "/api/me",
                           "/api/openapi.json",
                           "/api/fields",
                           "/api/no-such-thing",
                           "/api/users/tanaka/activity",
                           "/api/alerts/1"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->body.find("tanaka"), std::string::npos) << path;
  }
  auto r = c->Post("/api/alerts/1/ack", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // A forged cookie is no login.
  r = c->Get("/api/search?q=*",
             httplib::Headers{{"Cookie", "kagami_session=" + std::string(64, 'a')}});
  EXPECT_EQ(r->status, 401);
  // The console's own files are public, with a content security policy.
  r = c->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("/assets/app.js"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  r = c->Get("/assets/app.js");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("javascript"), std::string::npos);
  r = c->Get("/assets/../index.sqlite");
  EXPECT_NE(r->status, 200);
}

TEST_F(Console, LoginSetsAHardenedCookieAndGuessingIsThrottled) {
  const Session s = login("alice");
  EXPECT_NE(s.set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(s.set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(s.set_cookie.find("Secure"), std::string::npos);
  json me = get_json(s, "/api/me");
  EXPECT_EQ(me["user"], "alice");
  EXPECT_EQ(me["role"], "admin");

  auto c = client();
  int last = 0;
  std::string retry_after;
  for (int i = 0; i < 7; ++i) {
    auto r =
        c->Post("/api/login",
                json{{"user", "mallory-target"}, {"password", "guess" + std::to_string(i)}}.dump(),
                "application/json");
    ASSERT_TRUE(r);
    last = r->status;
    retry_after = r->get_header_value("Retry-After");
  }
  EXPECT_EQ(last, 429);
  EXPECT_FALSE(retry_after.empty());
  // Unknown user and wrong password look the same.
  auto r =
      c->Post("/api/login", json{{"user", "nobody"}, {"password", "x"}}.dump(), "application/json");
  EXPECT_EQ(r->status, 401);
  r = c->Post("/api/login", json{{"user", "vera"}, {"password", "wrong-password-1"}}.dump(),
              "application/json");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "wrong user name or password");
}

TEST_F(Console, SearchAnswersTheInvestigatorsQuestions) {
  const Session s = login("ivan");
  json page = get_json(s, "/api/search?q=" + httplib::detail::encode_query_param(
                                                 "user:tanaka file.type:csv finding:jp_my_number"));
  EXPECT_EQ(page["kind"], "files");
  ASSERT_GE(page["records"].size(), 1u);
  EXPECT_EQ(page["records"][0]["name"], "customers.csv");
  page = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param("host:*.evil.test AND method:GET"));
  EXPECT_EQ(page["kind"], "http");
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["records"][0]["uri"], "/payload.exe");
  page = get_json(s, "/api/search?q=" + httplib::detail::encode_query_param("見積書"));
  EXPECT_EQ(page["kind"], "sessions");
  EXPECT_EQ(page["total"], 1);
  page =
      get_json(s, "/api/mail?q=" + httplib::detail::encode_query_param("to:partner@example.com"));
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["records"][0]["subject"], "見積書の送付");
  // A bad query: 400, the message and where it went wrong.
  json err = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param("method:POST AND (host:x"), 400);
  EXPECT_EQ(err["position"], 16);
  EXPECT_NE(err["error"].get<std::string>().find("never closed"), std::string::npos);
  err = get_json(s, "/api/search?q=x&limit=abc", 400);
  err = get_json(s, "/api/search?kind=passwords", 400);
  // Values are data, never SQL.
  page = get_json(
      s, "/api/search?q=" + httplib::detail::encode_query_param(
                                "user:\"x' OR '1'='1\" OR subject:\"'); DROP TABLE mail; --\""));
  EXPECT_EQ(page["total"], 0);
  page = get_json(s, "/api/mail?q=*");
  EXPECT_EQ(page["total"], 1);
  // Aggregates for the dashboard.
  json top = get_json(s, "/api/top?kind=http&field=host");
  ASSERT_GE(top["values"].size(), 2u);
  json tl = get_json(s, "/api/timeline?kind=sessions&buckets=10");
  std::uint64_t sum = 0;
  for (const auto& n : tl["counts"]) sum += n.get<std::uint64_t>();
  EXPECT_EQ(sum, 4u);
  json activity = get_json(s, "/api/users/tanaka/activity");
  EXPECT_EQ(activity["counts"]["sessions"], 1);
  EXPECT_GE(activity["counts"]["http"], 1);
}

TEST_F(Console, SessionPageAndEvidenceDownloads) {
  const Session s = login("ivan");
  json found =
      get_json(s, "/api/sessions?q=" + httplib::detail::encode_query_param("host:www.example.com"));
  ASSERT_EQ(found["total"], 1);
  const std::uint64_t id = found["records"][0]["id"];
  json page = get_json(s, "/api/sessions/" + std::to_string(id));
  EXPECT_EQ(page["session"]["id"], id);
  EXPECT_EQ(page["http"].size(), 1u);
  EXPECT_GE(page["files"].size(), 1u);
  EXPECT_GE(page["findings"].size(), 1u);
  EXPECT_GE(page["alerts"].size(), 1u);
  EXPECT_NE(page["findings"][0]["sample"], "***");  // investigators see the masked sample

  auto r = get(s, "/api/sessions/" + std::to_string(id) + "/pcap");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  ASSERT_GE(r->body.size(), 24u);
  const std::string pcap_path = dir_->path() + "/session.pcap";
  write_file(pcap_path, r->body);
  if (have_program("tshark")) {
    auto t = run({"tshark", "-r", pcap_path, "-Y", "http.request.method == \"POST\"", "-T",
                  "fields", "-e", "http.host"});
    EXPECT_EQ(t.out, "www.example.com\n");
  }
  r = get(s, "/api/export.pcap?q=" + httplib::detail::encode_query_param("ip:10.1.0.0/16"));
  ASSERT_EQ(r->status, 200);
  EXPECT_GT(r->body.size(), 1000u);

  // An ordinary file comes back as it was, hashed again on the way.
  json files =
      get_json(s, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  ASSERT_EQ(files["total"], 1);
  const std::string csv_sha = files["records"][0]["sha256"];
  r = get(s, "/api/files/" + csv_sha + "/content");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(sha256_of(r->body), csv_sha);
  EXPECT_EQ(r->get_header_value("X-Kagami-SHA256"), csv_sha);
  json file = get_json(s, "/api/files/" + csv_sha);
  EXPECT_FALSE(file["malware"].get<bool>());
  EXPECT_GE(file["sightings"].size(), 1u);

  // Malware only inside a zip with the password "infected", its bytes encrypted.
  files = get_json(s, "/api/files?q=" + httplib::detail::encode_query_param("finding:yara:*"));
  ASSERT_EQ(files["total"], 1);
  const std::string bad_sha = files["records"][0]["sha256"];
  r = get(s, "/api/files/" + bad_sha + "/content");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/zip");
  EXPECT_EQ(r->body.substr(0, 2), "PK");
  EXPECT_EQ(r->body.find("KAGAMI-TEST-MALWARE"), std::string::npos);
  if (have_program("unzip")) {
    write_file(dir_->path() + "/evidence.zip", r->body);
    auto u = run({"unzip", "-p", "-P", "infected", dir_->path() + "/evidence.zip"});
    EXPECT_EQ(sha256_of(u.out), bad_sha);
  }
  // Traversal and junk in the digest never reach the file store.
  for (const char* p : {"/api/files/../../index.sqlite/content", "/api/files/%2e%2e%2findex.sqlite",
                        "/api/files/ABC/content"}) {
    r = get(s, p);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 404 || r->status == 400) << p << " " << r->status;
  }
}

TEST_F(Console, ViewersSeeFindingsMaskedAndTakeNoEvidence) {
  const Session v = login("vera");
  json page = get_json(v, "/api/findings?q=*");
  ASSERT_GE(page["records"].size(), 1u);
  for (const auto& f : page["records"]) EXPECT_EQ(f["sample"], "***");
  json files =
      get_json(v, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  const std::string sha = files["records"][0]["sha256"];
  EXPECT_EQ(get(v, "/api/files/" + sha + "/content")->status, 403);
  EXPECT_EQ(get(v, "/api/sessions/1/pcap")->status, 403);
  EXPECT_EQ(get(v, "/api/export.pcap?q=*")->status, 403);
  EXPECT_EQ(get(v, "/api/users")->status, 403);
  EXPECT_EQ(get(v, "/api/audit")->status, 403);
  EXPECT_EQ(post(v, "/api/alerts/1/ack", json::object())->status, 403);
}

TEST_F(Console, TriageNeedsTheCsrfTokenAndIsRecorded) {
  const Session s = login("ivan");
  json alerts = get_json(
      s, "/api/alerts?q=" + httplib::detail::encode_query_param("alert:\"Malware (YARA)\""));
  ASSERT_EQ(alerts["total"], 1);
  const std::uint64_t id = alerts["records"][0]["id"];
  EXPECT_EQ(alerts["records"][0]["state"], "new");
  const std::string path = "/api/alerts/" + std::to_string(id);
  // Without the token, or with another login's, nothing changes.
  EXPECT_EQ(post(s, path + "/ack", json::object(), false)->status, 403);
  Session other = login("alice");
  Session forged = s;
  forged.csrf = other.csrf;
  EXPECT_EQ(post(forged, path + "/ack", json::object())->status, 403);
  EXPECT_EQ(post(s, path + "/ack", {{"text", "reimaged the PC"}})->status, 201);
  EXPECT_EQ(post(s, path + "/comment", {{"text", "<script>alert(1)</script>"}})->status, 201);
  EXPECT_EQ(post(s, path + "/comment", {{"text", std::string(5000, 'x')}})->status, 413);
  json one = get_json(s, path);
  EXPECT_EQ(one["alert"]["state"], "acknowledged");
  ASSERT_EQ(one["notes"].size(), 2u);
  EXPECT_EQ(one["notes"][1]["text"], "<script>alert(1)</script>");  // stored as text
  alerts = get_json(
      s, "/api/alerts?q=" + httplib::detail::encode_query_param("alert:\"Malware (YARA)\""));
  EXPECT_EQ(alerts["records"][0]["state"], "acknowledged");
  // Oversized bodies are refused before they are read.
  auto r = post(s, path + "/comment", {{"text", std::string(200000, 'y')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = post(s, path + "/comment", json("not an object"));
  EXPECT_EQ(r->status, 400);
  // An address longer than any query may be is refused before it is parsed.
  r = get(s, "/api/search?q=" + std::string(20000, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  r = get(s, "/api/search?q=" + std::string(5000, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("longer than 4096"), std::string::npos);
}

TEST_F(Console, AdminsManageUsersAndEverythingIsInTheAuditChain) {
  const Session a = login("alice");
  EXPECT_EQ(post(a, "/api/users", {{"name", "newbie"}, {"role", "viewer"}, {"password", "short"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "../etc"}, {"role", "viewer"}, {"password", "long enough password"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "newbie"}, {"role", "root"}, {"password", "long enough password"}})
                ->status,
            400);
  EXPECT_EQ(post(a, "/api/users",
                 {{"name", "newbie"}, {"role", "viewer"}, {"password", "newbie-password-123"}})
                ->status,
            201);
  json users = get_json(a, "/api/users");
  bool found = false;
  for (const auto& u : users) {
    found = found || u["name"] == "newbie";
    EXPECT_FALSE(u.contains("password"));
  }
  EXPECT_TRUE(found);
  const Session n = login("newbie");
  EXPECT_EQ(get_json(n, "/api/me")["role"], "viewer");
  httplib::Headers h{{"Cookie", a.cookie}, {"X-CSRF-Token", a.csrf}};
  auto r = client()->Delete("/api/users/newbie", h);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(get(n, "/api/me")->status, 401);  // removing a user ends their logins

  // Every search, view, export and download is in the log, failed logins too.
  const Session i = login("ivan");
  get_json(i, "/api/search?q=" + httplib::detail::encode_query_param("method:POST"));
  get_json(i, "/api/sessions/1");
  EXPECT_EQ(get(i, "/api/sessions/1/pcap")->status, 200);
  json files =
      get_json(i, "/api/files?q=" + httplib::detail::encode_query_param("file.name:customers.csv"));
  EXPECT_EQ(
      get(i, "/api/files/" + files["records"][0]["sha256"].get<std::string>() + "/content")->status,
      200);
  EXPECT_EQ(post(i, "/api/alerts/1/ack", json::object())->status, 201);
  client()->Post("/api/login", json{{"user", "vera"}, {"password", "not-her-password"}}.dump(),
                 "application/json");
  json log = get_json(a, "/api/audit?limit=1000");
  std::set<std::string> actions;
  for (const auto& e : log)
    actions.insert(e["action"].get<std::string>() + ":" + e["actor"].get<std::string>());
  for (const char* want : {"login:ivan", "search:ivan", "view:ivan", "export:ivan", "download:ivan",
                           "alert_ack:ivan", "login_failed:vera", "user_set:alice"})
    EXPECT_TRUE(actions.count(want)) << want;
  json verify = get_json(a, "/api/audit/verify");
  EXPECT_TRUE(verify["ok"].get<bool>()) << verify.dump();
  auto cli = kagami({"audit", "verify", "--store", store_});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("the hash chain holds"), std::string::npos);
}

}  // namespace
}  // namespace kagami::test
