#include "integration/harness.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kagami/base/sha256.h"

extern char** environ;

namespace kagami::test {

CommandResult run(const std::vector<std::string>& argv) {
  CommandResult r;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    r.err = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* dst[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        dst[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CommandResult kagami(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {KAGAMI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

Background::Background(const std::vector<std::string>& argv) {
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A process group of its own, so that what it starts (nginx's workers, a shell's children)
  // goes with it when a failed test leaves early.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ) == 0) pid_ = pid;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);
  err_fd_ = err[0];
}

Background::~Background() {
  if (pid_ > 0 && exit_code_ < 0) {
    kill(-pid_, SIGKILL);  // the whole group: nginx's workers too
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (err_fd_ >= 0) close(err_fd_);
}

void Background::pump(int timeout_ms) {
  if (err_fd_ < 0) {
    usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  pollfd p = {err_fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  const ssize_t n = read(err_fd_, buf, sizeof buf);
  if (n > 0) {
    err_.append(buf, static_cast<size_t>(n));
  } else {
    close(err_fd_);
    err_fd_ = -1;
  }
}

bool Background::wait_for_stderr(const std::string& text, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (err_.find(text) != std::string::npos) return true;
    if (err_fd_ < 0) return false;
    pump(20);
  }
  return err_.find(text) != std::string::npos;
}

void Background::signal(int sig) {
  if (pid_ > 0 && exit_code_ < 0) kill(pid_, sig);
}

int Background::wait(int timeout_ms) {
  for (int waited = 0; exit_code_ < 0 && waited <= timeout_ms; waited += 20) {
    int status;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    pump(20);
  }
  if (exit_code_ < 0) return exit_code_;  // still running: leave its stderr open
  while (err_fd_ >= 0) pump(100);
  return exit_code_;
}

bool have_program(const std::string& name) {
  return run({"sh", "-c", "command -v " + name}).exit_code == 0;
}

std::string corpus_dir() { return KAGAMI_CORPUS_DIR; }

std::vector<std::string> corpus_traces() {
  std::vector<std::string> out;
  const std::string root = corpus_dir() + "/pcap";
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
    if (!e.is_regular_file()) continue;
    out.push_back(std::filesystem::relative(e.path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::map<std::string, std::string>> truth(const std::string& trace,
                                                      const std::string& kind) {
  std::vector<std::map<std::string, std::string>> rows;
  std::ifstream in(corpus_dir() + "/truth/" + trace + "." + kind + ".tsv");
  if (!in) return rows;
  auto split = [](const std::string& line) {
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == '\t') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    return f;
  };
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  while (std::getline(in, line)) {
    const auto f = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = i < f.size() ? f[i] : "";
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<nlohmann::json> sessions(const std::string& store,
                                     const std::vector<std::string>& filters) {
  std::vector<std::string> args = {"sessions", "--store", store, "--json"};
  args.insert(args.end(), filters.begin(), filters.end());
  const auto r = kagami(args);
  std::vector<nlohmann::json> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<nlohmann::json> listing(const std::string& command, const std::string& store,
                                    const std::vector<std::string>& filters) {
  std::vector<std::string> args = {command, "--store", store, "--json"};
  args.insert(args.end(), filters.begin(), filters.end());
  const auto r = kagami(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string sha256_of(const std::string& bytes) { return to_hex(Sha256::of(as_bytes(bytes))); }
std::string sha256_of_file(const std::string& path) { return sha256_of(read_file(path)); }

std::string endpoint(const std::string& ip, int port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool port_open(int port, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    usleep(50000);
  }
  return false;
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    s[i] = static_cast<char>(seed >> 16);
  }
  return s;
}

}  // namespace kagami::test

namespace kagami::test {

namespace {
std::vector<std::string> listening_argv(const std::string& store,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> a = {KAGAMI_BINARY, "record",  "--stats", "--pcap-over-ip-listen",
                                "127.0.0.1:0", "--store", store};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}
}  // namespace

ListeningRecorder::ListeningRecorder(const std::string& store,
                                     const std::vector<std::string>& extra)
    : process(listening_argv(store, extra)) {
  if (!process.wait_for_stderr("into " + store, 10000)) return;
  std::smatch m;
  const std::string started = process.err();
  if (std::regex_search(started, m, std::regex("connect to port ([0-9]+)"))) port = m[1];
}

std::uint64_t stats_counter(const std::string& err, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex("\n" + name + " ([0-9]+)"))) return ~0ull;
  return std::stoull(m[1]);
}

}  // namespace kagami::test
