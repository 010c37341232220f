#pragma once

// Builds Office 97-2003 files in memory for tests: the compound file by libgsf's writer, the
// records by hand, the least each format needs — a BIFF8 workbook of one sheet, a Word 97
// document of one UTF-16 piece, a PowerPoint document of one text atom — and rewrites of a
// real file with one stream changed. Real files made by LibreOffice are under
// tests/fixtures/legacy_office.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-utils.h>

namespace kagami::test {

inline void le16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void le32(std::string& s, std::uint32_t v) {
  le16(s, v & 0xFFFF);
  le16(s, v >> 16);
}

// UTF-8 to UTF-16LE (the BMP is enough for tests).
inline std::string utf16le(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = c;
    int n = 1;
    if (c >= 0xF0)
      cp = c & 0x07, n = 4;
    else if (c >= 0xE0)
      cp = c & 0x0F, n = 3;
    else if (c >= 0xC0)
      cp = c & 0x1F, n = 2;
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += static_cast<std::size_t>(n);
    if (cp == '\n') cp = '\r';  // Word's paragraph mark
    le16(out, cp > 0xFFFF ? 0xFFFD : cp);
  }
  return out;
}

// A compound file of the named streams.
inline std::string compound_file(const std::vector<std::pair<std::string, std::string>>& streams) {
  gsf_init();
  GsfOutput* mem = gsf_output_memory_new();
  GsfOutfile* ole = gsf_outfile_msole_new(mem);
  for (const auto& [name, data] : streams) {
    GsfOutput* child = gsf_outfile_new_child(ole, name.c_str(), FALSE);
    gsf_output_write(child, data.size(), reinterpret_cast<const guint8*>(data.data()));
    gsf_output_close(child);
    g_object_unref(child);
  }
  gsf_output_close(GSF_OUTPUT(ole));
  g_object_unref(ole);
  const std::string out(
      reinterpret_cast<const char*>(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem))),
      static_cast<std::size_t>(gsf_output_size(mem)));
  g_object_unref(mem);
  return out;
}

// The streams of a compound file (its top level; Office files keep theirs there).
inline std::vector<std::pair<std::string, std::string>> compound_streams(const std::string& cfb) {
  gsf_init();
  std::vector<std::pair<std::string, std::string>> out;
  GsfInput* in = gsf_input_memory_new(reinterpret_cast<const guint8*>(cfb.data()),
                                      static_cast<gsf_off_t>(cfb.size()), FALSE);
  GsfInfile* ole = gsf_infile_msole_new(in, nullptr);
  for (int i = 0; ole != nullptr && i < gsf_infile_num_children(ole); ++i) {
    GsfInput* c = gsf_infile_child_by_index(ole, i);
    const auto n = static_cast<std::size_t>(gsf_input_size(c));
    std::string data(n, '\0');
    if (n > 0) gsf_input_read(c, n, reinterpret_cast<guint8*>(data.data()));
    out.emplace_back(gsf_input_name(c), std::move(data));
    g_object_unref(c);
  }
  if (ole != nullptr) g_object_unref(ole);
  g_object_unref(in);
  return out;
}

// BIFF8: one sheet, one cell per line of `text` (a shared string each, LABELSST cells).
inline std::string xls_with(const std::string& text, bool encrypted = false) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (nl > at) lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  auto record = [](std::string& s, unsigned type, const std::string& body) {
    le16(s, type);
    le16(s, static_cast<unsigned>(body.size()));
    s += body;
  };
  std::string bof;
  le16(bof, 0x0600);  // BIFF8
  le16(bof, 0x0005);  // workbook globals
  le32(bof, 0);
  le32(bof, 0);
  le32(bof, 0);
  std::string wb;
  record(wb, 0x0809, bof);
  if (encrypted) record(wb, 0x002F, std::string("\x01\x00\x01\x00", 4) + std::string(48, '\0'));
  std::string sst;
  le32(sst, static_cast<std::uint32_t>(lines.size()));
  le32(sst, static_cast<std::uint32_t>(lines.size()));
  for (const std::string& l : lines) {
    const std::string u = utf16le(l);
    le16(sst, static_cast<unsigned>(u.size() / 2));
    sst.push_back(1);  // two bytes a character
    sst += u;
  }
  record(wb, 0x00FC, sst);
  record(wb, 0x000A, "");
  std::string sheet_bof = bof;
  sheet_bof[2] = 0x10;  // a worksheet
  record(wb, 0x0809, sheet_bof);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string cell;
    le16(cell, static_cast<unsigned>(i));
    le16(cell, 0);
    le16(cell, 15);
    le32(cell, static_cast<std::uint32_t>(i));
    record(wb, 0x00FD, cell);
  }
  record(wb, 0x000A, "");
  return compound_file({{"Workbook", wb}});
}

// Word 97: a FIB pointing at one UTF-16 piece of `text` through the piece table in 1Table.
inline std::string doc_with(const std::string& text, bool encrypted = false) {
  const std::string chars = utf16le(text + "\n");
  const std::uint32_t cps = static_cast<std::uint32_t>(chars.size() / 2);
  std::string fib(0x800, '\0');
  fib[0] = static_cast<char>(0xEC);
  fib[1] = static_cast<char>(0xA5);
  fib[2] = static_cast<char>(0xC1);  // nFib 0x00C1: Word 97
  fib[3] = 0x00;
  fib[0x0A] = 0x00;
  fib[0x0B] = static_cast<char>(encrypted ? 0x03 : 0x02);  // fWhichTblStm (1Table), fEncrypted
  std::string rest;
  le16(rest, 14);  // csw
  rest.append(28, '\0');
  le16(rest, 22);  // cslw
  std::string lw(88, '\0');
  lw[12] = static_cast<char>(cps & 0xFF);  // ccpText
  lw[13] = static_cast<char>((cps >> 8) & 0xFF);
  rest += lw;
  le16(rest, 93);  // cbRgFcLcb: Word 97's pairs
  std::string pairs(93 * 8, '\0');
  std::string clx;
  clx.push_back(0x02);
  std::string plc;
  le32(plc, 0);
  le32(plc, cps);
  le16(plc, 0);
  le32(plc, 0x800);  // the piece's UTF-16 text starts here in WordDocument
  le16(plc, 0);
  le32(clx, static_cast<std::uint32_t>(plc.size()));
  clx += plc;
  std::string pair;
  le32(pair, 0);  // fcClx: the table stream holds only the Clx
  le32(pair, static_cast<std::uint32_t>(clx.size()));
  pairs.replace(33 * 8, 8, pair);
  rest += pairs;
  fib.replace(0x20, rest.size(), rest);
  return compound_file({{"WordDocument", fib + chars}, {"1Table", clx}});
}

// PowerPoint 97: a document container holding one TextCharsAtom a line.
inline std::string ppt_with(const std::string& text) {
  std::string atoms;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    const std::string u = utf16le(text.substr(at, nl - at));
    le16(atoms, 0x0000);
    le16(atoms, 0x0FA0);
    le32(atoms, static_cast<std::uint32_t>(u.size()));
    atoms += u;
    at = nl + 1;
  }
  std::string doc;
  le16(doc, 0x000F);  // a container
  le16(doc, 0x03E8);  // DocumentContainer
  le32(doc, static_cast<std::uint32_t>(atoms.size()));
  doc += atoms;
  return compound_file({{"PowerPoint Document", doc}, {"Current User", std::string(20, '\0')}});
}

}  // namespace kagami::test
