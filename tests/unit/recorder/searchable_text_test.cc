#include <gtest/gtest.h>

#include "kagami/recorder/inspection_pool.h"

namespace kagami::recorder {
namespace {

TEST(SearchableText, EverythingSentAndDocumentsReceived) {
  // What leaves is searchable whatever it is: a page or a JSON dump uploaded is a leak.
  EXPECT_TRUE(searchable_text("text/html", "sent"));
  EXPECT_TRUE(searchable_text("application/json", "sent"));
  // Documents that come in.
  for (const char* doc :
       {"text/plain", "text/csv", "application/pdf", "application/rtf", "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.spreadsheet", "text/plain; charset=utf-8"})
    EXPECT_TRUE(searchable_text(doc, "received")) << doc;
  // Pages, scripts, styles and feeds that come in: inspected, not full-text indexed.
  for (const char* web : {"text/html", "text/html; charset=Shift_JIS", "application/javascript",
                          "text/css", "application/json", "application/ld+json", "text/xml",
                          "application/atom+xml", "image/svg+xml"})
    EXPECT_FALSE(searchable_text(web, "received")) << web;
}

}  // namespace
}  // namespace kagami::recorder
