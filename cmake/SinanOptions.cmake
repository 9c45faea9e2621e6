#===- cmake/SinanOptions.cmake - Compiler flags shared by all targets ----===#
# SPDX-License-Identifier: Apache-2.0
#===---------------------------------------------------------------------===#

if(SINAN_USE_CCACHE)
  find_program(SINAN_CCACHE ccache)
  if(SINAN_CCACHE)
    set(CMAKE_C_COMPILER_LAUNCHER "${SINAN_CCACHE}")
    set(CMAKE_CXX_COMPILER_LAUNCHER "${SINAN_CCACHE}")
  endif()
endif()

# Assertions on in an optimized build: strip NDEBUG from the config flags.
if(SINAN_ENABLE_ASSERTIONS)
  foreach(flags CMAKE_C_FLAGS_RELEASE CMAKE_CXX_FLAGS_RELEASE
                CMAKE_C_FLAGS_RELWITHDEBINFO CMAKE_CXX_FLAGS_RELWITHDEBINFO)
    string(REGEX REPLACE "(^| )[/-]D *NDEBUG($| )" " " ${flags} "${${flags}}")
  endforeach()
endif()

if(SINAN_SANITIZERS)
  list(JOIN SINAN_SANITIZERS "," _san)
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()

# libFuzzer targets under fuzz/ (the `fuzz` preset): every library gets the
# coverage instrumentation (-fsanitize=fuzzer-no-link); only the fuzzer
# executables link libFuzzer itself. Needs Clang and the compiler.
option(SINAN_BUILD_FUZZERS "Build the libFuzzer targets under fuzz/ (Clang)"
  OFF)
if(SINAN_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SINAN_BUILD_FUZZERS needs Clang (the `fuzz` preset "
                        "uses clang++-22), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT SINAN_BUILD_COMPILER)
    message(FATAL_ERROR "SINAN_BUILD_FUZZERS needs SINAN_BUILD_COMPILER=ON")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

add_compile_options(-Wall -Wextra -Wno-unused-parameter)
