//===- Kernel.cpp - SNPU kernel binary container --------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Layout (little-endian):
//   0   magic "SNPUKERN"     8  u16 major   10  u16 minor   12  u32 count
//   16  count x {u32 kind, u32 flags, u64 offset, u64 size}
//   then the sections, each starting on a 64-byte boundary.
// Program sections carry the core index in `flags`; the metadata section is
// {u64 fingerprint, u32 name length, name bytes}.
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/isa/Kernel.h"

#include "sinan/runtime/Target.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace sinan::isa {
namespace {
constexpr size_t kHeaderBytes = 16, kEntryBytes = 24, kSectionAlign = 64;

void put(std::vector<uint8_t> &out, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void patch(std::vector<uint8_t> &out, size_t at, uint64_t value,
           unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get(const uint8_t *data, unsigned bytes) {
  uint64_t value = 0;
  for (unsigned i = 0; i < bytes; ++i)
    value |= uint64_t(data[i]) << (8 * i);
  return value;
}

/// FNV-1a, enough to tell target descriptions apart.
class Fnv {
public:
  void add(uint64_t value) {
    for (unsigned i = 0; i < 8; ++i) {
      hash ^= (value >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  }
  uint64_t hash = 0xcbf29ce484222325ull;
};
} // namespace

uint64_t targetFingerprint(const TargetDesc &t) {
  Fnv fnv;
  for (uint64_t value : {t.clockMhz,
                         uint64_t(t.cores),
                         uint64_t(t.alignmentBytes),
                         t.dramSizeBytes,
                         t.dramBytesPerCycle,
                         t.dramLatencyCycles,
                         t.hostLinkBytesPerCycle,
                         t.hostLinkLatencyCycles,
                         t.dmaBytesPerCycle,
                         t.dmaSetupCycles,
                         t.dmaBurstBytes,
                         t.ibuf.sizeBytes,
                         uint64_t(t.ibuf.banks),
                         t.wbuf.sizeBytes,
                         uint64_t(t.wbuf.banks),
                         t.acc.sizeBytes,
                         uint64_t(t.acc.banks),
                         t.vbuf.sizeBytes,
                         uint64_t(t.vbuf.banks),
                         t.matrixLatencyCycles,
                         t.vectorBytesPerCycle,
                         t.vectorLatencyCycles,
                         uint64_t(t.scalarRegisters),
                         t.scalarCyclesPerInstruction,
                         uint64_t(t.semaphoresPerEnginePair),
                         uint64_t(t.semaphoreMax),
                         uint64_t(t.crossCoreSemaphores)})
    fnv.add(value);
  for (const auto &[type, tile] : t.matrixTiles) {
    fnv.add(static_cast<uint64_t>(type));
    fnv.add(uint64_t(tile.m) << 32 | uint64_t(tile.k) << 16 | tile.n);
  }
  return fnv.hash;
}

std::vector<uint8_t> writeKernel(const Kernel &kernel) {
  struct Section {
    SectionKind kind;
    uint32_t flags;
    std::vector<uint8_t> bytes;
  };
  std::vector<Section> sections;
  std::vector<uint8_t> metadata;
  put(metadata, kernel.targetFingerprint, 8);
  put(metadata, kernel.targetName.size(), 4);
  metadata.insert(metadata.end(), kernel.targetName.begin(),
                  kernel.targetName.end());
  sections.push_back({SectionKind::Metadata, 0, std::move(metadata)});
  for (size_t core = 0; core < kernel.programs.size(); ++core) {
    std::vector<uint8_t> text;
    for (const Instruction &inst : kernel.programs[core])
      for (uint32_t word : encode(inst))
        put(text, word, 4);
    sections.push_back(
        {SectionKind::Program, static_cast<uint32_t>(core), std::move(text)});
  }
  if (!kernel.readOnlyData.empty())
    sections.push_back({SectionKind::ReadOnlyData, 0, kernel.readOnlyData});
  if (kernel.unreadArguments) {
    std::vector<uint8_t> unread;
    put(unread, kernel.unreadArguments, 8);
    sections.push_back({SectionKind::UnreadArguments, 0, std::move(unread)});
  }
  if (kernel.scratchBytes) {
    std::vector<uint8_t> scratch;
    put(scratch, kernel.scratchBytes, 8);
    sections.push_back({SectionKind::Scratch, 0, std::move(scratch)});
  }

  std::vector<uint8_t> out(kKernelMagic, kKernelMagic + 8);
  put(out, kKernelMajorVersion, 2);
  put(out, kKernelMinorVersion, 2);
  put(out, sections.size(), 4);
  size_t table = out.size();
  out.resize(table + sections.size() * kEntryBytes);
  for (size_t i = 0; i < sections.size(); ++i) {
    out.resize((out.size() + kSectionAlign - 1) / kSectionAlign *
               kSectionAlign);
    size_t entry = table + i * kEntryBytes;
    patch(out, entry, static_cast<uint32_t>(sections[i].kind), 4);
    patch(out, entry + 4, sections[i].flags, 4);
    patch(out, entry + 8, out.size(), 8);
    patch(out, entry + 16, sections[i].bytes.size(), 8);
    out.insert(out.end(), sections[i].bytes.begin(), sections[i].bytes.end());
  }
  return out;
}

namespace {
bool readProgram(const uint8_t *data, uint64_t offset, uint64_t size,
                 uint32_t core, Kernel &kernel, std::string &error) {
  if (size % kInstructionBytes != 0) {
    error = fmt::format("program of core {} at offset 0x{:x} is {} bytes, not "
                        "a multiple of {}",
                        core, offset, size, kInstructionBytes);
    return false;
  }
  std::vector<Instruction> program;
  for (uint64_t at = offset; at < offset + size; at += kInstructionBytes) {
    Word word;
    for (unsigned i = 0; i < 4; ++i)
      word[i] = static_cast<uint32_t>(get(data + at + 4 * i, 4));
    std::string why;
    std::optional<Instruction> inst = decode(word, why);
    if (!inst) {
      error = fmt::format("core {} instruction {} (file offset 0x{:x}): {}",
                          core, (at - offset) / kInstructionBytes, at, why);
      return false;
    }
    program.push_back(*inst);
  }
  if (kernel.programs.size() <= core)
    kernel.programs.resize(core + 1);
  kernel.programs[core] = std::move(program);
  return true;
}

bool readMetadata(const uint8_t *data, uint64_t offset, uint64_t size,
                  Kernel &kernel, std::string &error) {
  if (size < 12 || get(data + offset + 8, 4) != size - 12) {
    error = fmt::format("metadata section at offset 0x{:x} is malformed "
                        "({} bytes)",
                        offset, size);
    return false;
  }
  kernel.targetFingerprint = get(data + offset, 8);
  kernel.targetName.assign(reinterpret_cast<const char *>(data + offset + 12),
                           size - 12);
  return true;
}
} // namespace

std::optional<Kernel> readKernel(const uint8_t *data, size_t size,
                                 std::string &error) {
  if (size < kHeaderBytes) {
    error = fmt::format("truncated: {} bytes, the header alone needs {}", size,
                        kHeaderBytes);
    return std::nullopt;
  }
  if (std::memcmp(data, kKernelMagic, 8) != 0) {
    error = "bad magic at offset 0: not an SNPU kernel (expected "
            "\"SNPUKERN\")";
    return std::nullopt;
  }
  uint16_t major = static_cast<uint16_t>(get(data + 8, 2));
  uint16_t minor = static_cast<uint16_t>(get(data + 10, 2));
  if (major != kKernelMajorVersion) {
    error = fmt::format("kernel format version {}.{} at offset 8; this build "
                        "reads version {}.x",
                        major, minor, kKernelMajorVersion);
    return std::nullopt;
  }
  uint64_t count = get(data + 12, 4);
  if (count > (size - kHeaderBytes) / kEntryBytes) {
    error = fmt::format("truncated: {} sections need a {}-byte table at "
                        "offset 16 but the file has {} bytes",
                        count, count * kEntryBytes, size);
    return std::nullopt;
  }
  Kernel kernel;
  bool sawMetadata = false;
  std::vector<bool> sawCore;
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t *entry = data + kHeaderBytes + i * kEntryBytes;
    uint32_t kind = static_cast<uint32_t>(get(entry, 4));
    uint32_t flags = static_cast<uint32_t>(get(entry + 4, 4));
    uint64_t offset = get(entry + 8, 8), length = get(entry + 16, 8);
    if (offset > size || length > size - offset) {
      error = fmt::format("section {} (offset 0x{:x}, {} bytes) extends past "
                          "the end of the {}-byte file",
                          i, offset, length, size);
      return std::nullopt;
    }
    switch (static_cast<SectionKind>(kind)) {
    case SectionKind::Program:
      if (flags >= 4096 || (flags < sawCore.size() && sawCore[flags])) {
        error =
            fmt::format("section {}: bad or repeated core index {}", i, flags);
        return std::nullopt;
      }
      if (sawCore.size() <= flags)
        sawCore.resize(flags + 1);
      sawCore[flags] = true;
      if (!readProgram(data, offset, length, flags, kernel, error))
        return std::nullopt;
      break;
    case SectionKind::ReadOnlyData:
      kernel.readOnlyData.assign(data + offset, data + offset + length);
      break;
    case SectionKind::UnreadArguments:
      if (length != 8) {
        error = fmt::format("section {}: an unread-arguments section holds 8 "
                            "bytes, not {}",
                            i, length);
        return std::nullopt;
      }
      kernel.unreadArguments = get(data + offset, 8);
      break;
    case SectionKind::Scratch:
      if (length != 8) {
        error = fmt::format("section {}: a scratch section holds 8 bytes, "
                            "not {}",
                            i, length);
        return std::nullopt;
      }
      kernel.scratchBytes = get(data + offset, 8);
      if (kernel.scratchBytes > (uint64_t(1) << 40)) {
        error = fmt::format("section {}: scratch of {} bytes is more than "
                            "any device holds",
                            i, kernel.scratchBytes);
        return std::nullopt;
      }
      break;
    case SectionKind::Metadata:
      if (sawMetadata) {
        error = fmt::format("section {}: second metadata section", i);
        return std::nullopt;
      }
      sawMetadata = true;
      if (!readMetadata(data, offset, length, kernel, error))
        return std::nullopt;
      break;
    default:
      error = fmt::format("section {} at table offset 0x{:x}: unknown kind {}",
                          i, kHeaderBytes + i * kEntryBytes, kind);
      return std::nullopt;
    }
  }
  if (!sawMetadata) {
    error = "no metadata section";
    return std::nullopt;
  }
  for (size_t core = 0; core < sawCore.size(); ++core)
    if (!sawCore[core]) {
      error = fmt::format("no program for core {}", core);
      return std::nullopt;
    }
  return kernel;
}

std::optional<Kernel> loadKernel(const std::string &path, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = fmt::format("{}: cannot open", path);
    return std::nullopt;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  std::optional<Kernel> kernel = readKernel(bytes.data(), bytes.size(), error);
  if (!kernel)
    error = fmt::format("{}: {}", path, error);
  return kernel;
}

} // namespace sinan::isa
