#===- cmake/AddSinan.cmake - Target wrappers ------------------------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Thin wrappers so every Sinan target is declared the same way:
#   sinan_add_dialect(Name)          TableGen for a dialect under dialects/Name
#   sinan_add_library(name ...)      compiler library (may use MLIR)
#   sinan_add_runtime_library(name)  runtime library (never MLIR/LLVM)
#   sinan_add_tool(name ...)         executable in build/bin
#   sinan_add_unittest(name ...)     GoogleTest binary registered with ctest
#   sinan_add_benchmark(name ...)    Google Benchmark binary
# MLIR libraries go in MLIR_LIBS and are linked through
# mlir_target_link_libraries(), which swaps them for libMLIR.so when
# SINAN_LINK_MLIR_DYLIB is on; project libraries go in LINK_LIBS and are linked
# directly (giving them to mlir_target_link_libraries would drop them).
#===---------------------------------------------------------------------===#

set(_sinan_target_args "SOURCES;MLIR_LIBS;LINK_LIBS;DEPENDS")

function(_sinan_link name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  if(ARG_MLIR_LIBS)
    # libLLVM.so too: Sinan code calls LLVM Support (APFloat, raw_ostream)
    # directly, and libMLIR.so does not re-export it.
    mlir_target_link_libraries(${name} PUBLIC ${ARG_MLIR_LIBS})
    target_link_libraries(${name} PUBLIC LLVM)
  endif()
  if(ARG_LINK_LIBS)
    target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  endif()
endfunction()

# sinan_add_dialect(Name [EXTRA_INCLUDES dir...] [DEPENDS file...]): runs
# mlir-tblgen over
# dialects/Name/include/sinan/Dialect/Name/IR/NameOps.td and creates the
# SinanNameIncGen target plus a generated Markdown reference
# (build/docs/dialects/Name.md, target sinan-doc). The copy checked in as
# docs/dialects/Name-reference.md is compared with it by the ctest
# `docs-Name-reference` (label docs).
function(sinan_add_dialect dialect)
  cmake_parse_arguments(ARG "" "" "EXTRA_INCLUDES;DEPENDS" ${ARGN})
  string(TOLOWER ${dialect} ns)
  set(LLVM_TARGET_DEFINITIONS ${dialect}Ops.td)
  set(_inc EXTRA_INCLUDES ${MLIR_INCLUDE_DIRS} ${ARG_EXTRA_INCLUDES})
  if(ARG_DEPENDS)
    list(APPEND _inc DEPENDS ${ARG_DEPENDS})
  endif()
  mlir_tablegen(${dialect}Ops.h.inc -gen-op-decls ${_inc})
  mlir_tablegen(${dialect}Ops.cpp.inc -gen-op-defs ${_inc})
  mlir_tablegen(${dialect}Dialect.h.inc -gen-dialect-decls -dialect=${ns} ${_inc})
  mlir_tablegen(${dialect}Dialect.cpp.inc -gen-dialect-defs -dialect=${ns} ${_inc})
  add_public_tablegen_target(Sinan${dialect}IncGen)

  set(_doc "${SINAN_BINARY_DIR}/docs/dialects/${dialect}.md")
  tablegen(MLIR ${dialect}.md -gen-dialect-doc -dialect=${ns} ${_inc})
  add_custom_command(OUTPUT "${_doc}"
    COMMAND ${CMAKE_COMMAND} -E copy
            "${CMAKE_CURRENT_BINARY_DIR}/${dialect}.md" "${_doc}"
    DEPENDS "${CMAKE_CURRENT_BINARY_DIR}/${dialect}.md")
  add_custom_target(Sinan${dialect}Doc ALL DEPENDS "${_doc}")
  if(NOT TARGET sinan-doc)
    add_custom_target(sinan-doc)
  endif()
  add_dependencies(sinan-doc Sinan${dialect}Doc)
  if(SINAN_BUILD_TESTS)
    set(_checked_in "${SINAN_SOURCE_DIR}/docs/dialects/${dialect}-reference.md")
    add_test(NAME docs-${dialect}-reference
      COMMAND sh -c "diff -u \"$0\" \"$1\" || { echo \"stale: cp $1 $0\"; exit 1; }"
              "${_checked_in}" "${_doc}")
    set_tests_properties(docs-${dialect}-reference PROPERTIES LABELS docs)
  endif()
endfunction()

function(sinan_add_library name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  add_library(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  # Match LLVM's build: no exceptions in compiler code.
  target_compile_options(${name} PRIVATE -fno-exceptions)
  _sinan_link(${name} ${ARGN})
endfunction()

function(sinan_add_runtime_library name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  if(ARG_MLIR_LIBS)
    message(FATAL_ERROR "${name}: runtime libraries must not use MLIR")
  endif()
  add_library(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${SINAN_SOURCE_DIR}/runtime/include>)
  _sinan_link(${name} ${ARGN})
endfunction()

function(sinan_add_tool name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  _sinan_link(${name} ${ARGN})
endfunction()

# sinan_add_unittest(name SOURCES ... [LINK_LIBS ...] [MLIR_LIBS ...]):
# a GoogleTest binary; each TEST becomes a ctest entry labelled `unit`.
function(sinan_add_unittest name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${SINAN_BINARY_DIR}/test/unit")
  _sinan_link(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS unit)
endfunction()

function(sinan_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "${_sinan_target_args}" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${SINAN_BINARY_DIR}/bench")
  _sinan_link(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE benchmark::benchmark
                                        benchmark::benchmark_main)
endfunction()
