// Content inspection speed, per core, in one run (bench/inspect_bench.sh):
//  * the limit: Hyperscan streaming the same pattern database over the same text, with a
//    callback that only counts matches (no validation, no context);
//  * Kagami's scanner on that text (every detector: validation, context words, samples);
//  * whole objects through text extraction and the scanner: plain text, Office documents
//    (docx, xlsx) and PDF, in MB of object per second.
// The text is generated: Japanese and English prose with personal data sprinkled at the
// density of business documents, tables of numbers, and near misses.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <hs.h>

#include "kagami/content/document_text.h"
#include "kagami/inspect/inspector.h"
#include "kagami/inspect/text_scanner.h"
#include "kagami/inspect/validators.h"

#include "support/archive_builder.h"
#include "support/pdf_builder.h"

using namespace kagami;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string digits(std::mt19937& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + r() % 10));
  return s;
}

std::string my_number(std::mt19937& r) {
  const std::string base = digits(r, 11);
  for (char c = '0'; c <= '9'; ++c)
    if (inspect::valid_my_number(base + c)) return base + c;
  return base + "0";
}

// One paragraph of business prose, now and then with a value in it.
std::string paragraph(std::mt19937& r) {
  static const char* const kJa[] = {
      "本日の会議資料を送付いたしますので、ご確認のほどよろしくお願い申し上げます。",
      "来期の予算案について、各部門からの要望を取りまとめた結果を共有します。",
      "先日のお打ち合わせでいただいたご指摘を反映し、仕様書を改訂しました。",
      "納期につきましては、製造部門と調整のうえ改めてご連絡いたします。",
      "添付の見積書は、数量と単価を見直した最新版となっております。"};
  static const char* const kEn[] = {
      "Please find attached the revised proposal for the quarterly review meeting.",
      "The shipment was delayed by two days because of the weather in the port.",
      "We agreed to move the deadline to the end of the month after the call.",
      "The dashboard now shows the weekly numbers per region and per product.",
      "Let me know if you need anything else before the board meeting on Friday."};
  std::string p;
  const int sentences = 3 + static_cast<int>(r() % 5);
  for (int i = 0; i < sentences; ++i) p += r() % 2 ? kJa[r() % 5] : kEn[r() % 5];
  switch (r() % 40) {
    case 0:
      p += " 連絡先: 03-" + digits(r, 4) + "-" + digits(r, 4);
      break;
    case 1:
      p += " mail: user" + digits(r, 3) + "@example.co.jp";
      break;
    case 2:
      p += " 社員番号 " + digits(r, 7) + "、受付番号 " + digits(r, 12);  // near misses
      break;
    case 3:
      p += " マイナンバー: " + my_number(r);
      break;
    case 4:
      p += " 注文 " + digits(r, 4) + "-" + digits(r, 4) + "-" + digits(r, 4) + " 合計 " +
           digits(r, 6) + ".50 円";
      break;
    default:
      break;
  }
  return p + "\n";
}

// Text of about `bytes`: paragraphs, and every so often a table of numbers.
std::string corpus(std::size_t bytes, unsigned seed) {
  std::mt19937 r(seed);
  std::string t;
  while (t.size() < bytes) {
    if (r() % 50 == 0) {
      for (int row = 0; row < 20; ++row)
        t += digits(r, 4) + "," + digits(r, 6) + "," + digits(r, 3) + "." + digits(r, 2) + "\n";
    } else {
      t += paragraph(r);
    }
  }
  return t;
}

int count_match(unsigned, unsigned long long, unsigned long long, unsigned, void* n) {
  ++*static_cast<std::uint64_t*>(n);
  return 0;
}

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  const std::string text = corpus(mib << 20, 7);
  const double mb = static_cast<double>(text.size()) / 1e6;
  auto db = inspect::PatternDatabase::build({});
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 1;
  }

  // The limit: the same database, the same chunks, a callback that only counts.
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db.value()->database(), &scratch);
  double best_limit = 1e9, best_scan = 1e9;
  std::uint64_t matches = 0;
  std::vector<inspect::Finding> findings;
  auto scanner = inspect::TextScanner::create(db.value()).value();
  for (int run = 0; run < 3; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    hs_stream_t* stream = nullptr;
    hs_open_stream(db.value()->database(), 0, &stream);
    matches = 0;
    for (std::size_t at = 0; at < text.size(); at += kChunk) {
      const std::size_t n = std::min(kChunk, text.size() - at);
      hs_scan_stream(stream, text.data() + at, static_cast<unsigned>(n), 0, scratch, count_match,
                     &matches);
    }
    hs_close_stream(stream, scratch, count_match, &matches);
    best_limit = std::min(best_limit, seconds_since(t0));

    t0 = std::chrono::steady_clock::now();
    scanner->begin();
    for (std::size_t at = 0; at < text.size(); at += kChunk)
      scanner->feed(std::string_view(text).substr(at, kChunk));
    findings = scanner->finish();
    best_scan = std::min(best_scan, seconds_since(t0));
  }
  hs_free_scratch(scratch);
  std::uint64_t values = 0;
  for (const auto& f : findings) values += f.count;

  // Whole objects: text extraction (charset, NFKC, document formats) and the scanner.
  std::mt19937 r(11);
  std::vector<std::pair<std::string, std::string>> objects;  // kind, bytes
  const std::string plain = corpus(32u << 20, 3);
  objects.emplace_back("plain text", plain);
  {
    std::string body;
    for (std::size_t at = 0; at < plain.size() / 4; at += 400)
      body += "<w:p><w:r><w:t>" + plain.substr(at, 400) + "</w:t></w:r></w:p>";
    objects.emplace_back("docx", test::ZipBuilder()
                                     .add("[Content_Types].xml", "<Types/>")
                                     .add("word/document.xml",
                                          "<w:document><w:body>" + body + "</w:body></w:document>")
                                     .build());
    std::string rows;
    for (int i = 0; i < 200000; ++i)
      rows += "<row><c t=\"inlineStr\"><is><t>社員" + std::to_string(i) + "</t></is></c><c><v>" +
              (i % 10 == 0 ? my_number(r) : digits(r, 9)) + "</v></c></row>";
    objects.emplace_back("xlsx",
                         test::ZipBuilder()
                             .add("[Content_Types].xml", "<Types/>")
                             .add("xl/worksheets/sheet1.xml",
                                  "<worksheet><sheetData>" + rows + "</sheetData></worksheet>")
                             .build());
    std::vector<std::vector<std::string>> pages;
    const std::string ascii = corpus(4u << 20, 5);
    std::vector<std::string> page;
    std::size_t at = 0;
    while (at < ascii.size() && pages.size() < 400) {
      std::size_t nl = ascii.find('\n', at);
      if (nl == std::string::npos) nl = ascii.size();
      std::string line;
      for (unsigned char c : ascii.substr(at, nl - at))
        if (c < 0x80) line.push_back(static_cast<char>(c));  // Helvetica: ASCII only
      for (std::size_t k = 0; k < line.size(); k += 90) {    // wrapped, values kept whole
        page.push_back(line.substr(k, 90));
        if (page.size() == 60) pages.push_back(std::move(page)), page.clear();
      }
      at = nl + 1;
    }
    objects.emplace_back("pdf", test::pdf_with_pages(pages));
  }
  auto inspector = inspect::Inspector::create({}).value();
  auto worker = inspector->worker().value();

  std::printf("Machine: one core of this host; text %.0f MB, %zu patterns in one database.\n\n", mb,
              db.value()->patterns());
  std::printf("| scan | MB/s | vs limit |\n|---|---:|---:|\n");
  std::printf("| Hyperscan alone, same database (limit; %llu raw matches) | %.0f | 100%% |\n",
              static_cast<unsigned long long>(matches), mb / best_limit);
  std::printf("| Kagami scanner, every detector (%llu values found) | %.0f | %.0f%% |\n\n",
              static_cast<unsigned long long>(values), mb / best_scan,
              100.0 * best_limit / best_scan);
  std::printf(
      "| object | size MB | text MB | MB/s of object | MB/s of text | values found |\n"
      "|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [kind, bytes] : objects) {
    double best = 1e9;
    inspect::Inspection in;
    for (int run = 0; run < 2; ++run) {
      const auto t0 = std::chrono::steady_clock::now();
      in = inspector->inspect(
          *worker, ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), "",
          "", "");
      best = std::min(best, seconds_since(t0));
    }
    std::uint64_t n = 0;
    for (const auto& f : in.findings) n += f.count;
    std::printf("| %s | %.1f | %.1f | %.0f | %.0f | %llu |\n", kind.c_str(),
                static_cast<double>(bytes.size()) / 1e6, static_cast<double>(in.text_bytes) / 1e6,
                static_cast<double>(bytes.size()) / 1e6 / best,
                static_cast<double>(in.text_bytes) / 1e6 / best,
                static_cast<unsigned long long>(n));
  }
  return 0;
}
