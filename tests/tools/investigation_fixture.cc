// Writes the console's fixture: a capture of a small incident and the YARA rule that flags
// its malware, for the end-to-end browser test and for trying the console by hand.
//
//   investigation_fixture OUT_DIR   → OUT_DIR/incident.pcap, OUT_DIR/rules.yar, OUT_DIR/kagami.toml
#include "support/investigation_fixture.h"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: investigation_fixture OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const kagami::TimeNs start = kagami::parse_time("2026-11-02T01:00:00Z").value();
  if (!kagami::test::write_conversations_pcap(dir + "/incident.pcap",
                                              kagami::test::investigation_conversations(start)))
    return 1;
  std::FILE* f = std::fopen((dir + "/rules.yar").c_str(), "w");
  if (f == nullptr) return 1;
  std::fputs(kagami::test::kFixtureYaraRule.c_str(), f);
  std::fclose(f);
  f = std::fopen((dir + "/kagami.toml").c_str(), "w");
  if (f == nullptr) return 1;
  std::fprintf(f, "[inspect]\nyara_rules = [\"%s/rules.yar\"]\n", dir.c_str());
  std::fclose(f);
  return 0;
}
