// Retention: `kagami record --retain-bytes/--retain-age/--retain-metadata-age` on stores made
// from corpus captures. Each imported capture is one sealed archive file (verbatim import), so
// which files go is known exactly; `kagami verify` must still pass over the whole chain.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "kagami/store/seal_manifest.h"

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTraces = {"http/zeek-206_example_a.pcap", "http/zeek-bro.org.pcap",
                                          "http/zeek-http-post-large.pcap", "smtp/zeek-smtp.pcap",
                                          "pop3/sv-pop3.pcap"};

std::string trace(const std::string& t) { return corpus_dir() + "/pcap/" + t; }

std::uint64_t store_size(const std::string& dir) {
  std::uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

bool exists(const std::string& store, const std::string& name) {
  return fs::exists(store + "/packets/" + name);
}

// Sessions of the store by whether retention flagged them.
std::pair<std::size_t, std::size_t> expired_and_kept(const std::string& store) {
  std::size_t expired = 0, kept = 0;
  for (const auto& s : sessions(store)) {
    const auto& flags = s["flags"];
    if (std::find(flags.begin(), flags.end(), "packets_expired") != flags.end())
      ++expired;
    else
      ++kept;
  }
  return {expired, kept};
}

void import(const std::string& store, const std::vector<std::string>& traces,
            const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"record", "--quiet", "--store", store};
  for (const auto& t : traces) {
    args.push_back("--read");
    args.push_back(trace(t));
  }
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = kagami(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(Retention, ASizeLimitEvictsTheOldestFileAndVerifyStillPasses) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store, kTraces);
  const auto before = sessions(store);
  // Room for everything but about the first file (631,110 bytes): it alone must go. What the
  // store would weigh with the next capture is measured on a copy, index growth included.
  fs::copy(store, dir.path() + "/copy", fs::copy_options::recursive);
  import(dir.path() + "/copy", {"smtp/sv-smtp-rfc2231.pcap"});
  const std::uint64_t size = store_size(dir.path() + "/copy");
  import(store, {"smtp/sv-smtp-rfc2231.pcap"}, {"--retain-bytes", std::to_string(size - 300000)});
  EXPECT_FALSE(exists(store, "00000001.pcap"));
  for (const char* kept :
       {"00000002.pcap", "00000003.pcap", "00000004.pcap", "00000005.pcap", "00000006.pcap"})
    EXPECT_TRUE(exists(store, kept)) << kept;

  // The tombstone is a link of the manifest's chain: verify checks it and passes.
  const auto v = kagami({"verify", "--store", store, "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  const auto j = nlohmann::json::parse(v.out);
  EXPECT_EQ(j["evicted"], 1);
  EXPECT_EQ(j["sealed_ok"], 5);
  bool listed = false;
  for (const auto& f : j["files"])
    if (f["name"] == "00000001.pcap") {
      EXPECT_EQ(f["status"], "evicted");
      EXPECT_NE(f["detail"].get<std::string>().find("size limit"), std::string::npos);
      listed = true;
    }
  EXPECT_TRUE(listed);

  // Sessions outlive their packets, flagged; the first capture's, and only those.
  std::size_t first_capture = 0;
  for (const auto& s : before)
    if (s["ts_first"].get<double>() > 1294814876 && s["ts_first"].get<double>() < 1294814918)
      ++first_capture;
  ASSERT_GT(first_capture, 0u);
  const auto [expired, kept] = expired_and_kept(store);
  EXPECT_EQ(expired, first_capture);
  EXPECT_EQ(expired + kept, before.size() + 1);  // the new capture's one session

  // The eviction is in the audit log, and an export of an expired session says why.
  const auto audit = kagami({"audit", "list", "--store", store});
  EXPECT_NE(audit.out.find("evict"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("00000001.pcap"), std::string::npos) << audit.out;
  std::uint64_t expired_id = 0;
  for (const auto& s : sessions(store)) {
    const auto& flags = s["flags"];
    if (std::find(flags.begin(), flags.end(), "packets_expired") != flags.end())
      expired_id = s["id"];
  }
  const auto ex = kagami({"export", "--store", store, "--session", std::to_string(expired_id),
                          "--output", dir.path() + "/x.pcap"});
  EXPECT_NE(ex.err.find("evicted by retention"), std::string::npos) << ex.err;

  // A manifest cut short of its last tombstone disagrees with the index.
  {
    std::string text = read_file(store + "/packets/MANIFEST");
    const auto last = text.rfind("evicted: ");
    ASSERT_NE(last, std::string::npos);
    const std::string saved = text;
    text.erase(text.rfind('\n', last) + 1);
    write_file(store + "/packets/MANIFEST", text);
    const auto cut = kagami({"verify", "--store", store});
    EXPECT_NE(cut.exit_code, 0);
    EXPECT_NE(cut.out.find("no tombstone"), std::string::npos) << cut.out;
    write_file(store + "/packets/MANIFEST", saved);
  }

  const auto st = kagami({"status", "--store", store});
  EXPECT_NE(st.out.find("1 packet file(s) evicted"), std::string::npos) << st.out;
}

TEST(Retention, EvidenceIsKeptWhileOrdinaryFilesGoFirst) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store, kTraces);
  // An investigator exports a session of the first capture: it is evidence now.
  std::uint64_t id = 0;
  for (const auto& s : sessions(store))
    if (s["ts_first"].get<double>() < 1294814918 && s["ts_first"].get<double>() > 1294814876)
      id = s["id"];
  ASSERT_NE(id, 0u);
  const auto ex = kagami({"export", "--store", store, "--session", std::to_string(id), "--output",
                          dir.path() + "/evidence.pcap"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  fs::copy(store, dir.path() + "/copy", fs::copy_options::recursive);
  import(dir.path() + "/copy", {"smtp/sv-smtp-rfc2231.pcap"});
  const std::uint64_t size = store_size(dir.path() + "/copy");
  import(store, {"smtp/sv-smtp-rfc2231.pcap"}, {"--retain-bytes", std::to_string(size - 300000)});
  // The second file (506,533 bytes) went in the first one's place.
  EXPECT_TRUE(exists(store, "00000001.pcap"));
  EXPECT_FALSE(exists(store, "00000002.pcap"));
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);

  // With nothing else left to take, the limit wins over evidence, and says so.
  import(store, {"smtp/zeek-smtp.pcap"}, {"--retain-bytes", "1500K"});
  EXPECT_FALSE(exists(store, "00000001.pcap"));
  const std::string manifest = read_file(store + "/packets/MANIFEST");
  EXPECT_NE(manifest.find("evicted: size limit, evidence"), std::string::npos) << manifest;
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);
}

TEST(Retention, ASizeLimitIsHeldWhenMetadataAloneOutweighsIt) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  auto ids = [&] {
    std::set<std::uint64_t> out;
    for (const auto& s : sessions(store)) out.insert(s["id"].get<std::uint64_t>());
    return out;
  };
  import(store, {"http/zeek-bro.org.pcap", "smtp/zeek-smtp.pcap"});
  const auto before = ids();
  ASSERT_GT(before.size(), 20u);
  const std::uint64_t index_before = fs::file_size(store + "/index.sqlite");
  ASSERT_GT(store_size(store + "/files"), 200000u);
  // A limit below what the index alone weighs, and no metadata horizon (metadata is kept, but
  // the limit is the disk's): every packet file goes, then the sessions of the oldest ones
  // before their time, with their records and objects, and the index gives the pages back.
  const auto r = kagami({"record", "--quiet", "--stats", "--store", store, "--read",
                         trace("dns/ak-dns-udp.pcap"), "--retain-bytes", "100K"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stats_counter(r.err, "retention.files_evicted"), 3u) << r.err;
  EXPECT_GE(stats_counter(r.err, "retention.sessions_deleted_early"), before.size()) << r.err;
  EXPECT_GT(stats_counter(r.err, "retention.limit_unmet"), 0u) << r.err;  // the index's own
  const auto left = ids();
  for (const std::uint64_t id : before) EXPECT_FALSE(left.count(id)) << id;
  EXPECT_LT(store_size(store + "/files"), 20000u);  // of 318,896 bytes
  EXPECT_LT(fs::file_size(store + "/index.sqlite"), index_before);
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);
}

TEST(Retention, AgeEvictsPacketsAndMetadataGoesAtItsOwnHorizon) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store, {"http/zeek-http-post-large.pcap"});
  std::set<std::uint64_t> sessions_a;
  for (const auto& s : sessions(store)) sessions_a.insert(s["id"].get<std::uint64_t>());
  const auto http_a = listing("http", store);
  ASSERT_FALSE(http_a.empty());
  std::vector<std::string> objects_a;
  for (const auto& f : listing("files", store)) objects_a.push_back(f["sha256"]);
  ASSERT_FALSE(objects_a.empty());
  auto object_path = [&](const std::string& sha) {
    return store + "/files/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
  };
  for (const auto& sha : objects_a) ASSERT_TRUE(fs::exists(object_path(sha))) << sha;
  std::this_thread::sleep_for(std::chrono::milliseconds(2600));
  // Packets older than 2 s go; their sessions and records stay, flagged.
  import(store, {"smtp/zeek-smtp.pcap"}, {"--retain-age", "2s"});
  EXPECT_FALSE(exists(store, "00000001.pcap"));
  EXPECT_TRUE(exists(store, "00000002.pcap"));
  EXPECT_EQ(listing("http", store).size(), http_a.size());
  const auto [expired, kept] = expired_and_kept(store);
  EXPECT_EQ(expired, sessions_a.size());
  EXPECT_GT(kept, 0u);
  std::set<std::uint64_t> sessions_b;
  for (const auto& s : sessions(store))
    if (!sessions_a.count(s["id"].get<std::uint64_t>()))
      sessions_b.insert(s["id"].get<std::uint64_t>());

  std::this_thread::sleep_for(std::chrono::milliseconds(2600));
  // The first file was sealed over 5 s ago, the second about 2.6 s ago: with metadata kept
  // 4 s, the first's sessions, records and objects go, the second's stay.
  import(store, {"pop3/zeek-pop3.pcap"}, {"--retain-age", "2s", "--retain-metadata-age", "4s"});
  EXPECT_FALSE(exists(store, "00000002.pcap"));  // its packets now past 2 s
  EXPECT_TRUE(listing("http", store).empty());
  std::set<std::uint64_t> left;
  for (const auto& s : sessions(store)) left.insert(s["id"].get<std::uint64_t>());
  for (const std::uint64_t id : sessions_a) EXPECT_FALSE(left.count(id)) << id;
  for (const std::uint64_t id : sessions_b) EXPECT_TRUE(left.count(id)) << id;
  for (const auto& sha : objects_a) EXPECT_FALSE(fs::exists(object_path(sha))) << sha;
  EXPECT_TRUE(listing("files", store, {"--sha256", objects_a.front()}).empty());
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);

  // Ids are never given twice, even after the newest rows of a table went.
  import(store, {"http/zeek-http-post-large.pcap"});
  std::uint64_t max_before = 0;
  for (const auto& h : http_a) max_before = std::max<std::uint64_t>(max_before, h["id"]);
  for (const auto& h : listing("http", store)) EXPECT_GT(h["id"].get<std::uint64_t>(), max_before);
}

TEST(Retention, AnEvictionCutShortByACrashIsFinishedByTheNextRun) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  import(store, {"smtp/zeek-smtp.pcap", "pop3/zeek-pop3.pcap"});
  {
    // As a pass killed after the tombstone and before the unlink leaves it.
    auto m = store::SealManifest::load(store + "/packets/MANIFEST", nullptr);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->append_tombstone(m->entries().front(), wall_clock_ns(), "age"));
  }
  const auto v = kagami({"verify", "--store", store, "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("still on disk"), std::string::npos) << v.out;
  import(store, {"smtp/sv-smtp-rfc2231.pcap"}, {"--retain-age", "3650d"});
  EXPECT_FALSE(exists(store, "00000001.pcap"));
  EXPECT_TRUE(exists(store, "00000002.pcap"));
  EXPECT_EQ(kagami({"verify", "--store", store}).exit_code, 0);

  // A file gone without its tombstone is still MISSING.
  fs::remove(store + "/packets/00000002.pcap");
  EXPECT_NE(kagami({"verify", "--store", store}).exit_code, 0);
}

TEST(Retention, LimitsThatMakeNoSenseAreRefused) {
  TempDir dir;
  const std::string store = dir.path() + "/s";
  const std::string pcap = trace("smtp/zeek-smtp.pcap");
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--retain-bytes", "0"},
           {"--retain-bytes", "12 parsecs"},
           {"--retain-age", "90x"},
           {"--retain-age", "30d", "--retain-metadata-age", "1d"},
           {"--retain-age", "30d", "--retain-evidence-age", "7d"}}) {
    std::vector<std::string> args = {"record", "--store", store, "--read", pcap};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto r = kagami(args);
    EXPECT_EQ(r.exit_code, 2) << bad[1];
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  }
  // The same settings from [retention] in the config.
  write_file(dir.path() + "/k.toml", "[retention]\nmax_age = \"30d\"\nmetadata_age = \"1d\"\n");
  const auto r =
      kagami({"record", "--store", store, "--read", pcap, "--config", dir.path() + "/k.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("metadata"), std::string::npos) << r.err;
  write_file(dir.path() + "/k.toml", "[retention]\nmax_bytes = \"2T\"\nmax_age = \"90d\"\n");
  EXPECT_EQ(kagami({"record", "--quiet", "--store", store, "--read", pcap, "--config",
                    dir.path() + "/k.toml"})
                .exit_code,
            0);
  const auto st = kagami({"status", "--store", store});
  EXPECT_NE(st.out.find("store 2.0 TiB, packets 90d"), std::string::npos) << st.out;
}

}  // namespace
}  // namespace kagami::test
