// Investigator query latency on a large embedded store (bench/search_bench.sh).
//
//   search_bench populate STORE SESSIONS   fills STORE/index.sqlite: SESSIONS sessions over 30
//                                          days, two HTTP transactions each (URLs in the
//                                          full-text index), a file sighting every 10th
//   search_bench pages STORE [RUNS]        what one console page asks for besides the search
//   search_bench query STORE [RUNS]        runs typical queries RUNS times each (different
//                                          values every run) through the console's code
//                                          path (search + the page's records) and prints
//                                          p50/p95/max per query as a Markdown table
//
// The data is drawn with skew like real traffic: a few popular sites and busy users, many
// rare ones; values are deterministic from a seed, so the query phase can ask for hosts,
// users, addresses and digests that exist.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kagami/base/sha256.h"
#include "kagami/query/search.h"
#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"

namespace {

using namespace kagami;

constexpr TimeNs kStart = 1'793'491'200'000'000'000;  // 2026-11-01T00:00:00Z
constexpr TimeNs kSpan = 30LL * 86400 * kNsPerSec;
constexpr int kUsers = 3000;
constexpr int kClients = 5000;
constexpr int kDomains = 20000;
constexpr int kServers = 50000;

const char* const kWords[] = {"index", "login",   "search", "cart",   "checkout", "news",
                              "api",   "v1",      "v2",     "static", "images",   "docs",
                              "user",  "profile", "upload", "report", "download", "assets",
                              "js",    "css",     "event",  "track",  "video",    "mail"};

// Zipf-like: rank r drawn with weight 1/(r+1), by inverting the harmonic CDF approximately.
int skewed(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> u(0, 1);
  const double x = std::exp(u(rng) * std::log(static_cast<double>(n) + 1)) - 1;
  return std::min(n - 1, static_cast<int>(x));
}

std::string domain(int d) { return "site" + std::to_string(d) + (d % 7 == 0 ? ".co.jp" : ".com"); }
std::string host_of(int d, int sub) {
  static const char* const kSubs[] = {"www", "api", "cdn", "img", "static", "login", "m", "mail"};
  return std::string(kSubs[sub % 8]) + "." + domain(d);
}
std::string user(int u) { return "u" + std::to_string(u); }
// 10.<c / 250>.<c % 250 + 1>.7: one address per client, twenty /16s.
IpAddress client_ip(int c) {
  return IpAddress::v4(10u << 24 | static_cast<std::uint32_t>(c / 250) << 16 |
                       static_cast<std::uint32_t>(c % 250 + 1) << 8 | 7u);
}
IpAddress server_ip(int s) {
  return IpAddress::v4(0xC6330000u + static_cast<std::uint32_t>(s));  // 198.51.x.x and up
}
std::string file_sha(std::uint64_t n) {
  const std::string seed = "kagami-bench-file-" + std::to_string(n);
  return to_hex(
      Sha256::of(ByteView(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size())));
}

// The store's index, or null with the reason printed. A store an older kagami filled is
// brought up to this one's schema first, as the recorder or console would on start (timed:
// an upgrade that builds something from every session says how long).
std::unique_ptr<store::SqliteIndex> open_index(const std::string& store,
                                               store::SqliteIndex::Mode mode) {
  if (mode == store::SqliteIndex::Mode::kReadOnly &&
      !store::SqliteIndex::open(store + "/index.sqlite", mode)) {
    const auto t0 = std::chrono::steady_clock::now();
    auto writer = open_index(store, store::SqliteIndex::Mode::kReadWrite);
    if (!writer) return nullptr;
    std::fprintf(stderr, "upgraded the index in %.1f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  auto opened = store::SqliteIndex::open(store + "/index.sqlite", mode);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return nullptr;
  }
  return std::move(*opened);
}

int populate(const std::string& store, std::uint64_t sessions) {
  auto opened = open_index(store, store::SqliteIndex::Mode::kReadWrite);
  if (!opened) return 1;
  store::SqliteIndex& ix = *opened;
  if (!ix.begin_bulk_load()) return 1;
  std::mt19937_64 rng(20261127);
  std::uint64_t http_id = 1, file_id = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t batch = 20000;
  for (std::uint64_t id = 1; id <= sessions; ++id) {
    if (id % batch == 1 && !ix.begin()) return 1;
    records::SessionRecord s;
    s.id = id;
    s.sensor = "bench";
    s.ts_first = kStart + static_cast<TimeNs>((kSpan / static_cast<TimeNs>(sessions)) *
                                              static_cast<TimeNs>(id));
    s.ts_last = s.ts_first + static_cast<TimeNs>(rng() % (30 * kNsPerSec));
    s.transport = 6;
    s.ip_version = 4;
    const int c = skewed(rng, kClients);
    const int d = skewed(rng, kDomains);
    s.client_ip = client_ip(c);
    s.client_port = static_cast<std::uint16_t>(1024 + rng() % 60000);
    s.server_ip = server_ip((d * 3 + static_cast<int>(rng() % 3)) % kServers);
    s.server_port = rng() % 10 < 8 ? 443 : 80;
    s.app = s.server_port == 443 ? "tls,http" : "http";
    s.decrypted = s.server_port == 443;
    s.host = host_of(d, static_cast<int>(rng() % 8));
    s.user = rng() % 10 < 8 ? user(c % kUsers) : "";
    s.pkts_c2s = 10 + rng() % 50;
    s.pkts_s2c = 10 + rng() % 200;
    s.bytes_c2s = 500 + rng() % 5000;
    s.bytes_s2c = 1000 + rng() % 200000;
    s.end_reason = "fin";
    if (!ix.insert_session(s)) return 1;
    for (int k = 0; k < 2; ++k) {
      records::HttpRecord h;
      h.id = http_id++;
      h.session_id = id;
      h.endpoints = {s.client_ip, s.server_ip, s.client_port, s.server_port};
      h.ts = s.ts_first + k * kNsPerMs * 50;
      h.method = rng() % 10 == 0 ? "POST" : "GET";
      h.host = s.host;
      h.uri = "/";
      for (int w = 0; w < 3; ++w) {
        h.uri += kWords[rng() % std::size(kWords)];
        h.uri += w < 2 ? "/" : "";
      }
      h.uri += "?id=" + std::to_string(rng() % 100000);
      h.version = "1.1";
      h.status = rng() % 20 == 0 ? 404 : 200;
      h.user_agent = "Mozilla/5.0";
      h.resp_content_type = "text/html";
      h.resp_bytes = rng() % 100000;
      h.user = s.user;
      if (!ix.insert(h)) return 1;
    }
    if (id % 10 == 0) {
      records::FileEvent e;
      e.id = file_id;
      e.sha256 = file_sha(file_id % 200000);  // objects seen again and again
      e.session_id = id;
      e.endpoints = {s.client_ip, s.server_ip, s.client_port, s.server_port};
      e.ts = s.ts_first;
      e.protocol = "http";
      e.direction = "received";
      e.name = std::string(kWords[rng() % std::size(kWords)]) + ".pdf";
      e.record_kind = "http";
      e.record_id = http_id - 1;
      records::FileRecord f;
      f.sha256 = e.sha256;
      f.md5 = e.sha256.substr(0, 32);
      f.size = rng() % 1000000;
      f.mime = "application/pdf";
      f.first_seen = e.ts;
      if (!ix.insert(f) || !ix.insert(e)) return 1;
      ++file_id;
    }
    if (id % batch == 0 || id == sessions) {
      if (!ix.commit()) return 1;
      if (id % (batch * 50) == 0 || id == sessions) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr,
                     "populate: %" PRIu64 " sessions, %" PRIu64 " http, %.0f s (%.0f sessions/s)\n",
                     id, http_id - 1, secs, static_cast<double>(id) / secs);
      }
    }
  }
  // Indexes and full-text rows built once, then statistics for the planner.
  const auto t1 = std::chrono::steady_clock::now();
  if (auto s = ix.end_bulk_load(); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "populate: indexes built in %.0f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
  return 0;
}

struct Case {
  const char* name;
  query::Kind kind;
  std::string (*make)(std::mt19937_64&);
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const std::size_t i =
      std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// One row of the table: the runs' p50, p95 and max, and p95 against the 200 ms limit.
void print_row(const char* name, const std::string& example, const std::vector<double>& ms) {
  const double p95 = percentile(ms, 0.95);
  std::printf("| %s | `%s` | %zu | %.1f | %.1f | %.1f | %.2f |\n", name, example.c_str(), ms.size(),
              percentile(ms, 0.5), p95, *std::max_element(ms.begin(), ms.end()), p95 / 200.0);
  std::fflush(stdout);
}

std::string day(std::mt19937_64& rng, int offset_days) {
  const int d = 1 + static_cast<int>(rng() % 28) + offset_days;
  char buf[16];
  std::snprintf(buf, sizeof buf, "2026-11-%02d", std::min(d, 30));
  return buf;
}

int query_phase(const std::string& store, int runs, const std::string& only) {
  auto opened = open_index(store, store::SqliteIndex::Mode::kReadOnly);
  if (!opened) return 1;
  store::SqliteIndex& ix = *opened;
  const std::vector<Case> cases = {
      {"host, exact (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) {
         return "host:" + host_of(skewed(r, kDomains), static_cast<int>(r() % 8));
       }},
      {"host, a domain's names (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) { return "host:*." + domain(skewed(r, kDomains)); }},
      {"host and method (http)", query::Kind::kHttpRecord,
       [](std::mt19937_64& r) {
         return "host:*." + domain(skewed(r, kDomains)) + " AND method:POST";
       }},
      {"IP and a day (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) {
         const std::string d = day(r, 0);
         return "ip:" + client_ip(skewed(r, kClients)).to_string() + " AND time:[" + d + " TO " +
                d + "]";
       }},
      {"subnet and an hour (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) {
         const std::string d = day(r, 0);
         return "ip:10." + std::to_string(r() % 20) + ".0.0/16 AND time:[\"" + d +
                " 10:00\" TO \"" + d + " 11:00\"]";
       }},
      {"user (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) { return "user:" + user(skewed(r, kUsers)); }},
      {"user (http)", query::Kind::kHttpRecord,
       [](std::mt19937_64& r) { return "user:" + user(skewed(r, kUsers)); }},
      {"user and a week (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) {
         return "user:" + user(skewed(r, kUsers)) + " time:[2026-11-08 TO 2026-11-14]";
       }},
      {"SHA-256 (files)", query::Kind::kFiles,
       [](std::mt19937_64& r) { return "sha256:" + file_sha(r() % 200000); }},
      {"free text in URLs (http)", query::Kind::kHttpRecord,
       [](std::mt19937_64& r) {
         return std::string("\"") + kWords[r() % std::size(kWords)] + "/" +
                kWords[r() % std::size(kWords)] + "\"";
       }},
      {"free text, rare (http)", query::Kind::kHttpRecord,
       [](std::mt19937_64& r) { return "\"id=" + std::to_string(10000 + r() % 90000) + "\""; }},
      // What a bare phrase in the console's search box lists: sessions.
      {"free text, rare (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) { return "\"id=" + std::to_string(10000 + r() % 90000) + "\""; }},
      {"free text, common phrase (sessions)", query::Kind::kSessions,
       [](std::mt19937_64& r) {
         return std::string("\"") + kWords[r() % std::size(kWords)] + "/" +
                kWords[r() % std::size(kWords)] + "\"";
       }},
  };
  std::printf("| query | example | runs | p50 ms | p95 ms | max ms | p95 / 200 ms |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  std::mt19937_64 rng(7);
  for (const Case& c : cases) {
    if (!only.empty() && std::string(c.name).find(only) == std::string::npos) continue;
    std::vector<double> ms;
    std::string example;
    for (int i = 0; i < runs; ++i) {
      query::SearchRequest req;
      req.query = c.make(rng);
      req.kind = c.kind;
      req.limit = 50;
      req.budget_ms = 60000;
      if (i == 0) example = req.query;
      const auto t0 = std::chrono::steady_clock::now();
      auto page = query::search(ix, req);
      if (!page) {
        std::fprintf(stderr, "%s: %s\n", req.query.c_str(), page.error().message.c_str());
        return 1;
      }
      auto records = query::page_records(ix, page->kind, page->ids);
      if (!records) return 1;
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    print_row(c.name, example, ms);
  }
  return 0;
}

// What one console page asks for, beyond the search itself (issue 17): the list with its
// histogram, sorted by a column, a field's top values (the sidebar), who talks to whom, the
// CSV export's 10,000 records, and the dashboard's aggregates over everything.
template <long long kSeconds>
std::string since_newest(std::mt19937_64&) {
  const long long newest = (kStart + kSpan) / kNsPerSec - 1;  // the last session starts here
  return "time:[" + std::to_string(newest - kSeconds) + " TO " + std::to_string(newest + 1) + "]";
}

int pages_phase(const std::string& store, int runs) {
  auto opened = open_index(store, store::SqliteIndex::Mode::kReadOnly);
  if (!opened) return 1;
  store::SqliteIndex& ix = *opened;
  using Step = std::function<Status(query::SearchRequest&)>;
  auto list = [&ix](query::SearchRequest& r) -> Status {
    auto page = query::search(ix, r);
    if (!page) return page.error();
    auto records = query::page_records(ix, page->kind, page->ids);
    if (!records) return records.error();
    return {};
  };
  // A list's histogram counts; the dashboard's sums bytes too.
  auto histogram = [&ix](query::SearchRequest& r) -> Status {
    auto t = query::timeline(ix, r, 60, nullptr, false);
    return t ? Status{} : Status{t.error()};
  };
  auto traffic = [&ix](query::SearchRequest& r) -> Status {
    auto t = query::timeline(ix, r, 60);
    return t ? Status{} : Status{t.error()};
  };
  // The dashboard's top values count every match of its span; a list's sidebar and talkers
  // the newest 10,000 (as the console asks).
  auto top = [&ix](const char* field, std::uint64_t sample = 0) {
    return [&ix, field, sample](query::SearchRequest& r) -> Status {
      auto t = query::top_values(ix, r, field, 10, nullptr, sample);
      return t ? Status{} : Status{t.error()};
    };
  };
  auto talk = [&ix](query::SearchRequest& r) -> Status {
    auto t = query::talkers(ix, r, 30, nullptr, 10000);
    return t ? Status{} : Status{t.error()};
  };
  struct PageCase {
    const char* name;
    std::string (*make)(std::mt19937_64&);
    std::vector<Step> steps;
    const char* sort = "";
    std::uint64_t limit = 50;
  };
  auto a_user = [](std::mt19937_64& r) { return "user:" + user(skewed(r, kUsers)); };
  auto a_domain = [](std::mt19937_64& r) { return "host:*." + domain(skewed(r, kDomains)); };
  auto everything = [](std::mt19937_64&) { return std::string("*"); };
  const std::vector<PageCase> cases = {
      {"a user's sessions with the histogram", a_user, {list, histogram}},
      {"a user's sessions sorted by host", a_user, {list}, "host"},
      {"a user's sessions sorted by size, largest first", a_user, {list}, "-bytes"},
      {"a user's hosts (field values)", a_user, {top("host", 10000)}},
      {"a user's talkers", a_user, {talk}},
      {"a domain's sessions with the histogram", a_domain, {list, histogram}},
      {"a domain's clients (field values)", a_domain, {top("client.ip", 10000)}},
      {"a user's sessions as CSV (10,000 records)", a_user, {list}, "", 10000},
      {"everything, newest first", everything, {list}},
      {"everything sorted by host", everything, {list}, "host"},
      {"dashboard, last day: histogram, top hosts, top users",
       [](std::mt19937_64&) { return std::string("time:[2026-11-30 TO 2026-11-30]"); },
       {traffic, top("host"), top("user")}},
      // As the console asks: spans ending at the newest session, on no hour or minute.
      {"dashboard, the day before the newest session",
       since_newest<86400>,
       {traffic, top("host"), top("user")}},
      {"dashboard, the 7 days before the newest session",
       since_newest<7 * 86400>,
       {traffic, top("host"), top("user")}},
      {"dashboard, the 30 days before the newest session",
       since_newest<30 * 86400>,
       {traffic, top("host"), top("user")}},
      {"dashboard, everything: histogram, top hosts, top users",
       everything,
       {traffic, top("host"), top("user")}},
  };
  std::printf("| page | example | runs | p50 ms | p95 ms | max ms | p95 / 200 ms |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  std::mt19937_64 rng(17);
  for (const PageCase& c : cases) {
    std::vector<double> ms;
    std::string example;
    const int n = std::string(c.name).rfind("everything", 0) == 0 ||
                          std::string(c.name).rfind("dashboard", 0) == 0
                      ? std::min(runs, 5)
                      : runs;
    for (int i = 0; i < n; ++i) {
      query::SearchRequest req;
      req.query = c.make(rng);
      req.kind = query::Kind::kSessions;
      req.limit = c.limit;
      req.sort = c.sort;
      req.budget_ms = 60000;
      if (i == 0) example = req.query + (*c.sort ? " sort=" + std::string(c.sort) : "");
      const auto t0 = std::chrono::steady_clock::now();
      for (const Step& step : c.steps) {
        if (Status s = step(req); !s) {
          std::fprintf(stderr, "%s: %s\n", c.name, s.error().message.c_str());
          return 1;
        }
      }
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    print_row(c.name, example, ms);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "populate")
    return populate(argv[2], std::strtoull(argv[3], nullptr, 10));
  if (argc >= 3 && std::string(argv[1]) == "pages")
    return pages_phase(argv[2], argc >= 4 ? std::atoi(argv[3]) : 30);
  if (argc >= 3 && std::string(argv[1]) == "query")
    return query_phase(argv[2], argc >= 4 ? std::atoi(argv[3]) : 50, argc >= 5 ? argv[4] : "");
  std::fprintf(stderr,
               "usage: search_bench populate STORE SESSIONS | query STORE [RUNS] | pages STORE "
               "[RUNS]\n");
  return 2;
}
