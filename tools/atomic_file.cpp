#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli_error.h"

namespace pixnorm_cli {
namespace {

// The signal handler may only call async-signal-safe functions, so the temporary path it
// removes lives in a fixed buffer rather than in a std::string.
char g_temp_path[4096];
volatile sig_atomic_t g_temp_armed = 0;

void remove_temp_and_reraise(int sig) {
  if (g_temp_armed) unlink(g_temp_path);
  std::signal(sig, SIG_DFL);
  raise(sig);
}

// A signal the parent ignores (SIGINT for a background job) stays ignored.
void install_signal_cleanup() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = remove_temp_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(sig, &sa, nullptr);
  }
}

std::string errno_text() { return std::strerror(errno); }

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) throw data_error(path, "not a file name");
  std::string temp = dir + "." + base + ".XXXXXX";
  if (temp.size() >= sizeof(g_temp_path)) throw data_error(path, "path too long");

  install_signal_cleanup();
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  // Block the signals while the name is published, so the handler never sees half of it.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  sigprocmask(SIG_BLOCK, &block, &old);
  fd_ = mkstemp(name.data());
  const int err = errno;
  if (fd_ >= 0) {
    std::memcpy(g_temp_path, name.data(), name.size());
    g_temp_armed = 1;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (fd_ < 0) {
    errno = err;
    throw data_error(path, "cannot create a temporary file in " + directory_of(path) + ": " + errno_text());
  }
  temp_path_ = name.data();

  // mkstemp makes the file private (0600); give the result the permissions of a plain new file.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd_, 0666 & ~mask);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) close(fd_);
  if (!temp_path_.empty()) {
    g_temp_armed = 0;
    unlink(temp_path_.c_str());
  }
}

void AtomicFile::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw data_error(path_, "cannot write: " + errno_text());
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fsync(fd_) != 0) throw data_error(path_, "cannot write: " + errno_text());
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) throw data_error(path_, "cannot write: " + errno_text());
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) throw data_error(path_, "cannot replace: " + errno_text());
  g_temp_armed = 0;
  temp_path_.clear();
  // The rename itself is durable only once the directory entry is on disk; a failure here
  // leaves a complete file in place, so it is not an error.
  const int dir = open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

}  // namespace pixnorm_cli
