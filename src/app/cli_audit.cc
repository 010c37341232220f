#include "app/cli_audit.h"

#include <pwd.h>
#include <unistd.h>

#include "kagami/store/audit_log.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::app {

Status cli_audit(const store::StoreLayout& layout, const std::string& action,
                 const std::string& object, const std::string& detail) {
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!index) return index.error();
  std::string login = std::to_string(geteuid());
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr)
    login = pw->pw_name;
  return store::audit(*index.value(), "cli:" + login, "cli", action, object, detail);
}

}  // namespace kagami::app
