# Raspberry Pi 3/4/5 with a 64-bit OS: cmake -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
# Highway dispatches at run time; under qemu the default CPU has SVE2, QEMU_CPU=cortex-a72 gives
# the NEON target of a Raspberry Pi 4.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PIXNORM_CROSS_TRIPLET aarch64-linux-gnu)
set(PIXNORM_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
