// `kagami reanalyze`: archived packets analysed again, the new records in place of the old,
// sessions under the same numbers, nothing twice however often it runs.
#include <algorithm>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const std::vector<std::string> kTraces = {
    "http/zeek-bro.org.pcap", "http/zeek-http-post-large.pcap", "smtp/zeek-smtp.pcap",
    "pop3/sv-pop3.pcap",      "ftp/zeek-ftp-ipv4.pcap",         "dns/ak-dns-udp.pcap"};

// One flow thread: which DNS answer a session's host name comes from depends on the order the
// threads take packets in with more (the same for the import and the reanalysis here).
void import(const std::string& store, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"record", "--quiet", "--workers", "0", "--store", store};
  for (const auto& t : kTraces) {
    args.push_back("--read");
    args.push_back(corpus_dir() + "/pcap/" + t);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = kagami(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// A listing without the numbers (records' own, and sessions': an import without analyzers
// numbers sessions in another order than one with), sorted: what must come out the same.
std::multiset<std::string> content(const std::string& command, const std::string& store) {
  std::multiset<std::string> out;
  for (auto j : listing(command, store)) {
    for (const char* renumbered : {"id", "record_id", "file_event_id", "analysis", "session_id"})
      j.erase(renumbered);
    out.insert(j.dump());
  }
  return out;
}

std::vector<std::uint64_t> session_ids(const std::string& store,
                                       const std::vector<std::string>& filters = {}) {
  std::vector<std::uint64_t> ids;
  for (const auto& s : sessions(store, filters)) ids.push_back(s["id"].get<std::uint64_t>());
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(Reanalyze, FillsWhatTheAnalysisSkippedUnderTheSameNumbersAndNeverTwice) {
  TempDir dir;
  const std::string ref = dir.path() + "/ref", store = dir.path() + "/s";
  import(ref);
  // Sessions recorded, nothing analysed: what a sensor that could not keep up has.
  import(store, {"--no-analyzers"});
  ASSERT_TRUE(listing("http", store).empty());
  const auto ids = session_ids(store);
  ASSERT_GT(ids.size(), 20u);

  auto r = kagami({"reanalyze", "--workers", "0", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("analysis 1"), std::string::npos) << r.err;
  for (const char* kind : {"http", "mail", "files", "dns", "ftp"})
    EXPECT_EQ(content(kind, store), content(kind, ref)) << kind;
  EXPECT_EQ(session_ids(store), ids);  // notes, holds and exports still name the same sessions
  const auto apps = content("sessions", store);
  EXPECT_EQ(apps, content("sessions", ref));  // app, host and user as an analysed import's
  for (const auto& s : sessions(store)) EXPECT_EQ(s.value("analysis", 0), 1) << s.dump();

  // Again: the same, under the same numbers, nothing twice.
  r = kagami({"reanalyze", "--workers", "0", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* kind : {"http", "mail", "files", "dns", "ftp"})
    EXPECT_EQ(content(kind, store), content(kind, ref)) << kind;
  EXPECT_EQ(session_ids(store), ids);
  for (const auto& s : sessions(store)) EXPECT_EQ(s.value("analysis", 0), 2) << s.dump();
  // The archive is what it was: reanalysis reads it, never writes it.
  const auto v = kagami({"verify", "--store", store});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // Each run is in the audit log.
  const auto audit = kagami({"audit", "list", "--store", store});
  std::size_t runs = 0;
  for (std::size_t at = 0; (at = audit.out.find("reanalyze", at)) != std::string::npos; ++at)
    ++runs;
  EXPECT_EQ(runs, 2u) << audit.out;
}

TEST(Reanalyze, AWindowReplacesOnlyTheSessionsThatBeganInIt) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store, {"--no-analyzers"});
  // The POP3 capture's sessions (2020) and nothing of the others.
  const auto all = session_ids(store);
  const std::vector<std::string> window = {"--since", "2020-01-01T00:00:00Z", "--until",
                                           "2020-12-31T23:59:59Z"};
  const auto inside = session_ids(store, window);
  ASSERT_FALSE(inside.empty());
  ASSERT_LT(inside.size(), all.size());
  std::vector<std::string> args = {"reanalyze", "--store", store};
  args.insert(args.end(), window.begin(), window.end());
  const auto r = kagami(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(session_ids(store), all);
  for (const auto& s : sessions(store)) {
    const bool in = std::binary_search(inside.begin(), inside.end(), s["id"].get<std::uint64_t>());
    EXPECT_EQ(s.value("analysis", 0), in ? 1 : 0) << s.dump();
  }
  EXPECT_FALSE(listing("mail", store).empty());  // POP3's
  EXPECT_TRUE(listing("http", store).empty());   // not in the window: not analysed
}

TEST(Reanalyze, HuntsThePastWithANewRuleAndTellsTheSinksOnlyWhatIsNew) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store);
  const std::size_t alerts_before = listing("alerts", store).size();
  const std::string sink = dir.path() + "/alerts.jsonl";
  write_file(dir.path() + "/hunt.toml",
             "[inspect]\nkeywords = [\"Bro Network Security Monitor\"]\n\n"
             "[[inspect.rules]]\ntitle = \"Hunted marker\"\ndetector = \"keyword\"\n"
             "direction = \"any\"\nseverity = \"high\"\n\n"
             "[[alert.sinks]]\ntype = \"jsonl\"\npath = \"" +
                 sink + "\"\n");
  auto r = kagami({"reanalyze", "--store", store, "--config", dir.path() + "/hunt.toml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto alerts = listing("alerts", store);
  std::size_t hunted = 0;
  for (const auto& a : alerts) hunted += a["title"] == "Hunted marker" ? 1 : 0;
  EXPECT_GT(hunted, 0u) << r.err;
  const std::string told = read_file(sink);
  const std::size_t told_lines =
      static_cast<std::size_t>(std::count(told.begin(), told.end(), '\n'));
  EXPECT_EQ(told_lines, alerts.size() - alerts_before) << told;
  EXPECT_NE(told.find("Hunted marker"), std::string::npos);

  // The same hunt again: the same alerts, none new, nothing told twice.
  r = kagami({"reanalyze", "--store", store, "--config", dir.path() + "/hunt.toml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(" 0 new alert(s)"), std::string::npos) << r.err;
  EXPECT_EQ(listing("alerts", store).size(), alerts.size());
  EXPECT_EQ(read_file(sink), told);
}

TEST(Reanalyze, ARunKilledPartWayIsUndoneByTheNextOpen) {
  if (std::string(GEN_TRAFFIC).empty()) GTEST_SKIP() << "built without the benchmarks' generator";
  TempDir dir;
  auto g = run({GEN_TRAFFIC, "--bytes", "40000000", "--apps", "--concurrency", "100", "--out",
                dir.path() + "/in.pcap"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string store = dir.path() + "/s";
  auto r = kagami(
      {"record", "-q", "--workers", "0", "--read", dir.path() + "/in.pcap", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ids = session_ids(store);
  const auto http = content("http", store);
  ASSERT_GT(http.size(), 100u);
  // Killed once its first sessions are in the index beside the old ones (a search sees both
  // until the run settles or is undone).
  bool caught = false;
  for (int attempt = 0; attempt < 5 && !caught; ++attempt) {
    Background re({KAGAMI_BINARY, "reanalyze", "--workers", "0", "--store", store});
    for (int i = 0; i < 400 && !caught; ++i) {
      if (sessions(store).size() > ids.size()) {
        re.signal(SIGKILL);
        caught = true;
      }
      if (re.wait(5) >= 0 && !caught) break;  // it finished first: again
    }
    re.wait(10000);
  }
  ASSERT_TRUE(caught) << "every run settled before it could be killed";
  EXPECT_GT(sessions(store).size(), ids.size());
  // The next writer to open the store undoes it: the old analysis stands whole.
  r = kagami({"reanalyze", "--workers", "0", "--store", store, "--since", "1990-01-01", "--until",
              "1990-01-02"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("unfinished kagami reanalyze was undone"), std::string::npos) << r.err;
  EXPECT_EQ(session_ids(store), ids);
  EXPECT_EQ(content("http", store), http);
  // And a whole run then settles as usual.
  r = kagami({"reanalyze", "--workers", "0", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(session_ids(store), ids);
  EXPECT_EQ(content("http", store), http);
}

TEST(Reanalyze, SaysWhatIsWrongWithItsArguments) {
  TempDir dir;
  auto r = kagami({"reanalyze", "--store", dir.path() + "/none"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a Kagami store"), std::string::npos) << r.err;
  const std::string store = dir.path() + "/s";
  import(store, {"--no-analyzers"});
  r = kagami({"reanalyze", "--store", store, "--since", "2020-01-02", "--until", "2020-01-01"});
  EXPECT_EQ(r.exit_code, 2);
  r = kagami({"reanalyze", "--store", store, "--since", "yesterday-ish"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--since"), std::string::npos) << r.err;
  // A window no packet file covers changes nothing.
  r = kagami({"reanalyze", "--store", store, "--since", "1990-01-01", "--until", "1990-01-02"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("nothing reanalysed"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kagami::test
