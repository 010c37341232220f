#include "kagami/inspect/validators.h"

#include <gtest/gtest.h>

namespace kagami::inspect {
namespace {

TEST(Validators, CreditCardsPassLuhnAndTheirIssuersRanges) {
  EXPECT_TRUE(valid_credit_card("4111111111111111"));      // Visa test number
  EXPECT_TRUE(valid_credit_card("4111-1111-1111-1111"));   // grouped
  EXPECT_TRUE(valid_credit_card("5555 5555 5555 4444"));   // Mastercard
  EXPECT_TRUE(valid_credit_card("378282246310005"));       // Amex, 15 digits
  EXPECT_TRUE(valid_credit_card("3530111333300000"));      // JCB
  EXPECT_FALSE(valid_credit_card("4111111111111112"));     // Luhn fails
  EXPECT_FALSE(valid_credit_card("4111-1111 1111-1111"));  // mixed separators
  EXPECT_FALSE(valid_credit_card("1234567812345670"));     // Luhn passes, no issuer
  EXPECT_FALSE(valid_credit_card("37828224631000"));       // Amex needs 15
}

TEST(Validators, CardLengthsAreTheIssuersUsualOnesOrUnusual) {
  EXPECT_EQ(credit_card_kind("4111111111111111"), CardNumber::kUsual);
  EXPECT_EQ(credit_card_kind("4222222222222"), CardNumber::kUnusual);        // 13-digit Visa
  EXPECT_EQ(credit_card_kind("4111111111111111110"), CardNumber::kUnusual);  // 19-digit Visa
  EXPECT_EQ(credit_card_kind("378282246310005"), CardNumber::kUsual);        // Amex 15
  EXPECT_EQ(credit_card_kind("30569309025904"), CardNumber::kUsual);         // Diners 14
  EXPECT_EQ(credit_card_kind("3530111333300000"), CardNumber::kUsual);       // JCB 16
  EXPECT_EQ(credit_card_kind("4111111111111112"), CardNumber::kNo);
}

TEST(Validators, JanCodesAreKnownForWhatTheyAre) {
  EXPECT_TRUE(valid_gtin("4901234567894"));   // JAN-13
  EXPECT_FALSE(valid_gtin("4901234567890"));  // check digit off
  EXPECT_TRUE(valid_gtin("49123456"));        // JAN-8
  EXPECT_TRUE(valid_gtin("9784873119038"));   // ISBN-13
  EXPECT_TRUE(valid_gtin("14901234567891"));  // GTIN-14 of a case of 4901234567894
  EXPECT_TRUE(looks_like_jan("4901234567894"));
  EXPECT_TRUE(looks_like_jan("4512345678901") == valid_gtin("4512345678901"));
  EXPECT_FALSE(looks_like_jan("9784873119038"));  // a book, not a Japanese product
  EXPECT_FALSE(looks_like_jan("4111111111111111"));
}

TEST(Validators, MyNumberCheckDigit) {
  // Base 12345678901, weights from the right (P1 = 1 with Q1 = 2, ... Q6 = 7, Q7 = 2, ...):
  // sum 212, 212 mod 11 = 3, check digit 11 - 3 = 8.
  EXPECT_TRUE(valid_my_number("123456789018"));
  EXPECT_TRUE(valid_my_number("1234-5678-9018"));
  for (char c = '0'; c <= '9'; ++c) {
    if (c == '8') continue;
    EXPECT_FALSE(valid_my_number(std::string("12345678901") + c)) << c;
  }
  EXPECT_FALSE(valid_my_number("12345678901"));  // 11 digits
}

TEST(Validators, CorporateNumberCheckDigit) {
  EXPECT_TRUE(valid_corporate_number("7000012050002"));   // 国税庁 (National Tax Agency)
  EXPECT_TRUE(valid_corporate_number("T7000012050002"));  // as an invoice issuer number
  EXPECT_FALSE(valid_corporate_number("6000012050002"));
  EXPECT_FALSE(valid_corporate_number("700001205000"));
}

TEST(Validators, JapanesePhoneNumbersHaveTheirLengths) {
  EXPECT_TRUE(valid_jp_phone("03-1234-5678"));
  EXPECT_TRUE(valid_jp_phone("090-1234-5678"));
  EXPECT_TRUE(valid_jp_phone("0120-123-456"));
  EXPECT_TRUE(valid_jp_phone("03(1234)5678"));
  EXPECT_TRUE(valid_jp_phone("+81 3-1234-5678"));
  EXPECT_TRUE(valid_jp_phone("09012345678"));
  EXPECT_FALSE(valid_jp_phone("090-1234-567"));   // mobile needs 11 digits
  EXPECT_FALSE(valid_jp_phone("03-1234-56789"));  // fixed lines have 10
  EXPECT_FALSE(valid_jp_phone("0012-345-6789"));  // a carrier prefix, not a number
}

TEST(Validators, EmailAddresses) {
  EXPECT_TRUE(valid_email("taro.yamada@example.co.jp"));
  EXPECT_TRUE(valid_email("a+tag@mail.example.com"));
  EXPECT_FALSE(valid_email("a@localhost"));
  EXPECT_FALSE(valid_email("a@example.c0m"));
  EXPECT_FALSE(valid_email(".a@example.com"));
  EXPECT_FALSE(valid_email("a@-example.com"));
}

TEST(Validators, MasksNeverShowAWholeValue) {
  EXPECT_EQ(mask_digits("1234-5678-9018"), "****-****-9018");
  EXPECT_EQ(mask_digits("4111111111111111"), "************1111");
  EXPECT_EQ(mask_email("taro@example.jp"), "t***@example.jp");
  EXPECT_EQ(mask_token("AKIAABCDEFGHIJKLMNOP"), "AKIA****************");
}

}  // namespace
}  // namespace kagami::inspect
