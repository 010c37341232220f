#pragma once
// What integration tests share: running commands, the corpus and its tshark truth.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

namespace kagami::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (no shell) and collects its output.
CommandResult run(const std::vector<std::string>& argv);
// `kagami ARGS...`
CommandResult kagami(const std::vector<std::string>& args);

bool have_program(const std::string& name);

// A process running in the background (a live recorder); killed at destruction if still alive.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // Waits until stderr contains `text` (true) or the timeout passes / the process exits.
  bool wait_for_stderr(const std::string& text, int timeout_ms);
  void signal(int sig);
  // Waits for exit; returns the exit code (128 + signal if killed).
  int wait(int timeout_ms);
  const std::string& err() const { return err_; }
  int pid() const { return pid_; }

 private:
  void pump(int timeout_ms);
  int pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
  int exit_code_ = -1;
};

// `kagami record --stats --pcap-over-ip-listen 127.0.0.1:0 --store STORE EXTRA...`, started:
// the port it took ("" if it did not start).
struct ListeningRecorder {
  explicit ListeningRecorder(const std::string& store, const std::vector<std::string>& extra = {});
  Background process;
  std::string port;
};

// A counter of a `--stats` dump ("name value" lines); all ones if it is not there.
std::uint64_t stats_counter(const std::string& err, const std::string& name);

std::string corpus_dir();
// Paths of every corpus trace relative to corpus/pcap ("tcp/sv-tcp-overlap.pcap").
std::vector<std::string> corpus_traces();
// truth/<trace>.<kind>.tsv as rows of column name -> value; empty if the file is absent.
std::vector<std::map<std::string, std::string>> truth(const std::string& trace,
                                                      const std::string& kind);

// Sessions of a store, via `kagami sessions --json`.
std::vector<nlohmann::json> sessions(const std::string& store,
                                     const std::vector<std::string>& filters = {});

// Records of a store, via `kagami COMMAND --json` (http, dns, tls, mail, files).
std::vector<nlohmann::json> listing(const std::string& command, const std::string& store,
                                    const std::vector<std::string>& filters = {});

std::string sha256_of_file(const std::string& path);
std::string sha256_of(const std::string& bytes);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Whether something accepts on 127.0.0.1:port within the timeout.
bool port_open(int port, int timeout_ms);
// n pseudo-random bytes from a seed (incompressible, reproducible).
std::string pattern(std::size_t n, unsigned seed);

// "10.0.0.1:80" or "[2001:db8::1]:80", as tshark writes endpoints.
std::string endpoint(const std::string& ip, int port);

// A live recorder on lo; stop() ends it the way an operator does (SIGINT).
class LiveRecorder {
 public:
  LiveRecorder(const std::string& store, const std::string& filter,
               const std::vector<std::string>& extra = {})
      : proc_(args(store, filter, extra)) {
    started_ = proc_.wait_for_stderr("recording lo", 10000);
  }
  // Empty when recording; otherwise why not (a missing capability skips the test).
  std::string problem() {
    if (started_) return {};
    proc_.wait(5000);
    return proc_.err().empty() ? "recorder did not start" : proc_.err();
  }
  int stop() {
    usleep(300000);  // the last packets through the kernel ring
    proc_.signal(SIGINT);
    return proc_.wait(30000);
  }
  const std::string& err() const { return proc_.err(); }

 private:
  static std::vector<std::string> args(const std::string& store, const std::string& filter,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> a = {KAGAMI_BINARY, "record",      "--interface", "lo",
                                  "--filter",    filter,        "--store",     store,
                                  "--sensor",    "lo-protocols"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  Background proc_;
  bool started_ = false;
};

#define START_RECORDER(rec)                                      \
  do {                                                           \
    const std::string why = (rec).problem();                     \
    if (why.find("ermission") != std::string::npos ||            \
        why.find("not permitted") != std::string::npos)          \
      GTEST_SKIP() << "live capture needs CAP_NET_RAW: " << why; \
    ASSERT_TRUE(why.empty()) << why;                             \
  } while (0)

}  // namespace kagami::test
