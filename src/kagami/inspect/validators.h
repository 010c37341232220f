#pragma once

#include <string>
#include <string_view>

namespace kagami::inspect {

// Pure checks of a candidate value as the pattern matched it (separators included). Each
// says whether the value is what its detector claims; none looks at the surrounding text.

// A card number: Luhn over the digits, an issuer's number range (IIN) and one of that
// issuer's lengths; the separators, if any, all the same. kUsual: the length cards are issued
// in today (Visa, Mastercard, JCB 16, Amex 15, Diners 14 or 16); kUnusual: a length the range
// allows but few cards carry (13- and 19-digit Visa, 17-19 digits), a card only where the text
// around says so.
enum class CardNumber { kNo, kUsual, kUnusual };
CardNumber credit_card_kind(std::string_view value);
bool valid_credit_card(std::string_view value);  // kUsual or kUnusual

// A GS1 trade item number (GTIN-8, UPC-A 12, EAN/JAN-13, GTIN-14) by its check digit.
bool valid_gtin(std::string_view value);
// A JAN code: a GTIN-13 with a GS1 Japan prefix (45, 49). Product masters, price lists and
// orders are full of them; about one in ten also passes Luhn and looks like a 13-digit Visa,
// one in nine passes the corporate-number check.
bool looks_like_jan(std::string_view value);

// My Number (個人番号): 12 digits, the last a check digit over the other 11 (番号法施行令
// 第8条: weights 2..7 then 2..6 from the right, 11 minus the remainder mod 11, 0 for 0 or 1).
bool valid_my_number(std::string_view value);

// Corporate number (法人番号): 13 digits, the first a check digit over the other 12
// (9 minus the weighted sum mod 9, weights 1 and 2 alternating from the right). A leading
// "T" (qualified invoice issuer number) is allowed.
bool valid_corporate_number(std::string_view value);

// Japanese phone numbers as written: 0 and 9 more digits for fixed lines and toll-free 0120,
// 0 and 10 more for mobile (070/080/090), IP (050), M2M (020) and 0800; a +81 prefix
// replaces the leading 0. Hyphens, parentheses or spaces as separators.
bool valid_jp_phone(std::string_view value);

// A Japanese passport number: two capital letters and seven digits.
bool valid_jp_passport(std::string_view value);

// An e-mail address: a local part, one @, a domain of two or more labels (letters, digits,
// hyphens inside) ending in an alphabetic top-level domain; RFC 5321 lengths.
bool valid_email(std::string_view value);

// The digits of a value (separators dropped).
std::string digits_of(std::string_view value);

// What may be shown of a value in a finding: never the whole of it. Digits but the last four
// become '*'; an e-mail keeps its first character and domain; a token its first four.
std::string mask_digits(std::string_view value);
std::string mask_email(std::string_view value);
std::string mask_token(std::string_view value);

}  // namespace kagami::inspect
