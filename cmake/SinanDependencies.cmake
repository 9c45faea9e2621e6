#===- cmake/SinanDependencies.cmake - Third-party packages ---------------===#
# SPDX-License-Identifier: Apache-2.0
#
# Everything comes from Debian's packages (scripts/setup.sh installs them).
# The runtime needs only oneTBB, fmt, spdlog, FlatBuffers and nlohmann-json;
# the compiler adds LLVM/MLIR 22, protobuf and the ONNX schema.
#===---------------------------------------------------------------------===#

find_package(TBB REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(FlatBuffers REQUIRED CONFIG)
find_package(nlohmann_json REQUIRED CONFIG)
if(SINAN_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
  include(GoogleTest)
endif()
if(SINAN_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED CONFIG)
endif()

if(SINAN_BUILD_COMPILER)
  # MLIR's version file accepts only an exact version, so check the major.
  find_package(MLIR REQUIRED CONFIG HINTS /usr/lib/llvm-22/lib/cmake/mlir)
  if(NOT LLVM_VERSION_MAJOR EQUAL 22)
    message(FATAL_ERROR "Sinan needs LLVM/MLIR 22, found ${LLVM_PACKAGE_VERSION} "
      "in ${MLIR_DIR}; run scripts/setup.sh")
  endif()
  message(STATUS "Using MLIRConfig.cmake in: ${MLIR_DIR}")
  message(STATUS "Using LLVMConfig.cmake in: ${LLVM_DIR}")
  list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
  include(TableGen)
  include(AddLLVM)
  # sinan-tblgen links LLVM's static TableGen and Support libraries, whose
  # link interface names zstd (found with LLVM's own Findzstd.cmake).
  find_package(zstd REQUIRED)
  include(AddMLIR)
  # Read by mlir_target_link_libraries(): link libMLIR.so instead of the
  # static libraries.
  set(MLIR_LINK_MLIR_DYLIB ${SINAN_LINK_MLIR_DYLIB})

  find_package(Protobuf REQUIRED)
  find_package(ONNX REQUIRED CONFIG)

  find_program(SINAN_LIT NAMES lit lit.py llvm-lit
    HINTS "${LLVM_TOOLS_BINARY_DIR}" REQUIRED)
  find_program(SINAN_FILECHECK FileCheck
    HINTS "${LLVM_TOOLS_BINARY_DIR}" REQUIRED)
endif()
