# Shared part of the Debian multiarch cross toolchains. The including file sets
#   PIXNORM_CROSS_TRIPLET  GNU triplet of the cross compiler and of the multiarch directories
#   PIXNORM_CROSS_QEMU     user-mode emulator that runs the target's binaries
# before including this file. Target libraries come from Debian packages of the target
# architecture (apt-get install libhwy-dev:arm64): they live in /usr/lib/<triplet>, share the
# headers in /usr/include with the host, and the target's libc is in /usr/<triplet>.
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${PIXNORM_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${PIXNORM_CROSS_TRIPLET}-g++)
# Makes find_library/find_package look in /usr/lib/<triplet> (and never in the host's).
set(CMAKE_LIBRARY_ARCHITECTURE ${PIXNORM_CROSS_TRIPLET})

# No sysroot: the target's libraries sit under the host's /usr, so "/" is a find root next to
# the cross libc in /usr/<triplet>; CMAKE_LIBRARY_ARCHITECTURE keeps the host's libraries out.
set(CMAKE_FIND_ROOT_PATH /usr/${PIXNORM_CROSS_TRIPLET} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest (and anything else using the emulator) runs target binaries through qemu; -L points
# it at the target's dynamic loader and libc. QEMU_CPU in the environment selects the CPU.
set(CMAKE_CROSSCOMPILING_EMULATOR ${PIXNORM_CROSS_QEMU} -L /usr/${PIXNORM_CROSS_TRIPLET})
