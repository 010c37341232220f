#include "kagami/content/legacy_office.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <gsf/gsf-utils.h>
#include <unicode/ucnv.h>

#include "kagami/content/utf8_append.h"

namespace kagami::content {
namespace {

using Status = LegacyText::Status;

// Streams bigger than this are not read whole (a workbook of this size is a table of
// millions of cells; its first part is read and the text flagged truncated).
constexpr std::size_t kMaxStreamBytes = 256u << 20;

std::uint16_t u16(std::string_view s, std::size_t at) {
  if (at + 2 > s.size()) return 0;
  return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) |
                                    (static_cast<unsigned char>(s[at + 1]) << 8));
}

std::uint32_t u32(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return 0;
  return static_cast<std::uint32_t>(u16(s, at)) |
         (static_cast<std::uint32_t>(u16(s, at + 2)) << 16);
}

template <typename T>
struct GObj {
  T* p = nullptr;
  explicit GObj(T* x) : p(x) {}
  ~GObj() {
    if (p != nullptr) g_object_unref(p);
  }
  GObj(const GObj&) = delete;
  GObj& operator=(const GObj&) = delete;
};

// One stream of the compound file, whole (or its first kMaxStreamBytes); nullopt-like empty
// with `found` false when there is none.
std::string stream(GsfInfile* ole, const char* name, bool& found, bool& cut) {
  GObj<GsfInput> in(gsf_infile_child_by_name(ole, name));
  found = in.p != nullptr;
  if (!found) return {};
  const gsf_off_t size = gsf_input_size(in.p);
  const std::size_t n = static_cast<std::size_t>(
      std::min<gsf_off_t>(size < 0 ? 0 : size, static_cast<gsf_off_t>(kMaxStreamBytes)));
  cut = static_cast<std::size_t>(size) > n;
  std::string out(n, '\0');
  if (n > 0 && gsf_input_read(in.p, n, reinterpret_cast<guint8*>(out.data())) == nullptr)
    out.clear();
  return out;
}

// Text out, bounded: what does not fit is cut and said so.
struct Out {
  std::string text;
  std::size_t max;
  bool truncated = false;
  bool full() const { return text.size() >= max; }
  void add(std::string_view s) {
    if (truncated) return;
    if (text.size() + s.size() > max) {
      text.append(s.substr(0, max - text.size()));
      truncated = true;
      return;
    }
    text.append(s);
  }
};

// UTF-16LE code units as UTF-8 (surrogate pairs joined, lone ones replaced).
void utf16_to_utf8(std::string_view bytes, std::string& out) {
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    std::uint32_t cp = u16(bytes, i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes.size()) {
      const std::uint32_t low = u16(bytes, i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    append_utf8(cp, out);
  }
}

// Bytes in a Windows code page as UTF-8 (ICU).
std::string codepage_to_utf8(std::string_view bytes, const char* charset) {
  std::string out(bytes.size() * 3 + 8, '\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = ucnv_convert("UTF-8", charset, out.data(), static_cast<int32_t>(out.size()),
                                 bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  if (U_FAILURE(status)) return {};
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Status failed(std::string& note, const char* why, Status status) {
  note = why;
  return status;
}

// ---- Excel: BIFF8 ([MS-XLS]) and BIFF5 -------------------------------------------------------

struct BiffRecord {
  std::uint16_t type = 0;
  std::string_view data;
};

std::vector<BiffRecord> biff_records(std::string_view s) {
  std::vector<BiffRecord> out;
  for (std::size_t at = 0; at + 4 <= s.size();) {
    const std::uint16_t type = u16(s, at), len = u16(s, at + 2);
    if (at + 4 + len > s.size()) break;
    out.push_back({type, s.substr(at + 4, len)});
    at += 4 + len;
  }
  return out;
}

// The bytes of a record and the CONTINUE records after it, read across their boundaries. At a
// boundary inside a string's characters the next part begins with a byte saying whether the
// characters go on in one or two bytes (2.5.293 XLUnicodeRichExtendedString).
class BiffReader {
 public:
  explicit BiffReader(std::vector<std::string_view> parts) : parts_(std::move(parts)) {}
  bool done() const { return part_ >= parts_.size(); }
  bool at_boundary() const { return at_ == 0 && part_ > 0; }
  int byte() {
    settle();
    if (done()) return -1;
    return static_cast<unsigned char>(parts_[part_][at_++]);
  }
  std::uint32_t bytes_le(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const int b = byte();
      if (b < 0) return v;
      v |= static_cast<std::uint32_t>(b) << (8 * i);
    }
    return v;
  }
  void skip(std::uint64_t n) {
    while (n > 0 && !done()) {
      settle();
      if (done()) return;
      const std::size_t room = parts_[part_].size() - at_;
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(room, n));
      at_ += k;
      n -= k;
    }
  }
  // `count` characters, one or two bytes each; a new part re-states the width.
  void chars(std::uint32_t count, bool high, std::string& out) {
    for (std::uint32_t i = 0; i < count && !done(); ++i) {
      settle();
      if (at_ == 0 && part_ > 0 && i > 0) {
        const int grbit = byte();
        if (grbit < 0) return;
        high = (grbit & 1) != 0;
      }
      std::uint32_t cp = static_cast<std::uint32_t>(byte());
      if (high) cp |= static_cast<std::uint32_t>(byte()) << 8;
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // halves of a pair: rare in cells
      append_utf8(cp, out);
    }
  }
  // One XLUnicodeRichExtendedString (shared strings).
  std::string rich_string() {
    std::string out;
    const std::uint32_t cch = bytes_le(2);
    const int grbit = byte();
    if (grbit < 0) return out;
    const std::uint32_t runs = (grbit & 8) ? bytes_le(2) : 0;
    const std::uint32_t ext = (grbit & 4) ? bytes_le(4) : 0;
    chars(cch, (grbit & 1) != 0, out);
    skip(static_cast<std::uint64_t>(runs) * 4 + ext);
    return out;
  }

 private:
  void settle() {
    while (part_ < parts_.size() && at_ >= parts_[part_].size()) {
      ++part_;
      at_ = 0;
    }
  }
  std::vector<std::string_view> parts_;
  std::size_t part_ = 0, at_ = 0;
};

// XLUnicodeString in one record: cch (16 bits), a width byte, the characters.
std::string unicode_string(std::string_view d, std::size_t at) {
  std::string out;
  if (at + 3 > d.size()) return out;
  BiffReader r({d.substr(at)});
  const std::uint32_t cch = r.bytes_le(2);
  const int grbit = r.byte();
  r.chars(cch, (grbit & 1) != 0, out);
  return out;
}

// RK: a number packed in 32 bits (2.5.217).
double rk_value(std::uint32_t rk) {
  double v;
  if (rk & 2) {
    v = static_cast<double>(static_cast<std::int32_t>(rk) >> 2);
  } else {
    const std::uint64_t bits = static_cast<std::uint64_t>(rk & 0xFFFFFFFCu) << 32;
    std::memcpy(&v, &bits, sizeof v);
  }
  return (rk & 1) ? v / 100 : v;
}

// A cell's number as a person reads it: 123456789018, not 1.23456789018e+11.
std::string number_text(double v) {
  if (!std::isfinite(v)) return {};
  char buf[40];
  if (std::fabs(v) < 1e16 && std::floor(v) == v)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

Status excel_text(std::string_view stream, bool biff5, Out& out, std::string& note) {
  const std::vector<BiffRecord> records = biff_records(stream);
  if (records.empty() || (records[0].type != 0x0809 && records[0].type != 0x0409))
    return failed(note, "an Excel stream without its BOF record", Status::kCorrupt);
  std::vector<std::string> shared;
  std::string codepage = "windows-1252";
  int row = -1;
  bool cells = false;
  auto cell = [&](std::uint16_t r, const std::string& text) {
    if (row != r) {
      if (cells) out.add("\n");
      row = r;
      cells = false;
    }
    if (cells) out.add("\t");
    out.add(text);
    cells = true;
  };
  auto eight_bit = [&](std::string_view d, std::size_t at) {  // BIFF5: cch, code page bytes
    const std::uint16_t n = u16(d, at);
    return codepage_to_utf8(d.substr(std::min(d.size(), at + 2), n), codepage.c_str());
  };
  for (std::size_t i = 0; i < records.size() && !out.full(); ++i) {
    const BiffRecord& rec = records[i];
    const std::string_view d = rec.data;
    switch (rec.type) {
      case 0x002F:  // FILEPASS: the rest is RC4 or XOR encrypted
        return failed(note, "password-protected Excel workbook", Status::kEncrypted);
      case 0x0042:  // CODEPAGE (BIFF5 strings are in it)
        codepage = u16(d, 0) == 932 ? "windows-31j" : "windows-" + std::to_string(u16(d, 0));
        break;
      case 0x0809:  // BOF: a sheet starts
      case 0x000A:  // EOF
        if (cells) out.add("\n");
        row = -1;
        cells = false;
        break;
      case 0x0085: {  // BOUNDSHEET: the sheet's name
        std::string name;
        if (biff5) {
          name = codepage_to_utf8(d.substr(std::min<std::size_t>(d.size(), 7),
                                           d.size() > 6 ? static_cast<unsigned char>(d[6]) : 0),
                                  codepage.c_str());
        } else if (d.size() > 7) {
          BiffReader r({d.substr(6)});
          const std::uint32_t cch = r.bytes_le(1);
          const int grbit = r.byte();
          r.chars(cch, (grbit & 1) != 0, name);
        }
        out.add(name + "\n");
        break;
      }
      case 0x00FC: {  // SST, and its CONTINUE records
        std::vector<std::string_view> parts = {d.substr(std::min<std::size_t>(d.size(), 8))};
        for (std::size_t k = i + 1; k < records.size() && records[k].type == 0x003C; ++k)
          parts.push_back(records[k].data);
        BiffReader r(std::move(parts));
        const std::uint32_t unique = u32(d, 4);
        for (std::uint32_t k = 0; k < unique && !r.done() && shared.size() < 4'000'000; ++k)
          shared.push_back(r.rich_string());
        break;
      }
      case 0x00FD: {  // LABELSST
        const std::uint32_t isst = u32(d, 6);
        cell(u16(d, 0), isst < shared.size() ? shared[isst] : std::string());
        break;
      }
      case 0x0204:  // LABEL
      case 0x00D6:  // RSTRING
        cell(u16(d, 0), biff5 ? eight_bit(d, 6) : unicode_string(d, 6));
        break;
      case 0x0203:  // NUMBER
        if (d.size() >= 14) {
          double v;
          std::memcpy(&v, d.data() + 6, sizeof v);
          cell(u16(d, 0), number_text(v));
        }
        break;
      case 0x027E:  // RK
        cell(u16(d, 0), number_text(rk_value(u32(d, 6))));
        break;
      case 0x00BD: {  // MULRK: a run of RK cells
        for (std::size_t at = 4; d.size() >= 6 && at + 6 <= d.size() - 2; at += 6)
          cell(u16(d, 0), number_text(rk_value(u32(d, at + 2))));
        break;
      }
      case 0x0006:  // FORMULA: its cached result
        if (d.size() >= 14) {
          if (u16(d, 12) == 0xFFFF) {
            if (static_cast<unsigned char>(d[6]) == 0 && i + 1 < records.size() &&
                records[i + 1].type == 0x0207)  // the string result follows in STRING
              cell(u16(d, 0), biff5 ? eight_bit(records[i + 1].data, 0)
                                    : unicode_string(records[i + 1].data, 0));
          } else {
            double v;
            std::memcpy(&v, d.data() + 6, sizeof v);
            cell(u16(d, 0), number_text(v));
          }
        }
        break;
      case 0x0014:  // HEADER
      case 0x0015:  // FOOTER: printed on every page (社外秘 lives here)
        if (!d.empty()) {
          std::string text =
              biff5 ? codepage_to_utf8(d.substr(1), codepage.c_str()) : unicode_string(d, 0);
          // The same &L &C &R codes as OOXML headers: sections become spaces.
          std::string clean;
          for (std::size_t k = 0; k < text.size(); ++k) {
            if (text[k] == '&' && k + 1 < text.size()) {
              const char c = text[++k];
              if (c == '&') clean.push_back('&');
              if (c == 'L' || c == 'C' || c == 'R') clean.push_back(' ');
              if (c == '"') k = std::min(text.size(), text.find('"', k + 1));
              continue;
            }
            clean.push_back(text[k]);
          }
          out.add(clean + "\n");
        }
        break;
      default:
        break;
    }
  }
  if (cells) out.add("\n");
  return Status::kOk;
}

// ---- Word 97-2003 ([MS-DOC]) -------------------------------------------------------------

// The piece table's text with Word's control characters made plain: paragraphs and cells
// become lines and tabs, field instructions (between 0x13 and 0x14) go, their results stay.
void word_plain(const std::string& raw, Out& out) {
  std::string text;
  std::vector<bool> in_code;  // per open field: still in its instructions
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = static_cast<unsigned char>(raw[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    const bool hidden = !in_code.empty() && in_code.back();
    const bool last_was_cell = i > 0 && raw[i - 1] == 0x07;
    if (c == 0x13) {
      in_code.push_back(true);
    } else if (c == 0x14) {
      if (!in_code.empty()) in_code.back() = false;
    } else if (c == 0x15) {
      if (!in_code.empty()) in_code.pop_back();
    } else if (!hidden) {
      if (c == 0x0D || c == 0x0B || c == 0x0C) {
        text.push_back('\n');
      } else if (c == 0x07) {  // a cell's end; a second one right after it ends the row
        if (last_was_cell && !text.empty() && text.back() == '\t')
          text.back() = '\n';
        else
          text.push_back('\t');
      } else if (c == 0x1E) {
        text.push_back('-');  // a non-breaking hyphen
      } else if (c >= 0x20 || c == '\t') {
        text.append(raw, i, len);
      }
    }
    i += len;
  }
  out.add(text);
}

Status word_text(GsfInfile* ole, std::string_view doc, Out& out, std::string& note) {
  if (doc.size() < 0x22 || u16(doc, 0) != 0xA5EC)
    return failed(note, "a Word stream without its FIB", Status::kCorrupt);
  const std::uint16_t flags = u16(doc, 0x0A);
  if (flags & 0x0100) return failed(note, "password-protected Word document", Status::kEncrypted);
  if (u16(doc, 2) < 101) return failed(note, "a Word 6/95 document", Status::kUnsupported);
  // FibBase (32 bytes), then csw and FibRgW97, cslw and FibRgLw97, cbRgFcLcb and the pairs.
  std::size_t at = 0x20;
  const std::uint16_t csw = u16(doc, at);
  at += 2 + static_cast<std::size_t>(csw) * 2;
  const std::uint16_t cslw = u16(doc, at);
  at += 2 + static_cast<std::size_t>(cslw) * 4;
  const std::uint16_t pairs = u16(doc, at);
  at += 2;
  if (pairs < 34) return failed(note, "a Word FIB too short for its piece table", Status::kCorrupt);
  const std::uint32_t fc_clx = u32(doc, at + 33 * 8), lcb_clx = u32(doc, at + 33 * 8 + 4);
  bool found = false, cut = false;
  const std::string table = stream(ole, (flags & 0x0200) ? "1Table" : "0Table", found, cut);
  if (!found || static_cast<std::uint64_t>(fc_clx) + lcb_clx > table.size() || lcb_clx == 0)
    return failed(note, "a Word document without its piece table", Status::kCorrupt);
  // Clx: Prc entries (0x01, a 16-bit size, properties) then the Pcdt (0x02, lcb, PlcPcd).
  const std::string_view clx = std::string_view(table).substr(fc_clx, lcb_clx);
  std::size_t p = 0;
  while (p < clx.size() && clx[p] == 0x01) p += 3 + static_cast<std::int16_t>(u16(clx, p + 1));
  if (p + 5 > clx.size() || clx[p] != 0x02)
    return failed(note, "a Word piece table that does not parse", Status::kCorrupt);
  const std::uint32_t lcb = u32(clx, p + 1);
  const std::string_view plc = clx.substr(p + 5, std::min<std::size_t>(lcb, clx.size() - p - 5));
  const std::size_t n = plc.size() >= 4 ? (plc.size() - 4) / 12 : 0;
  std::string raw;
  for (std::size_t i = 0; i < n && raw.size() < out.max * 2; ++i) {
    const std::uint32_t cp0 = u32(plc, i * 4), cp1 = u32(plc, (i + 1) * 4);
    if (cp1 <= cp0) continue;
    const std::uint32_t fc = u32(plc, (n + 1) * 4 + i * 8 + 2);
    const std::size_t chars = cp1 - cp0;
    if (fc & 0x40000000) {  // 8-bit characters, CP1252, at fc/2
      const std::size_t off = (fc & 0x3FFFFFFF) / 2;
      if (off >= doc.size()) continue;
      raw += codepage_to_utf8(doc.substr(off, chars), "windows-1252");
    } else {
      if (fc >= doc.size()) continue;
      utf16_to_utf8(doc.substr(fc, chars * 2), raw);
    }
  }
  word_plain(raw, out);
  return Status::kOk;
}

// ---- PowerPoint 97-2003 ([MS-PPT]) -------------------------------------------------------

Status powerpoint_text(std::string_view s, Out& out, std::string& note) {
  for (std::size_t at = 0; at + 8 <= s.size() && !out.full();) {
    const std::uint16_t ver_instance = u16(s, at), type = u16(s, at + 2);
    const std::uint32_t len = u32(s, at + 4);
    if ((ver_instance & 0xF) == 0xF) {  // a container: its children follow
      if (type == 0x2F14)               // CryptSession10Container
        return failed(note, "password-protected PowerPoint presentation", Status::kEncrypted);
      at += 8;
      continue;
    }
    if (at + 8 + len > s.size()) break;
    const std::string_view body = s.substr(at + 8, len);
    std::string line;
    if (type == 0x0FA0 || type == 0x0FBA)  // TextCharsAtom, CString: UTF-16
      utf16_to_utf8(body, line);
    else if (type == 0x0FA8)  // TextBytesAtom: the low bytes of UTF-16
      for (const char c : body) append_utf8(static_cast<unsigned char>(c), line);
    // Names of PowerPoint's own binary tags (___PPT10, ___PPT12) are no text of anyone's.
    if (line.rfind("___PPT", 0) == 0) line.clear();
    if (!line.empty()) {
      for (char& c : line)
        if (c == '\r' || c == 0x0B) c = '\n';
      out.add(line + "\n");
    }
    at += 8 + len;
  }
  (void)note;
  return Status::kOk;
}

}  // namespace

LegacyText legacy_office_text(ByteView bytes, std::size_t max_text_bytes) {
  static std::once_flag once;
  std::call_once(once, [] {
    gsf_init();
    // libgsf reports a damaged container through GLib's log (g_return_if_fail): that is the
    // status returned here, not a message for the recorder's log.
    for (const char* domain : {"libgsf", "libgsf:msole"})
      g_log_set_handler(
          domain, static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK),
          [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  });
  LegacyText r;
  GError* error = nullptr;
  GObj<GsfInput> in(
      gsf_input_memory_new(bytes.data(), static_cast<gsf_off_t>(bytes.size()), FALSE));
  GObj<GsfInfile> ole(in.p != nullptr ? gsf_infile_msole_new(in.p, &error) : nullptr);
  if (ole.p == nullptr) {
    if (error != nullptr) g_error_free(error);
    // A container too damaged to open that still names an encrypted package is one.
    static const std::string kEncrypted("E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e", 31);
    const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (all.find(kEncrypted) != std::string_view::npos) {
      r.status = Status::kEncrypted;
      r.note = "password-protected Office document";
      return r;
    }
    r.status = Status::kCorrupt;
    r.note = "a compound file that does not open";
    return r;
  }
  Out out{{}, max_text_bytes};
  bool found = false, cut = false;
  // An encrypted OOXML document travels in a compound file (MS-OFFCRYPTO).
  if (GObj<GsfInput> e(gsf_infile_child_by_name(ole.p, "EncryptedPackage")); e.p != nullptr) {
    r.status = Status::kEncrypted;
    r.note = "password-protected Office document";
    return r;
  }
  if (std::string s = stream(ole.p, "Workbook", found, cut); found) {
    r.kind = "xls";
    r.status = excel_text(s, false, out, r.note);
  } else if (std::string s5 = stream(ole.p, "Book", found, cut); found) {
    r.kind = "xls";
    r.status = excel_text(s5, true, out, r.note);
  } else if (std::string d = stream(ole.p, "WordDocument", found, cut); found) {
    r.kind = "doc";
    r.status = word_text(ole.p, d, out, r.note);
  } else if (std::string p = stream(ole.p, "PowerPoint Document", found, cut); found) {
    r.kind = "ppt";
    if (GObj<GsfInput> e(gsf_infile_child_by_name(ole.p, "EncryptedSummary")); e.p != nullptr) {
      r.status = Status::kEncrypted;
      r.note = "password-protected PowerPoint presentation";
      return r;
    }
    r.status = powerpoint_text(p, out, r.note);
  } else {
    r.status = Status::kUnsupported;
    r.note = "a compound file that is not a Word, Excel or PowerPoint document";
    return r;
  }
  r.text = std::move(out.text);
  r.truncated = out.truncated || cut;
  if (r.truncated && r.note.empty()) r.note = "text beyond the bound not read";
  return r;
}

}  // namespace kagami::content
