// Every listing Kagami prints for every trace of ../shared/corpus is byte for byte what
// tests/golden/corpus_listings.tsv recorded: the JSON and text of `kagami KIND` and the JSON
// of `kagami search -k KIND`, for sessions, each protocol's records, files, findings and
// alerts, and the search language's field list. A change to how records are declared, stored,
// read or printed that alters one byte fails here; the listing as it now is is left in the
// build directory to compare. tests/golden/update_corpus_listings.sh rewrites the digests
// when a listing is meant to change.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "kagami/records/record_types.h"

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

struct Digest {
  std::size_t lines = 0;
  std::string sha256;
};

// trace -> listing -> digest
using Golden = std::map<std::string, std::map<std::string, Digest>>;

const Golden& golden() {
  static const Golden g = [] {
    Golden out;
    std::ifstream in(std::string(KAGAMI_SOURCE_DIR) + "/tests/golden/corpus_listings.tsv");
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string trace, listing, lines, sha;
      std::getline(row, trace, '\t');
      std::getline(row, listing, '\t');
      std::getline(row, lines, '\t');
      std::getline(row, sha, '\t');
      out[trace][listing] = {std::stoul(lines), sha};
    }
    return out;
  }();
  return g;
}

std::size_t count_lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Keeps what a listing printed now beside the build, named after the trace and listing.
std::string keep_actual(const std::string& trace, const std::string& listing,
                        const std::string& bytes) {
  std::string name = trace + "." + listing;
  for (char& c : name)
    if (c == '/') c = '_';
  const std::string dir = std::filesystem::current_path().string() + "/golden-actual";
  std::filesystem::create_directories(dir);
  write_file(dir + "/" + name, bytes);
  return dir + "/" + name;
}

void expect_listing(const std::string& trace, const std::string& listing, const CommandResult& r) {
  ASSERT_EQ(r.exit_code, 0) << listing << ": " << r.err;
  const auto& want = golden().at(trace);
  const auto it = want.find(listing);
  ASSERT_NE(it, want.end()) << trace << " " << listing << " has no golden digest";
  if (count_lines(r.out) == it->second.lines && sha256_of(r.out) == it->second.sha256) return;
  ADD_FAILURE() << trace << " " << listing << ": " << count_lines(r.out) << " lines, "
                << sha256_of(r.out) << "; golden " << it->second.lines << " lines, "
                << it->second.sha256 << "; printed now: " << keep_actual(trace, listing, r.out);
}

class GoldenTrace : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { setenv("TZ", "UTC", 1); }
};

TEST(GoldenListings, EveryCorpusTraceHasItsDigests) {
  std::size_t traces = 0;
  for (const std::string& t : corpus_traces()) {
    EXPECT_TRUE(golden().count(t)) << t << " is new in the corpus: run update_corpus_listings.sh";
    ++traces;
  }
  EXPECT_EQ(golden().size(), traces + 1);  // + the field list
}

TEST(GoldenListings, TheSearchFieldsAreUnchanged) {
  const auto r = kagami({"search", "--fields"});
  expect_listing("-", "search.fields", r);
}

TEST_P(GoldenTrace, EveryListingIsByteForByteTheSame) {
  const std::string trace = GetParam();
  ASSERT_TRUE(golden().count(trace)) << trace << " has no golden digests";
  TempDir dir;
  const std::string store = dir.path() + "/store";
  const auto rec = kagami({"record", "-q", "-w", "0", "--sensor", "golden", "--read",
                           corpus_dir() + "/pcap/" + trace, "--store", store});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  // Every listing there is: sessions, files and every declared record type's (a new type is
  // here without a line; update_corpus_listings.sh must list it too, or this fails).
  std::vector<std::string> kinds = {"sessions", "files"};
  records::for_each_declared_record_type([&]<class R>() { kinds.emplace_back(R::kType.kind); });
  for (const std::string& k : kinds) {
    expect_listing(trace, k + ".json", kagami({k, "--store", store, "--json"}));
    expect_listing(trace, k + ".text", kagami({k, "--store", store}));
    expect_listing(
        trace, k + ".search",
        kagami({"search", "--store", store, "-k", k, "--json", "-n", "10000", "--oldest-first"}));
  }
}

std::string name_of(const ::testing::TestParamInfo<std::string>& p) {
  std::string n = p.param;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Corpus, GoldenTrace, ::testing::ValuesIn(corpus_traces()), name_of);

}  // namespace
}  // namespace kagami::test
