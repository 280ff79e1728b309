# Raspberry Pi 2/3/4 with a 32-bit OS (armv7, NEON, hard float):
#   cmake -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
# Highway 1.0.3's headers need an IEEE __fp16 (-mfp16-format=ieee) on this target, and its
# dynamic dispatch does not compile here, so the Highway backend is built for NEON statically.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(PIXNORM_CROSS_TRIPLET arm-linux-gnueabihf)
set(PIXNORM_CROSS_QEMU qemu-arm)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mfp16-format=ieee")
# -Wno-psabi: GCC notes an ABI change of GCC 7.1 at every std::vector of 64-bit values; nothing
# here mixes code built by older compilers.
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT} -Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
