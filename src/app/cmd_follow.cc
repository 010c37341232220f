// `kagami follow`: a session's reassembled TCP payload, rebuilt from its archived packets by
// the same decoder, defragmenter and reassembler the recorder runs.
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "kagami/capture/pcap_reader.h"
#include "kagami/flow/flow_table.h"
#include "kagami/packet/decoder.h"
#include "kagami/packet/defragmenter.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/store_access.h"

namespace kagami::app {
namespace {

struct FollowOptions {
  std::string store;
  std::uint64_t session = 0;
  std::string c2s, s2c;
  bool gap_text = false;
  std::string overlap = "first";
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

class FollowSink final : public flow::StreamSink, public flow::FlowObserver {
 public:
  FollowSink(const records::SessionRecord& rec, File c2s, File s2c, bool gap_text)
      : rec_(rec), out_{std::move(c2s), std::move(s2c)}, gap_text_(gap_text) {}

  void on_session_start(flow::Flow& f) override {
    ++flows_;
    // Take the recorded session's roles, whatever this replay guesses from its packets.
    swapped_ = !(f.client_ip() == rec_.client_ip && f.client_port() == rec_.client_port);
    f.sink = this;
  }
  void on_session_end(flow::Flow& f, flow::EndReason) override { (void)f.locations.take(); }
  void on_locations_full(flow::Flow& f) override { (void)f.locations.take(); }

  void on_data(flow::Direction d, TimeNs, ByteView bytes) override {
    const int i = side(d);
    if (pending_gap_[i] > 0 && out_[i]) {
      // The marker Wireshark 4.0's "Follow TCP Stream" writes where bytes are missing, with
      // its C string terminator; like Wireshark, only between bytes that were seen.
      std::fprintf(out_[i].get(), "[%llu bytes missing in capture file]",
                   static_cast<unsigned long long>(pending_gap_[i]));
      std::fputc('\0', out_[i].get());
    }
    pending_gap_[i] = 0;
    bytes_[i] += bytes.size();
    if (out_[i]) std::fwrite(bytes.data(), 1, bytes.size(), out_[i].get());
  }
  void on_gap(flow::Direction d, TimeNs, std::uint64_t n) override {
    const int i = side(d);
    ++gaps_[i];
    gap_bytes_[i] += n;
    if (gap_text_ && bytes_[i] > 0) pending_gap_[i] += n;
  }
  void on_end(flow::Direction, TimeNs) override {}

  void report() const {
    const char* names[2] = {"client->server", "server->client"};
    for (int i = 0; i < 2; ++i)
      std::cerr << "kagami: " << names[i] << ": " << bytes_[i] << " bytes, " << gaps_[i]
                << " gap(s) of " << gap_bytes_[i] << " bytes\n";
    if (flows_ > 1) std::cerr << "warning: the session's packets formed " << flows_ << " flows\n";
  }

 private:
  int side(flow::Direction d) const { return flow::index(d) ^ (swapped_ ? 1 : 0); }
  records::SessionRecord rec_;
  File out_[2];
  bool gap_text_ = false;
  bool swapped_ = false;
  int flows_ = 0;
  std::uint64_t bytes_[2] = {0, 0}, gaps_[2] = {0, 0}, gap_bytes_[2] = {0, 0};
  std::uint64_t pending_gap_[2] = {0, 0};
};

int run_follow(const FollowOptions& o) {
  store::StoreLayout layout{o.store};
  if (!check_store(layout)) return 1;
  auto index = read_index(layout);
  if (!index) return 1;
  store::SessionQuery q;
  q.ids.push_back(o.session);
  std::optional<records::SessionRecord> rec;
  (void)index->query_sessions(q, [&](const records::SessionRecord& r) {
    rec = r;
    return false;
  });
  if (!rec) {
    std::cerr << "error: no session " << o.session << "\n";
    return 1;
  }
  if (rec->transport != packet::kProtoTcp) {
    std::cerr << "error: session " << o.session << " is not TCP\n";
    return 1;
  }
  auto locations = index->session_locations(o.session);
  if (!locations) {
    std::cerr << "error: " << locations.error().message << "\n";
    return 1;
  }
  auto files = index->archive_files();
  if (!files) {
    std::cerr << "error: " << files.error().message << "\n";
    return 1;
  }
  auto open_out = [](const std::string& path) -> File {
    if (path.empty()) return File(nullptr);
    return File(std::fopen(path.c_str(), "wb"));
  };
  File c2s = open_out(o.c2s), s2c = open_out(o.s2c);
  if ((!o.c2s.empty() && !c2s) || (!o.s2c.empty() && !s2c)) {
    std::cerr << "error: cannot create output file\n";
    return 1;
  }
  FollowSink sink(*rec, std::move(c2s), std::move(s2c), o.gap_text);
  {
    flow::FlowConfig limits;
    limits.absolute_timeout_ns = INT64_MAX / 2;  // one session, however long
    limits.tcp_idle_timeout_ns = INT64_MAX / 2;
    limits.vlan_in_key = false;  // the session's packets are one connection whatever their tags
    flow::ReassemblyLimits reassembly;
    reassembly.overlap = o.overlap == "last"    ? flow::OverlapPolicy::kLast
                         : o.overlap == "linux" ? flow::OverlapPolicy::kLinux
                                                : flow::OverlapPolicy::kFirst;
    flow::FlowTable table(limits, reassembly, sink);
    packet::Defragmenter defrag(packet::DefragLimits{});
    std::unique_ptr<capture::PcapRecordReader> reader;
    std::uint32_t reader_file = 0;
    packet::Packet p, rebuilt;
    for (const PacketLocation& loc : locations.value()) {
      if (!reader || reader_file != loc.file_id) {
        std::string name;
        for (const auto& f : files.value())
          if (f.file_id == loc.file_id) name = f.name;
        auto r = capture::PcapRecordReader::open(layout.packet_file_path(name));
        if (!r) {
          std::cerr << "error: " << r.error().message << "\n";
          return 1;
        }
        reader = std::move(r.value());
        reader_file = loc.file_id;
      }
      auto record = reader->read_at(loc.offset);
      if (!record) {
        std::cerr << "error: " << record.error().message << "\n";
        return 1;
      }
      const auto res = packet::Decoder::decode(reader->linktype(), record->ts, record->data,
                                               record->wire_len, p);
      if (res.status != packet::DecodeStatus::kOk) continue;
      if (p.is_fragment) {
        if (const auto* done = defrag.add(p, loc)) {
          rebuilt = p;
          if (packet::Decoder::decode_ip(done->ip_packet, 0, rebuilt).status ==
              packet::DecodeStatus::kOk)
            table.process(rebuilt, done->pieces, true, done->overlap_conflict);
        }
        continue;
      }
      table.process(p, std::span<const PacketLocation>(&loc, 1));
    }
    table.flush_all();
  }
  sink.report();
  return 0;
}

}  // namespace

void add_follow_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<FollowOptions>();
  CLI::App* cmd = app.add_subcommand(
      "follow", "write a TCP session's reassembled payload, each direction to its own file");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_option("--session", o->session, "session id")->required();
  cmd->add_option("--c2s", o->c2s, "file for the client-to-server bytes");
  cmd->add_option("--s2c", o->s2c, "file for the server-to-client bytes");
  cmd->add_flag("--wireshark-gaps", o->gap_text,
                "where bytes are missing, write Wireshark's marker \"[N bytes missing in capture "
                "file]\" (NUL-terminated), so the output matches Wireshark's Follow TCP Stream");
  cmd->add_option("--overlap", o->overlap, "which copy of overlapping bytes wins")
      ->check(CLI::IsMember({"first", "last", "linux"}))
      ->capture_default_str();
  cmd->callback([o, &exit_code] { exit_code = run_follow(*o); });
}

}  // namespace kagami::app
