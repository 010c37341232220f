#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "kagami/alert/sinks.h"

namespace kagami::alert {
namespace {

// One JSON object per line, appended (what Filebeat, Fluent Bit and `jq` read).
class JsonLinesSink final : public AlertSink {
 public:
  explicit JsonLinesSink(std::string path) : path_(std::move(path)) {}
  Status deliver(const std::vector<std::string>& events) override {
    std::string text;
    for (const auto& e : events) text += e + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return make_error("cannot open {}: {}", path_, std::strerror(errno));
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return make_error("cannot write {}: {}", path_, why);
      }
      done += static_cast<std::size_t>(n);
    }
    const bool synced = ::fdatasync(fd) == 0;
    ::close(fd);
    if (!synced) return make_error("cannot sync {}", path_);
    return {};
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<AlertSink> make_jsonl_sink(const SinkConfig& c) {
  return std::make_unique<JsonLinesSink>(c.path);
}

}  // namespace kagami::alert
