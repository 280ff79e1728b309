#include "atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "cli_error.h"
#include "output_target.h"

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

struct Input {
  dev_t dev;
  ino_t ino;
  std::string path;
};
std::vector<Input> g_inputs;

}  // namespace

void register_input(const std::string& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  g_inputs.push_back({st.st_dev, st.st_ino, path});
}

// Only a regular file is at risk: writing to a device or a pipe that is also read replaces nothing.
void refuse_input_as_output(const std::string& output, const std::string& option) {
  struct stat st;
  if (output == "-" || ::stat(output.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  for (const Input& in : g_inputs)
    if (in.dev == st.st_dev && in.ino == st.st_ino)
      throw usage_error(option + " " + output + ": is " +
                        (in.path == output ? std::string("also an input") : "the same file as " + in.path + ", an input") +
                        " of this command; writing it would replace that input: give another output file");
}

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  if (path.empty()) throw data_error("''", "not a file name");
  refuse_input_as_output(path, "output");
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    direct_ = borrowed_ = true;
    return;
  }
  pixnorm_output::Target target;
  const char* why = nullptr;
  if (const int err = pixnorm_output::resolve(path, &target, &why)) {
    errno = err;
    throw data_error(path, why ? why : "cannot write: " + errno_text());
  }
  if (target.kind == pixnorm_output::Target::kDescriptor) {
    fd_ = target.fd;
    direct_ = borrowed_ = true;
    return;
  }
  if (target.kind == pixnorm_output::Target::kDirect) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) throw data_error(path, "cannot open: " + errno_text());
    direct_ = true;
    return;
  }
  target_ = target.path;
  const std::string dir = pixnorm_output::directory_of(target_);

  install_signal_cleanup();
  // Block the signals while the name is published, so the handler never sees half of it and
  // no temporary is created without its handler knowing it.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  sigprocmask(SIG_BLOCK, &block, &old);
  std::string temp;
  fd_ = pixnorm_output::create_temp(target_, &temp);
  const int err = errno;
  if (fd_ >= 0 && temp.size() < sizeof(g_temp_path)) {
    std::memcpy(g_temp_path, temp.c_str(), temp.size() + 1);
    g_temp_armed = 1;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (fd_ < 0) {
    errno = err;
    throw data_error(path, "cannot create a temporary file in " + dir + ": " + errno_text());
  }
  temp_path_ = temp;

  // Replacing a file keeps its permissions (a new one gets 0666 less the umask).
  struct stat st;
  if (::stat(target_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) fchmod(fd_, st.st_mode & 07777);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0 && !borrowed_) close(fd_);
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
  if (direct_) {
    // No fsync: devices and pipes refuse it, and there is no rename to make durable.
    const int fd = fd_;
    fd_ = -1;
    if (!borrowed_ && close(fd) != 0) throw data_error(path_, "cannot write: " + errno_text());
    return;
  }
  if (fsync(fd_) != 0) throw data_error(path_, "cannot write: " + errno_text());
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) throw data_error(path_, "cannot write: " + errno_text());
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0)
    throw data_error(path_, "cannot replace" + (target_ == path_ ? "" : " " + target_) + ": " + errno_text());
  g_temp_armed = 0;
  temp_path_.clear();
  // The rename itself is durable only once the directory entry is on disk; a failure here
  // leaves a complete file in place, so it is not an error.
  const int dir = open(pixnorm_output::directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

}  // namespace pixnorm_cli
