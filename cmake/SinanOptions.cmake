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

add_compile_options(-Wall -Wextra -Wno-unused-parameter)
