//===- AsanOptions.cpp - ASan defaults for fuzzers that link MLIR ---------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// LLVM's BumpPtrAllocator poisons the free part of its slabs when the code
// that inlines it is built with ASan. Sinan's dialects are (their attribute
// storage is allocated by inlined allocator code), Debian's libMLIR.so is
// not: MLIR itself then allocates from a slab our code poisoned without
// unpoisoning, and reading that storage (a StringAttr's characters) reports
// a use-after-poison that is no bug of either. Manual poisoning is turned
// off; heap, stack and global checks stay.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
