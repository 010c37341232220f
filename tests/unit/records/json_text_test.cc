#include "kagami/records/json_text.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kagami/base/base64.h"

namespace kagami::records {
namespace {

// A zip member name from Japanese Windows (CP932 "マイ"), and a Latin-1 byte.
const std::string kCp932 = "\x83\x7D\x83\x43.xlsx";

TEST(JsonText, TextThatIsNotUtf8IsWrittenWithItsExactBytesBeside) {
  nlohmann::json j = {{"name", kCp932},
                      {"ok", "東京"},
                      {"to", {"a@example.jp", std::string("b\xE9@example.jp")}},
                      {"nested", {{"subject", std::string("\xFF")}}},
                      {"n", 3}};
  const std::string text = dump_json(j);  // nlohmann::json alone throws here
  const auto back = nlohmann::json::parse(text);
  EXPECT_EQ(back["name"],
            "\xEF\xBF\xBD}\xEF\xBF\xBD"
            "C.xlsx");
  EXPECT_EQ(base64_decode(back["name_raw"].get<std::string>()).value(), kCp932);
  EXPECT_EQ(back["ok"], "東京");
  EXPECT_FALSE(back.contains("ok_raw"));
  EXPECT_TRUE(back["to_raw"][0].is_null());
  EXPECT_EQ(base64_decode(back["to_raw"][1].get<std::string>()).value(), "b\xE9@example.jp");
  EXPECT_EQ(base64_decode(back["nested"]["subject_raw"].get<std::string>()).value(), "\xFF");
  EXPECT_EQ(raw_string(back, "name"), kCp932);
  EXPECT_EQ(raw_string(back, "ok"), "東京");
  // Valid JSON text is written as nlohmann::json writes it.
  EXPECT_EQ(dump_json(nlohmann::json{{"a", "b"}}), R"({"a":"b"})");
}

TEST(JsonText, StoredListsKeepEveryByte) {
  const std::vector<std::string> list = {"plain", kCp932, "", "日本語"};
  const std::string stored = encode_string_list(list);
  EXPECT_FALSE(nlohmann::json::parse(stored, nullptr, false).is_discarded());
  EXPECT_EQ(decode_string_list(stored), list);
  EXPECT_EQ(encode_string_list({"a", "b"}), R"(["a","b"])");  // as before for text
  EXPECT_TRUE(decode_string_list("not json").empty());
}

}  // namespace
}  // namespace kagami::records
