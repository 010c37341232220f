#include "kagami/store/seal_manifest.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace kagami::store {
namespace {

SealEntry entry(std::uint32_t id) {
  SealEntry e;
  e.file_id = id;
  e.name = "0000000" + std::to_string(id) + ".pcap";
  e.bytes = 1000 + id;
  e.sha256 = std::string(64, static_cast<char>('a' + id));
  e.packets = 10 * id;
  e.linktype = 1;
  return e;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SealManifest, AppendsAndReloadsAnIntactChain) {
  test::TempDir dir;
  const std::string path = dir.path() + "/MANIFEST";
  {
    auto m = SealManifest::load(path, nullptr).value();
    for (std::uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(m.append(entry(i)).ok());
  }
  std::vector<std::string> problems;
  auto m = SealManifest::load(path, &problems).value();
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(m.entries().size(), 3u);
  EXPECT_EQ(m.entries()[2].seq, 3u);
  EXPECT_EQ(m.entries()[1].prev, m.entries()[0].chain);
}

TEST(SealManifest, DetectsAnAlteredEntry) {
  test::TempDir dir;
  const std::string path = dir.path() + "/MANIFEST";
  auto m = SealManifest::load(path, nullptr).value();
  for (std::uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(m.append(entry(i)).ok());
  std::string text = read(path);
  const auto at = text.find(std::string(64, 'b'));
  ASSERT_NE(at, std::string::npos);
  text[at] = 'c';  // someone "fixes" a file's recorded hash
  std::ofstream(path) << text;
  std::vector<std::string> problems;
  (void)SealManifest::load(path, &problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("altered"), std::string::npos);
}

TEST(SealManifest, DetectsARemovedEntry) {
  test::TempDir dir;
  const std::string path = dir.path() + "/MANIFEST";
  auto m = SealManifest::load(path, nullptr).value();
  for (std::uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(m.append(entry(i)).ok());
  std::string text = read(path);
  std::istringstream in(text);
  std::string line, out;
  int n = 0;
  while (std::getline(in, line))
    if (n++ != 2) out += line + "\n";  // drop the second entry (line 0 is the header)
  std::ofstream(path) << out;
  std::vector<std::string> problems;
  (void)SealManifest::load(path, &problems);
  EXPECT_GE(problems.size(), 1u);
}

TEST(SealManifest, ATombstoneIsALinkOfTheChainAndTheFileIsNoLongerKept) {
  test::TempDir dir;
  const std::string path = dir.path() + "/MANIFEST";
  {
    auto m = SealManifest::load(path, nullptr).value();
    for (std::uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(m.append(entry(i)).ok());
    ASSERT_TRUE(m.append_tombstone(m.entries()[0], 42, "size limit\twith a tab").ok());
  }
  std::vector<std::string> problems;
  auto m = SealManifest::load(path, &problems).value();
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(m.entries().size(), 4u);
  EXPECT_TRUE(SealManifest::is_tombstone(m.entries()[3]));
  EXPECT_EQ(m.entries()[3].note, "evicted: size limit with a tab");
  EXPECT_EQ(m.entries()[3].sealed_at, 42);
  const ArchiveState state = archive_state(m.entries());
  ASSERT_EQ(state.kept.size(), 2u);
  EXPECT_EQ(state.kept[0].file_id, 2u);
  ASSERT_NE(state.tombstone_of(1), nullptr);
  EXPECT_EQ(state.tombstone_of(2), nullptr);

  // Editing the reason breaks the chain. (Cutting the last line would not: verify_archive
  // checks the index's copy, which says the file was evicted.)
  std::string text = read(path);
  const auto at = text.find("evicted: size limit");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 19, "evicted: age       ");
  std::ofstream(path) << text;
  problems.clear();
  (void)SealManifest::load(path, &problems);
  EXPECT_FALSE(problems.empty());
}

}  // namespace
}  // namespace kagami::store
