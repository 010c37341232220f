#include "kagami/store/packet_export.h"

#include <algorithm>
#include <map>
#include <memory>

#include "kagami/capture/pcap_reader.h"
#include "kagami/capture/pcap_writer.h"
#include "kagami/store/credential_scrub.h"

namespace kagami::store {

Result<ExportResult> export_packets(const StoreLayout& layout, SqliteIndex& index,
                                    std::vector<PacketLocation> locations,
                                    const std::string& out_path, const ExportOptions& options) {
  std::sort(locations.begin(), locations.end(),
            [](const PacketLocation& a, const PacketLocation& b) {
              return a.file_id != b.file_id ? a.file_id < b.file_id : a.offset < b.offset;
            });
  locations.erase(std::unique(locations.begin(), locations.end(),
                              [](const PacketLocation& a, const PacketLocation& b) {
                                return a.file_id == b.file_id && a.offset == b.offset;
                              }),
                  locations.end());

  auto files = index.archive_files();
  if (!files) return files.error();
  std::map<std::uint32_t, records::ArchiveFileRecord> by_id;
  for (auto& f : files.value()) by_id[f.file_id] = f;

  // One pcap file has one link type: check before writing anything.
  int linktype = -1;
  std::uint32_t snaplen = 0;
  for (std::size_t i = 0; i < locations.size(); ++i) {
    if (i > 0 && locations[i].file_id == locations[i - 1].file_id) continue;
    auto it = by_id.find(locations[i].file_id);
    if (it == by_id.end())
      return make_error("packet file {} is not in the index", locations[i].file_id);
    if (linktype >= 0 && it->second.linktype != linktype)
      return make_error(
          "the selected packets have different link types ({} and {}); export "
          "them separately",
          linktype, it->second.linktype);
    linktype = it->second.linktype;
    snaplen = std::max(snaplen, it->second.snaplen);
  }
  if (linktype < 0) linktype = 1;
  if (snaplen == 0) snaplen = 262144;

  auto writer = capture::PcapWriter::create(out_path, linktype, snaplen, 1u << 20, true);
  if (!writer) return writer.error();
  ExportResult result;
  CredentialScrub scrub(linktype);
  std::vector<std::uint8_t> copy;
  std::unique_ptr<capture::PcapRecordReader> reader;
  std::uint32_t reader_file = 0;
  std::uint32_t expired_file = 0;
  for (const PacketLocation& loc : locations) {
    if (by_id[loc.file_id].evicted) {
      ++result.expired;
      if (expired_file != loc.file_id)
        result.problems.push_back("packet file " + by_id[loc.file_id].name +
                                  " was evicted by retention: its packets are gone");
      expired_file = loc.file_id;
      continue;
    }
    if (!reader || reader_file != loc.file_id) {
      reader.reset();
      auto r = capture::PcapRecordReader::open(layout.packet_file_path(by_id[loc.file_id].name));
      if (!r) {
        result.problems.push_back(r.error().message);
        ++result.unreadable;
        continue;
      }
      reader = std::move(r.value());
      reader_file = loc.file_id;
    }
    auto rec = reader->read_at(loc.offset);
    if (!rec) {
      ++result.unreadable;
      if (result.problems.size() < 10) result.problems.push_back(rec.error().message);
      continue;
    }
    ByteView bytes = rec->data;
    if (!options.raw) {
      copy.assign(bytes.begin(), bytes.end());
      if (const std::size_t n = scrub.scrub(copy, rec->wire_len); n > 0) {
        ++result.masked_packets;
        result.masked_bytes += n;
      }
      bytes = ByteView(copy.data(), copy.size());
    }
    (void)writer.value()->write(rec->ts, bytes, rec->wire_len);
    ++result.packets;
  }
  auto closed = writer.value()->close();
  if (!closed) return closed.error();
  return result;
}

}  // namespace kagami::store
