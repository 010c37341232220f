#include "kagami/content/archive_unlock.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/archive_builder.h"
#include "support/encrypted_zip.h"

namespace kagami::content {
namespace {

struct Opened {
  Unlock result;
  std::map<std::string, std::string> members;
};

Opened unlock(const std::string& zip, const std::vector<std::string>& passwords,
              const ExtractLimits& limits = {}) {
  Opened o;
  o.result =
      unlock_archive(as_bytes(zip), passwords, limits, [&](const std::string& path, ByteView data) {
        o.members[path] = std::string(as_chars(data));
      });
  return o;
}

const std::string kCsv = "氏名,マイナンバー\n田中,123456789018\n";

TEST(ArchiveUnlock, TheRightPasswordOpensTraditionalAndAesZips) {
  for (const char* encryption : {"zipcrypt", "aes256", "aes128"}) {
    const std::string zip = test::encrypted_zip(
        {{"顧客一覧.csv", kCsv}, {"readme.txt", "see the list"}}, "Xy7#kP2q", encryption);
    ASSERT_FALSE(zip.empty()) << encryption;
    const Opened o = unlock(zip, {"wrong-one", "Xy7#kP2q"});
    EXPECT_EQ(o.result.status, Unlock::Status::kOpened) << encryption << ": " << o.result.note;
    EXPECT_EQ(o.result.password, 1) << encryption;
    EXPECT_EQ(o.result.members, 2u);
    EXPECT_EQ(o.members.at("顧客一覧.csv"), kCsv) << encryption;
    EXPECT_EQ(o.members.at("readme.txt"), "see the list");
  }
}

TEST(ArchiveUnlock, WrongPasswordsOpenNothing) {
  const std::string zip = test::encrypted_zip({{"a.csv", kCsv}}, "Xy7#kP2q");
  // Many wrong passwords: a traditional zip's one check byte lets 1 in 256 through, its CRC
  // stops them.
  std::vector<std::string> wrong;
  for (int i = 0; i < 600; ++i) wrong.push_back("guess" + std::to_string(i));
  const Opened o = unlock(zip, wrong);
  EXPECT_EQ(o.result.status, Unlock::Status::kWrongPassword);
  EXPECT_TRUE(o.members.empty());
  EXPECT_EQ(unlock(zip, {}).result.status, Unlock::Status::kWrongPassword);
}

TEST(ArchiveUnlock, WhatIsNotEncryptedOrNotAZipIsSaidSo) {
  EXPECT_EQ(unlock(test::ZipBuilder().add("a.txt", "plain").build(), {"pw12"}).result.status,
            Unlock::Status::kNotEncrypted);
  EXPECT_EQ(unlock("just some text", {"pw12"}).result.status, Unlock::Status::kNotEncrypted);
  EXPECT_EQ(
      unlock(std::string("7z\xBC\xAF\x27\x1C", 6) + std::string(40, '\0'), {"pw12"}).result.status,
      Unlock::Status::kUnsupported);
  const std::string zip = test::encrypted_zip({{"a.csv", kCsv}}, "Xy7#kP2q");
  EXPECT_EQ(unlock(zip.substr(0, zip.size() / 2), {"Xy7#kP2q"}).result.status,
            Unlock::Status::kCorrupt);
}

TEST(ArchiveUnlock, MembersAreBoundedLikeAnyArchive) {
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 20; ++i) many.emplace_back("m" + std::to_string(i) + ".txt", "text");
  ExtractLimits limits;
  limits.max_members = 5;
  const Opened o = unlock(test::encrypted_zip(many, "pw1234"), {"pw1234"}, limits);
  EXPECT_EQ(o.result.status, Unlock::Status::kOpened);
  EXPECT_EQ(o.members.size(), 5u);
  EXPECT_TRUE(o.result.truncated);
  // A bomb: much more out than in.
  limits = {};
  limits.max_ratio = 10;
  const Opened b =
      unlock(test::encrypted_zip({{"zeros.bin", std::string(4u << 20, '\0')}}, "pw1234"),
             {"pw1234"}, limits);
  EXPECT_TRUE(b.result.truncated);
  EXPECT_TRUE(b.members.empty());
}

}  // namespace
}  // namespace kagami::content
