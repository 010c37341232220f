#include "kagami/analyzers/mail/mail_sighting.h"

#include <algorithm>

#include "kagami/base/ascii.h"

namespace kagami::analyzers {
namespace {

// "田中 <Tanaka@Example.jp>" -> "tanaka@example.jp".
std::string address_of(std::string_view field) {
  const std::size_t open = field.rfind('<');
  if (open != std::string_view::npos) {
    const std::size_t close = field.find('>', open);
    field = field.substr(
        open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
  }
  while (!field.empty() && (field.front() == ' ' || field.front() == '"')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '"')) field.remove_suffix(1);
  if (field.find('@') == std::string_view::npos) return "";
  std::string out(field);
  for (char& c : out) c = static_cast<char>(ascii_lower(c));
  return out;
}

}  // namespace

void mail_addresses(const records::MailRecord& m, std::string& sender,
                    std::vector<std::string>& recipients) {
  sender = address_of(m.mail_from);
  if (sender.empty()) sender = address_of(m.from);
  recipients.clear();
  for (const auto* list : {&m.rcpt_to, &m.to, &m.cc})
    for (const std::string& r : *list)
      if (std::string a = address_of(r); !a.empty()) recipients.push_back(std::move(a));
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
}

bool may_be_archive(const records::FileRecord& f, const records::FileEvent& e) {
  for (std::string_view type : {"zip", "7z", "rar"})
    if (f.mime.find(type) != std::string::npos) return true;
  const std::size_t dot = e.name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string_view ext = std::string_view(e.name).substr(dot + 1);
  for (std::string_view known : {"zip", "7z", "rar"})
    if (iequals(ext, known)) return true;
  return false;
}

}  // namespace kagami::analyzers
