// Statistics files on a POSIX file system: pixnorm_stats_load and pixnorm_stats_save. A build
// with PIXNORM_WITH_FILE_IO off (firmware without a file system) has no file call at all: both
// functions are still there and return PIXNORM_ERROR_UNSUPPORTED.
#include "stats_model.h"

#if PIXNORM_WITH_FILE_IO
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "output_target.h"

namespace pixnorm {
namespace {

// Closes a descriptor on every path out of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

pixnorm_status read_file(const char* path, std::string* data) {
  Fd file{::open(path, O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot open: %s", path, std::strerror(errno));
  struct stat st;
  const int err = ::fstat(file.fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (err) return fail(PIXNORM_ERROR_IO, "%s: cannot read: %s", path, std::strerror(err));
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > PIXNORM_MAX_STATS_BYTES)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s: %llu bytes, over the limit of %u bytes", path,
                (unsigned long long)st.st_size, PIXNORM_MAX_STATS_BYTES);
  // Reads up to one byte past the limit, as the size of a non-regular file is not known.
  data->resize(PIXNORM_MAX_STATS_BYTES + 1);
  size_t got = 0;
  while (got < data->size()) {
    ssize_t n = ::read(file.fd, &(*data)[got], data->size() - got);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot read: %s", path, std::strerror(errno));
    got += size_t(n);
  }
  if (got > PIXNORM_MAX_STATS_BYTES)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s: over the limit of %u bytes", path, PIXNORM_MAX_STATS_BYTES);
  data->resize(got);
  return PIXNORM_OK;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

pixnorm_status save(const pixnorm_stats& stats, const char* path) {
  const std::string data = serialize(stats);
  pixnorm_output::Target target;
  const char* why = nullptr;
  if (const int err = pixnorm_output::resolve(path, &target, &why))
    return fail(PIXNORM_ERROR_IO, "%s: %s", path, why ? why : std::strerror(err));
  if (target.kind != pixnorm_output::Target::kReplace) {
    // A device, a FIFO or an inherited descriptor: written in place, as there is no file to
    // replace (renaming over /dev/null would turn it into a regular file).
    const bool own = target.kind == pixnorm_output::Target::kDirect;
    const int fd = own ? ::open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY) : target.fd;
    if (fd < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot open: %s", path, std::strerror(errno));
    bool ok = write_all(fd, data);
    int err = errno;
    if (own && ::close(fd) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (!ok) return fail(PIXNORM_ERROR_IO, "%s: cannot write: %s", path, std::strerror(err));
    return PIXNORM_OK;
  }
  const std::string& file = target.path;  // a symbolic link's target: the link stays
  std::string temp;
  int fd = pixnorm_output::create_temp(file, &temp);
  if (fd < 0)
    return fail(PIXNORM_ERROR_IO, "%s: cannot create a temporary file in %s: %s", path,
                pixnorm_output::directory_of(file).c_str(), std::strerror(errno));
  // Replacing a file keeps its permissions.
  struct stat st;
  if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) (void)::fchmod(fd, st.st_mode & 07777);
  const char* step = nullptr;
  if (!write_all(fd, data)) step = "write";
  else if (::fsync(fd) != 0) step = "sync";
  int err = errno;
  if (::close(fd) != 0 && !step) {
    step = "close";
    err = errno;
  }
  if (!step && ::rename(temp.c_str(), file.c_str()) != 0) {
    step = "rename";
    err = errno;
  }
  if (step) {
    ::unlink(temp.c_str());
    return fail(PIXNORM_ERROR_IO, "%s: cannot %s: %s", path, step, std::strerror(err));
  }
  // Makes the rename itself durable; a failure here loses nothing already written.
  int dfd = ::open(pixnorm_output::directory_of(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return PIXNORM_OK;
}

}  // namespace
}  // namespace pixnorm

using namespace pixnorm;

extern "C" {

pixnorm_status pixnorm_stats_load(const char* path, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_load: out is NULL");
  *out = nullptr;
  if (!path) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_load: path is NULL");
  return guarded([&] {
    std::string data;
    pixnorm_status status = read_file(path, &data);
    if (status != PIXNORM_OK) return status;
    return parse_buffer(data.data(), data.size(), path, out);
  });
}

pixnorm_status pixnorm_stats_save(const pixnorm_stats* stats, const char* path) {
  pixnorm::clear_error();
  if (!stats || !path) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_save: stats or path is NULL");
  return guarded([&] {
    return save(*stats, path);
  });
}

}  // extern "C"

#else

using namespace pixnorm;

extern "C" {

pixnorm_status pixnorm_stats_load(const char* path, pixnorm_stats** out) {
  clear_error();
  if (out) *out = nullptr;
  return fail(PIXNORM_ERROR_UNSUPPORTED,
              "pixnorm_stats_load: %.64s: this libpixnorm is built without file I/O (PIXNORM_WITH_FILE_IO=OFF); "
              "read the file and call pixnorm_stats_parse",
              path ? path : "(NULL)");
}

pixnorm_status pixnorm_stats_save(const pixnorm_stats*, const char* path) {
  clear_error();
  return fail(PIXNORM_ERROR_UNSUPPORTED,
              "pixnorm_stats_save: %.64s: this libpixnorm is built without file I/O (PIXNORM_WITH_FILE_IO=OFF); "
              "call pixnorm_stats_serialize and write the text",
              path ? path : "(NULL)");
}

}  // extern "C"

#endif
