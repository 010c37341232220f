#include "kagami/inspect/clamav_engine.h"

#include <mutex>

#include <clamav.h>

namespace kagami::inspect {

Result<std::unique_ptr<ClamavEngine>> ClamavEngine::load(const std::string& database_dir) {
  static std::once_flag once;
  static cl_error_t init = CL_SUCCESS;
  std::call_once(once, [] { init = cl_init(CL_INIT_DEFAULT); });
  if (init != CL_SUCCESS) return make_error("libclamav: {}", cl_strerror(init));
  std::unique_ptr<ClamavEngine> c(new ClamavEngine());
  c->engine_ = cl_engine_new();
  if (c->engine_ == nullptr) return make_error("libclamav: cannot create an engine");
  cl_error_t rc = cl_load(database_dir.c_str(), c->engine_, &c->signatures_, CL_DB_STDOPT);
  if (rc != CL_SUCCESS)
    return make_error("cannot load ClamAV signatures from {}: {}", database_dir, cl_strerror(rc));
  // Bounds of its own, like ours: a file it cannot finish is reported, never waited on.
  cl_engine_set_num(c->engine_, CL_ENGINE_MAX_SCANTIME, 30000);
  rc = cl_engine_compile(c->engine_);
  if (rc != CL_SUCCESS) return make_error("libclamav: {}", cl_strerror(rc));
  return c;
}

ClamavEngine::~ClamavEngine() {
  if (engine_ != nullptr) cl_engine_free(engine_);
}

std::string ClamavEngine::scan(ByteView bytes, std::string& error) const {
  cl_fmap_t* map = cl_fmap_open_memory(bytes.data(), bytes.size());
  if (map == nullptr) {
    error = "cannot map the file for ClamAV";
    return {};
  }
  struct cl_scan_options options = {};
  options.parse = ~0u;  // archives, documents, mail, executables: everything it can unpack
  const char* name = nullptr;
  unsigned long scanned = 0;
  const cl_error_t rc =
      cl_scanmap_callback(map, nullptr, &name, &scanned, engine_, &options, nullptr);
  cl_fmap_close(map);
  if (rc == CL_VIRUS) return name != nullptr ? name : "unknown";
  if (rc != CL_CLEAN) error = cl_strerror(rc);
  return {};
}

}  // namespace kagami::inspect
