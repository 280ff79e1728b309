# Debian packages: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr,
# -DCMAKE_INSTALL_LIBDIR=lib/<multiarch triplet> and -DBUILD_SHARED_LIBS=ON (.ci/package does it
# for amd64, and for arm64 and armhf with the toolchains/ files). One package per install component, as Debian splits libraries:
#   libpixnorm<soversion>  runtime  the shared library (libpixnorm.so.0.2 while 0.x)
#   libpixnorm-dev         dev      headers, the libpixnorm.so link, the CMake package, pixnorm.pc
#   pixnorm                cli      the command-line tool
# Dependencies on system libraries come from dpkg-shlibdeps; between the three, exact versions.

# The package architecture is the target's, not the build machine's (cross builds).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_deb_arch amd64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(_deb_arch arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^armv7" AND CMAKE_LIBRARY_ARCHITECTURE STREQUAL "arm-linux-gnueabihf")
  set(_deb_arch armhf)
else()
  set(_deb_arch "")
endif()
set(PIXNORM_DEB_ARCH "${_deb_arch}" CACHE STRING
    "Debian architecture of the packages cpack -G DEB makes (amd64, arm64, armhf; empty: the build machine's)")

set(CPACK_PACKAGE_NAME pixnorm)
set(CPACK_PACKAGE_VENDOR "The pixnorm authors")
set(CPACK_PACKAGE_CONTACT "The pixnorm authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_COMPONENTS_ALL runtime dev cli)  # not the benchmark
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version_arch.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The pixnorm authors")
if(PIXNORM_DEB_ARCH)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${PIXNORM_DEB_ARCH})
endif()
set(CPACK_STRIP_FILES ON)  # CMAKE_STRIP: the cross toolchain's for cross builds
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The tool needs libpixnorm.so from the runtime package, not from the system: dpkg-shlibdeps finds
# it in the build tree and the component dependency below names the package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libpixnorm${PIXNORM_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# A shlibs file (what packages built against it depend on) and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)  # only the runtime package has a shared library
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The synopsis of each is the project's description; these follow it.
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "The shared library. pixnorm turns uint8 images (RGB, BGR, gray, \
NV12 ...) into normalized float, int8 or f16 tensors with frozen statistics, bit-exact across its \
scalar, Highway and xsimd backends.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libpixnorm-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_COMPONENT_DEV_DESCRIPTION "Development files: the C API header pixnorm/pixnorm.h, the C++ \
wrapper pixnorm/pixnorm.hpp, the CMake package (find_package(pixnorm)) and pixnorm.pc for pkg-config.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME pixnorm)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_CLI_DEPENDS runtime)
set(CPACK_COMPONENT_CLI_DESCRIPTION "The command-line tool: pixnorm fits normalization statistics over \
image folders and applies them to images, writing .npy tensors.")

include(CPack)
