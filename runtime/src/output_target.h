// Where a file output named by a path goes, shared by pixnorm_stats_save and the pixnorm CLI
// (header-only, POSIX, no dependency on the rest of the library):
//   - a regular file or a new name is replaced atomically: a temporary file beside it, then a
//     rename over it. A symbolic link is followed to its final target, which is replaced, so
//     the link stays a link and points at the new content.
//   - a character device or a FIFO (/dev/null, /dev/full, a named pipe) is opened and written
//     directly: renaming over it would replace the device node with a regular file.
//   - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are the process's own descriptor,
//     written directly (with the shell's truncation or append mode, which reopening would lose).
//   - a folder, a block device or a socket is refused.
// Temporaries are named ".NAME.pixnorm-tmp.HOST.PID.XXXXXX" beside the target, so that one
// left by a killed process is recognizable; such leftovers of this target whose process is
// gone (same host, PID no longer running) are removed the next time the target is written.
#ifndef PIXNORM_OUTPUT_TARGET_H
#define PIXNORM_OUTPUT_TARGET_H

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

namespace pixnorm_output {

struct Target {
  enum Kind { kReplace, kDirect, kDescriptor };
  Kind kind = kReplace;
  std::string path;  // kReplace: the file to rename over (links resolved); kDirect: the path to open
  int fd = -1;       // kDescriptor: the inherited descriptor to write to (never closed)
};

inline std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// "/dev/stdout" -> 1, "/dev/fd/3" -> 3; -1 for any other path.
inline int descriptor_path(const std::string& path) {
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const size_t n = std::strlen(prefix);
    if (path.compare(0, n, prefix) != 0 || path.size() == n || path.size() > n + 6) continue;
    if (path.find_first_not_of("0123456789", n) != std::string::npos) continue;
    return std::atoi(path.c_str() + n);
  }
  return -1;
}

// Follows `path` while it is a symbolic link; the final name may not exist yet (a dangling
// link is written through, creating its target). Returns 0 or an errno value.
inline int follow_links(const std::string& path, std::string* out) {
  std::string p = path;
  for (int depth = 0; depth < 40; ++depth) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      *out = p;
      return 0;
    }
    char buf[4096];
    const ssize_t n = ::readlink(p.c_str(), buf, sizeof(buf) - 1);
    if (n < 0) return errno;
    buf[n] = '\0';
    const std::string dir = p.rfind('/') == std::string::npos ? "" : p.substr(0, p.rfind('/') + 1);
    p = buf[0] == '/' ? std::string(buf) : dir + buf;
  }
  return ELOOP;
}

// Decides where `path` goes. Returns 0, or an errno value with *why set to a reason (a short
// text, or nullptr to use strerror).
inline int resolve(const std::string& path, Target* t, const char** why) {
  *why = nullptr;
  const int fd = descriptor_path(path);
  if (fd >= 0) {
    if (::fcntl(fd, F_GETFD) < 0) {
      *why = "that descriptor is not open in this process";
      return EBADF;
    }
    t->kind = Target::kDescriptor;
    t->fd = fd;
    t->path = path;
    return 0;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno;
  } else if (S_ISDIR(st.st_mode)) {
    *why = "is a folder, not a file";
    return EISDIR;
  } else if (S_ISBLK(st.st_mode)) {
    *why = "is a block device: not written directly (write a file, then copy it)";
    return EINVAL;
  } else if (S_ISSOCK(st.st_mode)) {
    *why = "is a socket: give a file, a FIFO, a character device or standard output";
    return EINVAL;
  } else if (!S_ISREG(st.st_mode)) {
    t->kind = Target::kDirect;
    t->path = path;
    return 0;
  }
  t->kind = Target::kReplace;
  return follow_links(path, &t->path);
}

// Part of the temporaries' names that identifies this host: its short name, in safe characters.
inline std::string host_tag() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) buf[0] = '\0';
  std::string h;
  for (const char* p = buf; *p && *p != '.' && h.size() < 32; ++p) {
    const char c = *p;
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    h += safe ? c : '_';
  }
  return h.empty() ? "host" : h;
}

// ".NAME.pixnorm-tmp.HOST." (the PID and a random part follow). Long names are cut so that
// the temporary's name stays within NAME_MAX.
inline std::string temp_prefix_name(const std::string& target) {
  const size_t slash = target.rfind('/');
  std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  if (base.size() > 160) base.resize(160);
  return "." + base + ".pixnorm-tmp." + host_tag() + ".";
}

inline bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Removes temporaries of `target` left by processes of this host that no longer run: only
// names of exactly this target's pattern, only regular files owned by this user (or any, as
// root), never one of a running process. Once per target and process: a checkpoint written
// every few seconds does not rescan its folder each time.
inline void remove_stale_temps(const std::string& target) {
  static std::mutex mutex;
  static std::set<std::string> done;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!done.insert(target).second) return;
  }
  const std::string dir = directory_of(target);
  const std::string prefix = temp_prefix_name(target);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (const struct dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // PID.XXXXXX
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot > 10 || rest.size() != dot + 7) continue;
    if (rest.find_first_not_of("0123456789") != dot) continue;
    bool random_ok = true;
    for (size_t i = dot + 1; i < rest.size(); ++i) random_ok = random_ok && is_alnum(rest[i]);
    if (!random_ok) continue;
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid <= 0 || pid == long(::getpid())) continue;
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // running, or not ours to judge
    const std::string full = dir + "/" + name;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::geteuid() != 0 && st.st_uid != ::geteuid()) continue;
    (void)::unlink(full.c_str());
  }
  ::closedir(d);
}

// Creates a new temporary file beside `target` (mode 0666 less the umask, as any new file).
// Returns the descriptor, or -1 with errno set.
inline int create_temp(const std::string& target, std::string* temp) {
  remove_stale_temps(target);
  static std::atomic<unsigned> counter{0};
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
  const std::string prefix = dir + temp_prefix_name(target) + std::to_string(long(::getpid())) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x = (unsigned long long)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
                            (unsigned long long)counter.fetch_add(1) * 0xBF58476D1CE4E5B9ull;
    std::string name = prefix;
    for (int i = 0; i < 6; ++i, x /= 62) name += kChars[x % 62];
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) *temp = name;
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

}  // namespace pixnorm_output

#endif
