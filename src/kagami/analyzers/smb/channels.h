#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "kagami/base/ip_address.h"
#include "kagami/wire/smb2.h"

namespace kagami::analyzers {

// What the connections of one SMB 3 session share when it runs over several (multichannel,
// MS-SMB2 3.2.4.1.7: a second connection binds to the session and any of them may carry any
// request): who logged on, which share each tree is and what each handle names. A file opened
// on one connection can be read on another, and the recorder hashes the two to different
// workers; so each connection tells this what it opened, and asks it about handles it never saw
// opened. Shared by the workers and locked, but touched on logons, tree connects, opens and
// handles met for the first time, never per read or write. Bounded: the oldest entries go first.
class SmbChannels {
 public:
  struct Logon {
    std::string user, workstation, kerberos;
  };
  struct Name {
    std::string share, path;
    bool pipe = false;
  };
  static constexpr std::size_t kMaxLogons = 4096, kMaxTrees = 16384, kMaxFiles = 65536;

  void logon(const IpAddress& server, std::uint64_t session, Logon l);
  void tree(const IpAddress& server, std::uint64_t session, std::uint32_t tree, std::string share);
  void file(const IpAddress& server, std::uint64_t session, const wire::Smb2FileId& id, Name n);

  std::optional<Logon> logon_of(const IpAddress& server, std::uint64_t session) const;
  std::optional<std::string> tree_of(const IpAddress& server, std::uint64_t session,
                                     std::uint32_t tree) const;
  std::optional<Name> file_of(const IpAddress& server, std::uint64_t session,
                              const wire::Smb2FileId& id) const;

 private:
  struct Key {
    IpAddress server;
    std::uint64_t session = 0, a = 0, b = 0;
    auto operator<=>(const Key&) const = default;
  };
  template <class V>
  struct Table {
    std::map<Key, V> items;
    std::deque<Key> order;  // first in, first evicted; a key appears once
    void put(const Key& k, V v, std::size_t bound);
    std::optional<V> find(const Key& k) const;
  };

  mutable std::mutex mutex_;
  Table<Logon> logons_;
  Table<std::string> trees_;
  Table<Name> files_;
};

}  // namespace kagami::analyzers
