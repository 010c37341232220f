#include "kagami/inspect/validators.h"

#include <cstdint>

namespace kagami::inspect {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The separators between digit groups: none, or all the same one.
bool consistent_separators(std::string_view v) {
  char sep = 0;
  for (char c : v) {
    if (is_digit(c)) continue;
    if (sep == 0)
      sep = c;
    else if (c != sep)
      return false;
  }
  return true;
}

bool luhn(const std::string& d) {
  int sum = 0;
  bool twice = false;
  for (auto it = d.rbegin(); it != d.rend(); ++it) {
    int v = *it - '0';
    if (twice) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

int prefix_number(const std::string& d, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n && i < d.size(); ++i) v = v * 10 + (d[i] - '0');
  return v;
}

// Issuer identification ranges and lengths (ISO/IEC 7812 as the card schemes publish them).
// Each issuer has the length its cards are issued in today, and lengths its range allows but
// few cards carry (13-digit Visa stopped long ago; 19-digit numbers are debit and prepaid):
// those are a card only where the text says so.
CardNumber issuer_kind(const std::string& d) {
  const std::size_t n = d.size();
  const int p1 = prefix_number(d, 1), p2 = prefix_number(d, 2), p3 = prefix_number(d, 3),
            p4 = prefix_number(d, 4), p6 = prefix_number(d, 6);
  auto lengths = [n](std::initializer_list<std::size_t> usual, std::size_t lo, std::size_t hi) {
    for (const std::size_t u : usual)
      if (n == u) return CardNumber::kUsual;
    return n >= lo && n <= hi ? CardNumber::kUnusual : CardNumber::kNo;
  };
  if (p1 == 4) return n == 13 || n == 19 ? CardNumber::kUnusual : lengths({16}, 16, 16);   // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return lengths({16}, 16, 16);  // MC
  if (p2 == 34 || p2 == 37) return lengths({15}, 15, 15);                                  // Amex
  if (p4 >= 3528 && p4 <= 3589) return lengths({16}, 16, 19);                              // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)                        // Diners
    return lengths({14, 16}, 14, 19);
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 ||  // Discover
      (p6 >= 622126 && p6 <= 622925))
    return lengths({16}, 16, 19);
  if (p2 == 62) return lengths({16}, 16, 19);  // UnionPay
  return CardNumber::kNo;
}

}  // namespace

std::string digits_of(std::string_view value) {
  std::string d;
  d.reserve(value.size());
  for (char c : value)
    if (is_digit(c)) d.push_back(c);
  return d;
}

CardNumber credit_card_kind(std::string_view value) {
  if (!consistent_separators(value)) return CardNumber::kNo;
  const std::string d = digits_of(value);
  if (d.size() < 13 || d.size() > 19 || !luhn(d)) return CardNumber::kNo;
  return issuer_kind(d);
}

bool valid_credit_card(std::string_view value) {
  return credit_card_kind(value) != CardNumber::kNo;
}

bool valid_gtin(std::string_view value) {
  const std::string d = digits_of(value);
  if (d.size() != 8 && d.size() != 12 && d.size() != 13 && d.size() != 14) return false;
  // GS1 General Specifications 7.9.1: from the right, the digits before the check digit weigh
  // 3, 1, 3, 1, ...; the check digit makes the sum a multiple of ten.
  int sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); ++i) {
    const std::size_t from_right = d.size() - 2 - i;  // 0 for the digit before the check
    sum += (d[i] - '0') * (from_right % 2 == 0 ? 3 : 1);
  }
  return (10 - sum % 10) % 10 == d.back() - '0';
}

bool looks_like_jan(std::string_view value) {
  const std::string d = digits_of(value);
  return d.size() == 13 && (d.compare(0, 2, "45") == 0 || d.compare(0, 2, "49") == 0) &&
         valid_gtin(d);
}

bool valid_my_number(std::string_view value) {
  if (!consistent_separators(value)) return false;
  const std::string d = digits_of(value);
  if (d.size() != 12) return false;
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {  // P_n: the n-th digit from the right, before the check digit
    const int p = d[static_cast<std::size_t>(11 - n)] - '0';
    const int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const int r = sum % 11;
  const int check = r <= 1 ? 0 : 11 - r;
  return d[11] - '0' == check;
}

bool valid_corporate_number(std::string_view value) {
  if (!value.empty() && value.front() == 'T') value.remove_prefix(1);
  if (!consistent_separators(value)) return false;
  const std::string d = digits_of(value);
  if (d.size() != 13) return false;
  int sum = 0;
  for (int n = 1; n <= 12; ++n) {  // P_n: the n-th digit from the right of the 12
    const int p = d[static_cast<std::size_t>(13 - n)] - '0';
    sum += p * (n % 2 == 1 ? 1 : 2);
  }
  return d[0] - '0' == 9 - sum % 9;
}

bool valid_jp_phone(std::string_view value) {
  std::string d;
  std::string_view v = value;
  if (v.substr(0, 3) == "+81") {
    d = "0";
    v.remove_prefix(3);
  }
  for (char c : v) {
    if (is_digit(c))
      d.push_back(c);
    else if (c != '-' && c != '(' && c != ')' && c != ' ')
      return false;
  }
  if (d.size() < 10 || d[0] != '0') return false;
  const std::string_view s(d);
  const bool eleven = s.substr(0, 3) == "070" || s.substr(0, 3) == "080" ||
                      s.substr(0, 3) == "090" || s.substr(0, 3) == "050" ||
                      s.substr(0, 3) == "020" || s.substr(0, 4) == "0800";
  if (eleven) return d.size() == 11;
  if (d[1] == '0') return s.substr(0, 4) == "0120" && d.size() == 10;  // other 00x are carriers
  return d.size() == 10;
}

bool valid_jp_passport(std::string_view value) {
  if (value.size() != 9) return false;
  if (!(value[0] >= 'A' && value[0] <= 'Z' && value[1] >= 'A' && value[1] <= 'Z')) return false;
  for (std::size_t i = 2; i < 9; ++i)
    if (!is_digit(value[i])) return false;
  return true;
}

bool valid_email(std::string_view value) {
  const std::size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || value.size() > 254) return false;
  if (value.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = value.substr(0, at), domain = value.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  std::size_t labels = 0, start = 0;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    const std::string_view label = domain.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    ++labels;
    if (dot == domain.size()) {
      if (label.size() < 2) return false;
      for (char c : label)
        if (!is_alpha(c)) return false;  // top-level domains are alphabetic
      break;
    }
    start = dot + 1;
  }
  return labels >= 2;
}

std::string mask_digits(std::string_view value) {
  std::size_t total = 0;
  for (char c : value)
    if (is_digit(c)) ++total;
  std::string out(value);
  std::size_t seen = 0;
  for (char& c : out) {
    if (!is_digit(c)) continue;
    if (total - seen > 4) c = '*';
    ++seen;
  }
  return out;
}

std::string mask_email(std::string_view value) {
  const std::size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(value.substr(0, 1)) + "***" + std::string(value.substr(at));
}

std::string mask_token(std::string_view value) {
  return std::string(value.substr(0, 4)) +
         std::string(value.size() > 4 ? value.size() - 4 : 0, '*');
}

}  // namespace kagami::inspect
