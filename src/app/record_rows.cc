#include "app/record_rows.h"

#include <cstdio>

#include "kagami/base/time.h"

#include "app/display_zone.h"

namespace kagami::app {

std::string endpoint(const IpAddress& ip, std::uint16_t port) {
  return (ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]") + ":" + std::to_string(port);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string cell(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  if (out.empty()) out = "-";
  if (max != 0 && out.size() > max) out = out.substr(0, max - 1) + "~";
  return out;
}

namespace {

std::string fmt_row(const char* format, auto... args) {
  char buf[4096];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

}  // namespace

namespace {

std::string session_endpoint(const IpAddress& ip, std::uint16_t port, std::uint8_t transport) {
  const std::string a = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
  if (transport != 6 && transport != 17) return a;
  return a + ":" + std::to_string(port);
}

}  // namespace

std::string sessions_header() {
  return zone_label(
      "ID       START (UTC)                    SECONDS PROTO  CLIENT                             "
      "       SERVER                                       PKTS C>S/S>C         BYTES C>S/S>C "
      "FLAGS");
}

std::string session_row(const records::SessionRecord& r) {
  const std::string pkts = std::to_string(r.pkts_c2s) + "/" + std::to_string(r.pkts_s2c);
  const std::string bytes = std::to_string(r.bytes_c2s) + "/" + std::to_string(r.bytes_s2c);
  const std::string flags = join(records::session_flag_names(r.flags));
  return fmt_row("%-8llu %-27s %10.3f %-6s %-41s %-41s %15s %21s %s",
                 static_cast<unsigned long long>(r.id), shown_time(r.ts_first).c_str(),
                 static_cast<double>(r.ts_last - r.ts_first) / 1e9,
                 records::transport_name(r.transport).c_str(),
                 session_endpoint(r.client_ip, r.client_port, r.transport).c_str(),
                 session_endpoint(r.server_ip, r.server_port, r.transport).c_str(), pkts.c_str(),
                 bytes.c_str(), flags.empty() ? "-" : flags.c_str());
}

namespace {

const CellValue* find(const std::vector<CellValue>& cells, std::string_view name) {
  for (const CellValue& c : cells)
    if (c.name == name) return &c;
  return nullptr;
}

std::string text_of(const std::vector<CellValue>& cells, std::string_view name) {
  const CellValue* c = name.empty() ? nullptr : find(cells, name);
  return c != nullptr && c->text != nullptr ? *c->text : std::string();
}

std::vector<std::string> list_of(const std::vector<CellValue>& cells, std::string_view name) {
  const CellValue* c = name.empty() ? nullptr : find(cells, name);
  return c != nullptr && c->list != nullptr ? *c->list : std::vector<std::string>();
}

std::string value_of(const records::Column& col, const std::vector<CellValue>& cells) {
  using records::Shown;
  const CellValue* c = find(cells, col.field);
  switch (col.shown) {
    case Shown::kTime:
      return shown_time(c != nullptr ? c->integer : 0);
    case Shown::kEndpoint: {
      const std::string side(col.field);
      const CellValue* ip = find(cells, side + "_ip");
      const CellValue* port = find(cells, side + "_port");
      return endpoint(ip != nullptr && ip->ip != nullptr ? *ip->ip : IpAddress(),
                      static_cast<std::uint16_t>(port != nullptr ? port->integer : 0));
    }
    case Shown::kText: {
      std::string t = text_of(cells, col.field);
      if (t.empty()) t = text_of(cells, col.other);
      return cell(t, col.max);
    }
    case Shown::kList: {
      std::vector<std::string> l = list_of(cells, col.field);
      if (l.empty()) l = list_of(cells, col.other);
      return cell(join(l, std::string(col.separator).c_str()), col.max);
    }
    case Shown::kNumber:
      return c != nullptr ? c->number : "0";
    case Shown::kNumberOrDash:
      return c != nullptr && c->set ? c->number : "-";
    case Shown::kTextAndOther: {
      std::string t = text_of(cells, col.field);
      const std::string other = text_of(cells, col.other);
      if (!other.empty()) t += std::string(col.separator) + other;
      return cell(t, col.max);
    }
    case Shown::kTextUnless: {
      const CellValue* flag = find(cells, col.other);
      if (flag != nullptr && flag->set) return cell(col.note, col.max);
      return cell(text_of(cells, col.field), col.max);
    }
  }
  return {};
}

std::string padded(std::string v, const records::Column& col) {
  if (v.size() >= col.width) return v;
  const std::string fill(col.width - v.size(), ' ');
  return col.right ? fill + v : v + fill;
}

}  // namespace

namespace {

// The command line's columns in order, each padded to its width after its gap; a row's values
// with what the column writes around them (a header's labels without).
template <class Cell>
std::string join_columns(std::span<const records::Column> columns, bool around, Cell cell) {
  std::string out;
  bool first = true;
  for (const records::Column& col : columns) {
    if (col.console_only) continue;
    if (!first) out.append(col.gap, ' ');
    first = false;
    if (around) out += col.before;
    out += padded(cell(col), col);
    if (around) out += col.after;
  }
  return out;
}

}  // namespace

std::string header_of(std::span<const records::Column> columns) {
  std::string out = join_columns(columns, false,
                                 [](const records::Column& col) { return zone_label(col.label); });
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string row_of(std::span<const records::Column> columns, const std::vector<CellValue>& cells) {
  return join_columns(columns, true,
                      [&](const records::Column& col) { return value_of(col, cells); });
}

std::string files_header() {
  return zone_label(
      "TIME (UTC)                  SHA256                                                          "
      " "
      "      SIZE MIME                           PROTO DIRECTION SESSION  NAME");
}

std::string files_row(const records::FileRecord& f, const records::FileEvent& e) {
  return fmt_row("%-27s %-64s %10llu %-30s %-5s %-9s %-8llu %s%s", shown_time(e.ts).c_str(),
                 f.sha256.c_str(), static_cast<unsigned long long>(f.size),
                 cell(f.mime, 30).c_str(), cell(e.protocol).c_str(), cell(e.direction).c_str(),
                 static_cast<unsigned long long>(e.session_id), cell(e.name, 120).c_str(),
                 e.partial ? " (partial)" : "");
}

}  // namespace kagami::app
