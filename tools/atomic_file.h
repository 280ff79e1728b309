// Writes an output file so that readers see either its old content or the complete new one,
// and registers the command's inputs so that no output replaces one of them.
#ifndef PIXNORM_TOOLS_ATOMIC_FILE_H
#define PIXNORM_TOOLS_ATOMIC_FILE_H

#include <cstddef>
#include <string>

namespace pixnorm_cli {

// A regular file (or a new name): the data goes to a temporary file beside it (same folder,
// hence same file system, so that rename() is atomic), named ".NAME.pixnorm-tmp.HOST.PID.XXXXXX";
// commit() syncs it and renames it over the file. Until then an existing file stays untouched;
// the destructor, SIGINT, SIGTERM and SIGHUP remove the temporary file, and temporaries of the
// same output left by killed processes of this host are removed. A symbolic link is followed
// and its final target replaced (the link stays).
// "-", a character device, a FIFO, /dev/stdout and /dev/fd/N: written directly as the data
// comes (nothing to rename over; a reader may see a partial stream before an error).
// A folder, a block device, a socket or a file registered as an input is refused.
// Failures throw CliError naming `path`. One instance at a time per process.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void commit();

 private:
  std::string path_;    // as given, for messages
  std::string target_;  // the file renamed over: path_ with symbolic links followed
  std::string temp_path_;
  int fd_ = -1;
  bool direct_ = false;    // written in place, no temporary
  bool borrowed_ = false;  // an inherited descriptor (standard output), not closed here
};

// Records a file the command reads (when it exists), by device and inode, so that an output
// naming the same file under any spelling, through a link or a hard link, is refused.
void register_input(const std::string& path);
// Throws a usage error when `output` is a registered input; `option` names it ("-o").
void refuse_input_as_output(const std::string& output, const std::string& option);

}  // namespace pixnorm_cli

#endif
