// Writes a file so that readers see either its old content or the complete new one.
#ifndef PIXNORM_TOOLS_ATOMIC_FILE_H
#define PIXNORM_TOOLS_ATOMIC_FILE_H

#include <cstddef>
#include <string>

namespace pixnorm_cli {

// The data goes to a temporary file beside `path` (same directory, hence same file system,
// so that rename() is atomic). commit() syncs it and renames it over `path`. Until then an
// existing `path` stays untouched; the destructor, SIGINT, SIGTERM and SIGHUP remove the
// temporary file. Failures throw CliError naming `path`. One instance at a time per process.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace pixnorm_cli

#endif
