#include "kagami/inspect/inspector.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "kagami/base/sha256.h"

#include "support/archive_builder.h"
#include "support/temp_dir.h"

namespace kagami::inspect {
namespace {

using test::ZipBuilder;

// The EICAR anti-virus test file (68 bytes) and its MD5, as ClamAV's hash signatures take it.
const std::string kEicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

ByteView bytes_of(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class InspectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    write(d + "/rules.yar",
          "rule Kagami_Test_Marker { strings: $a = \"KAGAMI-TEST-MARKER\" condition: $a }\n"
          "rule Kagami_Never { condition: false }\n");
    std::filesystem::create_directories(d + "/clamav");
    // A hash signature for EICAR and a body signature for a marker, no official database.
    write(d + "/clamav/test.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Kagami.Test.Eicar\n");
    write(d + "/clamav/test.ndb", "Kagami.Test.Body:0:*:4b4147414d492d424f44592d4d41524b4552\n");
    leaked_ = "社外秘 leaked board minutes\n";
    write(d + "/leaked.sha256", "# documents that must not leave\n" +
                                    to_hex(Sha256::of(bytes_of(leaked_))) + "  minutes\n");
    InspectorOptions o;
    o.yara_rule_files = {d + "/rules.yar"};
    o.clamav_database_dir = d + "/clamav";
    o.hash_lists = {{"leaked", d + "/leaked.sha256"}};
    auto in = Inspector::create(o);
    ASSERT_TRUE(in) << in.error().message;
    inspector_ = in.value();
    auto w = inspector_->worker();
    ASSERT_TRUE(w);
    worker_ = std::move(w.value());
  }
  Inspection inspect(const std::string& bytes, const std::string& name = "") {
    return inspector_->inspect(*worker_, bytes_of(bytes), to_hex(Sha256::of(bytes_of(bytes))), name,
                               "");
  }
  static std::set<std::string> detectors(const Inspection& i) {
    std::set<std::string> s;
    for (const auto& f : i.findings) s.insert(f.detector);
    return s;
  }
  test::TempDir dir_;
  std::string leaked_;
  std::shared_ptr<const Inspector> inspector_;
  std::unique_ptr<Inspector::Worker> worker_;
};

TEST_F(InspectorTest, LoadsEveryScanner) {
  EXPECT_EQ(inspector_->yara_rules(), 2u);
  EXPECT_EQ(inspector_->clamav_signatures(), 2u);
}

TEST_F(InspectorTest, MalwareScannersAndHashListsNameWhatMatched) {
  auto d = detectors(inspect(kEicar));
  EXPECT_EQ(d.count("clamav:Kagami.Test.Eicar.UNOFFICIAL") + d.count("clamav:Kagami.Test.Eicar"),
            1u);
  d = detectors(inspect("header KAGAMI-TEST-MARKER trailer"));
  EXPECT_EQ(d.count("yara:Kagami_Test_Marker"), 1u);
  EXPECT_EQ(d.count("yara:Kagami_Never"), 0u);
  // ClamAV unpacks archives: a marker deflated inside a zip is still found.
  d = detectors(inspect(ZipBuilder().add("x.bin", "..KAGAMI-BODY-MARKER..").build()));
  bool body = false;
  for (const auto& name : d) body = body || name.rfind("clamav:Kagami.Test.Body", 0) == 0;
  EXPECT_TRUE(body);
  d = detectors(inspect(leaked_));
  EXPECT_EQ(d.count("hash_list:leaked"), 1u);
  EXPECT_EQ(d.count("keyword"), 1u);
  EXPECT_TRUE(detectors(inspect("nothing to see here")).empty());
}

TEST_F(InspectorTest, FindingsNameTheArchiveMemberTheyCameFrom) {
  const std::string docx =
      ZipBuilder()
          .add("[Content_Types].xml", "<Types/>")
          .add("word/document.xml", "<w:p><w:r><w:t>マイナンバー 1234-5678-9018</w:t></w:r></w:p>")
          .build();
  const std::string zip =
      ZipBuilder().add("hr/staff.docx", docx).add("locked.xlsx", "secret", false, true).build();
  const Inspection i = inspect(zip, "bundle.zip");
  ASSERT_EQ(i.findings.size(), 2u);
  EXPECT_EQ(i.findings[0].detector, "jp_my_number");
  EXPECT_EQ(i.findings[0].confidence, Confidence::kHigh);
  EXPECT_EQ(i.findings[0].member, "hr/staff.docx");
  EXPECT_EQ(i.findings[0].sample, "****-****-9018");
  EXPECT_EQ(i.flags(), "encrypted");
  // What the password kept unread is a finding of its own, naming the member.
  EXPECT_EQ(i.findings[1].detector, "encrypted");
  EXPECT_EQ(i.findings[1].confidence, Confidence::kHigh);
  EXPECT_NE(i.findings[1].sample.find("locked.xlsx"), std::string::npos) << i.findings[1].sample;
}

}  // namespace
}  // namespace kagami::inspect
