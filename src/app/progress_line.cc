#include "app/progress_line.h"

#include <chrono>
#include <cstdio>

#include <unistd.h>

#include "kagami/base/quantity.h"

namespace kagami::app {

Periodic::Periodic(int period_ms, std::function<void(double, bool)> task) {
  thread_ = std::thread([this, period_ms, task = std::move(task)] {
    const auto start = std::chrono::steady_clock::now();
    auto since = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::unique_lock lock(mutex_);
    while (
        !wake_.wait_for(lock, std::chrono::milliseconds(period_ms), [this] { return stopping_; }))
      task(since(), false);
    task(since(), true);
  });
}

Periodic::~Periodic() { stop(); }

void Periodic::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ProgressLine::ProgressLine(std::function<std::string(double)> text) {
  if (!wanted()) return;
  every_ = std::make_unique<Periodic>(500, [text = std::move(text)](double secs, bool last) {
    if (last) {
      std::fprintf(stderr, "\r\033[K");
    } else {
      // Carriage return, the text, and the rest of the old line erased.
      std::fprintf(stderr, "\r%s\033[K", text(secs).c_str());
    }
    std::fflush(stderr);
  });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  if (every_) every_->stop();
}

bool ProgressLine::wanted() { return ::isatty(STDERR_FILENO) == 1; }

std::string human_bytes(double bytes) {
  return format_size(bytes <= 0 ? 0 : static_cast<std::uint64_t>(bytes));
}

std::string human_duration(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

}  // namespace kagami::app
