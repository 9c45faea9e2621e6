//===- Target.cpp - SNPU target descriptions ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Target.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace sinan {
namespace detail {
/// Defined in the generated BuiltinTargets.cpp: preset name -> JSON text.
extern const std::map<std::string_view, std::string_view> kBuiltinTargets;
} // namespace detail

namespace {
using nlohmann::json;

bool isPowerOfTwo(uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

/// Collects every problem as "origin: json.path: message".
class Diagnostics {
public:
  explicit Diagnostics(std::string_view origin) : origin(origin) {}
  void report(const std::string &path, const std::string &message) {
    if (path.empty())
      messages.push_back(fmt::format("{}: {}", origin, message));
    else
      messages.push_back(fmt::format("{}: {}: {}", origin, path, message));
  }
  bool empty() const { return messages.empty(); }
  std::string joined() const {
    std::string text;
    for (const std::string &message : messages)
      text += (text.empty() ? "" : "\n") + message;
    return text;
  }

private:
  std::string origin;
  std::vector<std::string> messages;
};

/// Reads the fields of one JSON object, remembering which keys it consumed
/// so that finish() can report the unknown ones (usually typos).
class ObjectReader {
public:
  ObjectReader(const json *object, std::string path, Diagnostics &diags,
               std::map<std::string, std::string> &sources)
      : object(object), path(std::move(path)), diags(diags), sources(sources) {
    if (object && !object->is_object()) {
      diags.report(this->path, "must be an object");
      this->object = nullptr;
    }
  }

  bool has(const std::string &key) const {
    return object && object->contains(key);
  }

  /// The raw value at `key`; reports a missing field.
  const json *field(const std::string &key) {
    seen.insert(key);
    if (!object)
      return nullptr;
    auto it = object->find(key);
    if (it == object->end()) {
      diags.report(join(key), "missing field");
      return nullptr;
    }
    return &*it;
  }

  std::string text(const std::string &key) {
    const json *value = field(key);
    if (!value)
      return {};
    if (!value->is_string()) {
      diags.report(join(key), "must be a string");
      return {};
    }
    return value->get<std::string>();
  }

  /// A parameter {"value": N, "source": "..."} with min <= N <= max.
  uint64_t param(const std::string &key, uint64_t min, uint64_t max) {
    const json *value = field(key);
    if (!value)
      return 0;
    ObjectReader entry(value, join(key), diags, sources);
    std::string source = entry.text("source");
    if (entry.has("source") && source.empty())
      diags.report(join(key) + ".source",
                   "must say where the value comes from");
    sources[join(key)] = source;
    const json *number = entry.field("value");
    entry.finish();
    if (!number)
      return 0;
    if (!number->is_number_unsigned()) {
      diags.report(join(key) + ".value",
                   fmt::format("must be a non-negative integer, got {}",
                               number->dump()));
      return 0;
    }
    uint64_t result = number->get<uint64_t>();
    if (result < min || result > max) {
      diags.report(
          join(key) + ".value",
          fmt::format("{} is out of range [{}, {}]", result, min, max));
      return 0;
    }
    return result;
  }

  ObjectReader child(const std::string &key) {
    return ObjectReader(field(key), join(key), diags, sources);
  }

  /// Reports keys that were never read.
  void finish() {
    if (!object)
      return;
    for (auto it = object->begin(); it != object->end(); ++it)
      if (!seen.count(it.key()))
        diags.report(join(it.key()), "unknown key");
  }

  std::string join(const std::string &key) const {
    return path.empty() ? key : path + "." + key;
  }

private:
  const json *object;
  std::string path;
  Diagnostics &diags;
  std::map<std::string, std::string> &sources;
  std::set<std::string> seen;
};

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;

LocalMemoryDesc readLocal(ObjectReader &local, const std::string &key) {
  ObjectReader memory = local.child(key);
  LocalMemoryDesc desc;
  desc.sizeBytes = memory.param("size_kib", 1, 64 * kKiB) * kKiB;
  desc.banks = static_cast<uint32_t>(memory.param("banks", 1, 64));
  memory.finish();
  return desc;
}

MatrixTile readTile(ObjectReader &matrix, const std::string &key) {
  ObjectReader tile = matrix.child(key);
  MatrixTile result;
  result.m = static_cast<uint32_t>(tile.param("m", 1, 256));
  result.k = static_cast<uint32_t>(tile.param("k", 1, 256));
  result.n = static_cast<uint32_t>(tile.param("n", 1, 256));
  tile.finish();
  return result;
}

void readMatrix(ObjectReader &root, TargetDesc &desc, Diagnostics &diags) {
  ObjectReader matrix = root.child("matrix");
  static const std::pair<const char *, DType> kInputTypes[] = {
      {"int8", DType::I8}, {"bf16", DType::BF16}};
  for (auto [key, type] : kInputTypes)
    if (matrix.has(key))
      desc.matrixTiles[type] = readTile(matrix, key);
  if (desc.matrixTiles.empty())
    diags.report("matrix", "must describe at least one input type "
                           "(\"int8\" or \"bf16\")");
  desc.matrixLatencyCycles = matrix.param("latency_cycles", 1, 10000);
  matrix.finish();
}

void readFields(ObjectReader &root, TargetDesc &desc, Diagnostics &diags) {
  std::string schema = root.text("schema");
  if (root.has("schema") && schema != "sinan-target/1")
    diags.report("schema", fmt::format("unsupported schema '{}' (this build "
                                       "reads \"sinan-target/1\")",
                                       schema));
  desc.name = root.text("name");
  desc.description = root.text("description");
  desc.clockMhz = root.param("clock_mhz", 1, 10000);
  desc.cores = static_cast<uint32_t>(root.param("cores", 1, 256));
  desc.alignmentBytes =
      static_cast<uint32_t>(root.param("alignment_bytes", 1, 4096));

  ObjectReader dram = root.child("dram");
  desc.dramSizeBytes = dram.param("size_mib", 1, 1024 * kMiB) * kMiB;
  desc.dramBytesPerCycle = dram.param("bytes_per_cycle", 1, 1 << 20);
  desc.dramLatencyCycles = dram.param("latency_cycles", 0, 100000);
  dram.finish();

  ObjectReader link = root.child("host_link");
  desc.hostLinkBytesPerCycle = link.param("bytes_per_cycle", 1, 1 << 20);
  desc.hostLinkLatencyCycles = link.param("latency_cycles", 0, 10000000);
  link.finish();

  ObjectReader dma = root.child("dma");
  desc.dmaBytesPerCycle = dma.param("bytes_per_cycle", 1, 1 << 20);
  desc.dmaSetupCycles = dma.param("setup_cycles", 0, 100000);
  desc.dmaBurstBytes = dma.param("burst_bytes", 1, 1 << 16);
  dma.finish();

  ObjectReader local = root.child("local");
  desc.ibuf = readLocal(local, "ibuf");
  desc.wbuf = readLocal(local, "wbuf");
  desc.acc = readLocal(local, "acc");
  desc.vbuf = readLocal(local, "vbuf");
  local.finish();

  readMatrix(root, desc, diags);

  ObjectReader vector = root.child("vector");
  desc.vectorBytesPerCycle = vector.param("bytes_per_cycle", 1, 1 << 16);
  desc.vectorLatencyCycles = vector.param("latency_cycles", 1, 10000);
  vector.finish();

  ObjectReader scalar = root.child("scalar");
  desc.scalarRegisters =
      static_cast<uint32_t>(scalar.param("registers", 4, 256));
  desc.scalarCyclesPerInstruction =
      scalar.param("cycles_per_instruction", 1, 1000);
  desc.queueDepth = static_cast<uint32_t>(scalar.param("queue_depth", 1, 4096));
  scalar.finish();

  ObjectReader sync = root.child("sync");
  desc.semaphoresPerEnginePair =
      static_cast<uint32_t>(sync.param("semaphores_per_engine_pair", 1, 64));
  desc.semaphoreMax =
      static_cast<uint32_t>(sync.param("semaphore_max", 1, 255));
  desc.crossCoreSemaphores =
      static_cast<uint32_t>(sync.param("cross_core_semaphores", 0, 1024));
  sync.finish();
  root.finish();
}

/// Rules that relate several fields; run only when each field parsed.
void checkConsistency(const TargetDesc &desc, Diagnostics &diags) {
  if (!isPowerOfTwo(desc.alignmentBytes))
    diags.report("alignment_bytes",
                 fmt::format("{} is not a power of two", desc.alignmentBytes));
  if (!isPowerOfTwo(desc.dmaBurstBytes))
    diags.report("dma.burst_bytes",
                 fmt::format("{} is not a power of two", desc.dmaBurstBytes));
  const std::pair<const char *, const LocalMemoryDesc *> memories[] = {
      {"ibuf", &desc.ibuf},
      {"wbuf", &desc.wbuf},
      {"acc", &desc.acc},
      {"vbuf", &desc.vbuf}};
  for (auto [name, memory] : memories) {
    if (!isPowerOfTwo(memory->banks))
      diags.report(fmt::format("local.{}.banks", name),
                   fmt::format("{} is not a power of two", memory->banks));
    else if (memory->sizeBytes %
                 (uint64_t(memory->banks) * desc.alignmentBytes) !=
             0)
      diags.report(fmt::format("local.{}.size_kib", name),
                   fmt::format("{} bytes do not split into {} banks of whole "
                               "{}-byte words",
                               memory->sizeBytes, memory->banks,
                               desc.alignmentBytes));
  }
  for (const auto &[type, tile] : desc.matrixTiles) {
    std::string path =
        fmt::format("matrix.{}", type == DType::I8 ? "int8" : "bf16");
    for (auto [dim, value] : {std::pair{"m", tile.m}, std::pair{"k", tile.k},
                              std::pair{"n", tile.n}})
      if (!isPowerOfTwo(value))
        diags.report(fmt::format("{}.{}", path, dim),
                     fmt::format("{} is not a power of two", value));
    uint64_t lhsBytes = uint64_t(tile.m) * tile.k * dtypeSize(type);
    uint64_t rhsBytes = uint64_t(tile.k) * tile.n * dtypeSize(type);
    uint64_t accBytes = uint64_t(tile.m) * tile.n * 4;
    if (lhsBytes > desc.ibuf.sizeBytes / desc.ibuf.banks ||
        rhsBytes > desc.wbuf.sizeBytes / desc.wbuf.banks ||
        accBytes > desc.acc.sizeBytes / desc.acc.banks)
      diags.report(path, "one tile does not fit in one bank of ibuf, wbuf "
                         "or acc");
  }
  if (desc.cores > 1 && desc.crossCoreSemaphores == 0)
    diags.report("sync.cross_core_semaphores",
                 fmt::format("must be at least 1 with {} cores", desc.cores));
}
} // namespace

uint64_t TargetDesc::peakMacsPerCycle(DType type) const {
  auto it = matrixTiles.find(type);
  return it == matrixTiles.end() ? 0 : it->second.macsPerCycle() * cores;
}

std::optional<TargetDesc> parseTarget(std::string_view text,
                                      std::string_view origin,
                                      std::string &error) {
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false,
                              /*ignore_comments=*/false);
  if (document.is_discarded()) {
    // Parse again only to learn where the syntax error is.
    try {
      (void)json::parse(text);
    } catch (const json::parse_error &e) {
      error = fmt::format("{}: invalid JSON at byte {}: {}", origin, e.byte,
                          e.what());
      return std::nullopt;
    }
    error = fmt::format("{}: invalid JSON", origin);
    return std::nullopt;
  }
  Diagnostics diags(origin);
  TargetDesc desc;
  ObjectReader root(&document, "", diags, desc.sources);
  readFields(root, desc, diags);
  if (diags.empty())
    checkConsistency(desc, diags);
  if (!diags.empty()) {
    error = diags.joined();
    return std::nullopt;
  }
  return desc;
}

std::optional<TargetDesc> loadTarget(const std::string &path,
                                     std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = fmt::format("{}: cannot open target description", path);
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return parseTarget(contents.str(), path, error);
}

std::vector<std::string> builtinTargetNames() {
  std::vector<std::string> names;
  for (const auto &entry : detail::kBuiltinTargets)
    names.emplace_back(entry.first);
  return names;
}

std::optional<TargetDesc> loadBuiltinTarget(std::string_view name,
                                            std::string &error) {
  auto it = detail::kBuiltinTargets.find(name);
  if (it == detail::kBuiltinTargets.end()) {
    std::string known;
    for (const std::string &preset : builtinTargetNames())
      known += (known.empty() ? "" : ", ") + preset;
    error =
        fmt::format("unknown target preset '{}' (built in: {})", name, known);
    return std::nullopt;
  }
  return parseTarget(it->second, name, error);
}

std::optional<TargetDesc> resolveTarget(const std::string &nameOrPath,
                                        std::string &error) {
  if (detail::kBuiltinTargets.count(nameOrPath))
    return loadBuiltinTarget(nameOrPath, error);
  if (nameOrPath.find('/') != std::string::npos ||
      nameOrPath.find(".json") != std::string::npos)
    return loadTarget(nameOrPath, error);
  return loadBuiltinTarget(nameOrPath, error);
}

} // namespace sinan
