#pragma once
// The sink implementations, one file each; make_sink (alert_sink.cc) picks one.

#include <memory>
#include <string>

#include "kagami/alert/alert_sink.h"

namespace kagami::alert {

std::unique_ptr<AlertSink> make_jsonl_sink(const SinkConfig& c);
std::unique_ptr<AlertSink> make_syslog_sink(const SinkConfig& c, const std::string& sensor);
std::unique_ptr<AlertSink> make_email_sink(const SinkConfig& c, const std::string& sensor);
std::unique_ptr<AlertSink> make_webhook_sink(const SinkConfig& c);

}  // namespace kagami::alert
