//===- Module.cpp - Compiled Sinan modules (.snm) -------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/module/Module.h"

#include "Module_generated.h"
#include "sinan/runtime/isa/Kernel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sinan::module {
namespace {

/// Little-endian fields of the 64-byte header.
struct Header {
  uint16_t major = 0, minor = 0;
  uint32_t flags = 0;
  uint64_t scheduleOffset = 0, scheduleSize = 0;
  uint64_t dataOffset = 0, dataSize = 0;
};

template <typename T> void put(std::vector<uint8_t> &out, size_t at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

template <typename T> T get(const uint8_t *p) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= uint64_t(p[i]) << (8 * i);
  return static_cast<T>(value);
}

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

flatbuffers::Offset<fb::Attribute> writeAttr(flatbuffers::FlatBufferBuilder &b,
                                             const Attr &attr) {
  auto name = b.CreateString(attr.name);
  flatbuffers::Offset<flatbuffers::String> s;
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> ints;
  flatbuffers::Offset<flatbuffers::Vector<double>> floats;
  fb::AttrKind kind = fb::AttrKind::Int;
  int64_t i = 0;
  double f = 0;
  if (auto *v = std::get_if<int64_t>(&attr.value)) {
    i = *v;
  } else if (auto *v = std::get_if<double>(&attr.value)) {
    kind = fb::AttrKind::Float;
    f = *v;
  } else if (auto *v = std::get_if<std::string>(&attr.value)) {
    kind = fb::AttrKind::String;
    s = b.CreateString(*v);
  } else if (auto *v = std::get_if<std::vector<int64_t>>(&attr.value)) {
    kind = fb::AttrKind::Ints;
    ints = b.CreateVector(*v);
  } else {
    kind = fb::AttrKind::Floats;
    floats = b.CreateVector(std::get<std::vector<double>>(attr.value));
  }
  return fb::CreateAttribute(b, name, kind, i, f, s, ints, floats);
}

flatbuffers::Offset<fb::Step> writeStep(flatbuffers::FlatBufferBuilder &b,
                                        const StepDesc &step) {
  auto op = b.CreateString(step.op);
  std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
  for (const Attr &attr : step.attributes)
    attrs.push_back(writeAttr(b, attr));
  return fb::CreateStep(
      b, static_cast<fb::StepKind>(step.kind), op, b.CreateVector(attrs),
      b.CreateVector(step.inputs), b.CreateVector(step.outputs), step.kernel,
      b.CreateVector(step.deps), step.cpuEntry, step.hostCycles);
}

flatbuffers::Offset<fb::CpuObject>
writeCpuObject(flatbuffers::FlatBufferBuilder &b, const CpuObjectDesc &object) {
  if (object.empty())
    return 0;
  std::vector<flatbuffers::Offset<fb::CpuEntry>> entries;
  for (const CpuEntryDesc &e : object.entries) {
    std::vector<flatbuffers::Offset<fb::CpuPacking>> packing;
    for (const CpuPackingDesc &p : e.packing)
      packing.push_back(fb::CreateCpuPacking(b, p.input, p.k, p.panel));
    entries.push_back(fb::CreateCpuEntry(
        b, b.CreateString(e.symbol), b.CreateString(e.signature), e.extent,
        e.grain, packing.empty() ? 0 : b.CreateVector(packing)));
  }
  return fb::CreateCpuObject(
      b, b.CreateString(object.triple), b.CreateString(object.cpu),
      b.CreateVectorOfStrings(object.features), object.checksum,
      b.CreateVector(object.image), b.CreateVector(entries));
}

std::string valueName(const ModuleDesc &m, uint32_t index) {
  return fmt::format("value {} ('{}')", index, m.values[index].name);
}

} // namespace

bool hasModuleMagic(const std::string &path) {
  char magic[sizeof(kMagic)] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(magic, sizeof(magic)) &&
         std::memcmp(magic, kMagic, sizeof(magic)) == 0;
}

uint64_t ValueDesc::byteSize() const {
  uint64_t count = 1;
  for (int64_t d : shape)
    count *= static_cast<uint64_t>(d);
  return count * dtypeSize(dtype);
}

const AttrValue *StepDesc::attr(const std::string &name) const {
  for (const Attr &a : attributes)
    if (a.name == name)
      return &a.value;
  return nullptr;
}

uint64_t imageChecksum(const uint8_t *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

std::string signatureOf(const ModuleDesc &m,
                        const std::vector<uint32_t> &inputs,
                        const std::vector<uint32_t> &outputs,
                        const std::vector<CpuPackingDesc> &packing) {
  auto list = [&](const std::vector<uint32_t> &ids, bool areInputs) {
    std::string text;
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t id = ids[i];
      if (!text.empty())
        text += ",";
      if (id >= m.values.size()) {
        text += "?";
        continue;
      }
      const ValueDesc &v = m.values[id];
      text +=
          fmt::format("{}[{}]", dtypeName(v.dtype), fmt::join(v.shape, ","));
      if (areInputs)
        for (const CpuPackingDesc &p : packing)
          if (p.input == i)
            text += fmt::format("/panels({},{})", p.k, p.panel);
    }
    return text;
  };
  return list(inputs, true) + "->" + list(outputs, false);
}

const char *stepKindName(StepKind kind) {
  static const char *kNames[] = {"host", "launch", "to-device", "to-host",
                                 "view"};
  return kNames[static_cast<int>(kind)];
}

std::vector<uint8_t>
writeModule(ModuleDesc module,
            const std::vector<std::vector<uint8_t>> &constants) {
  // Lay the constants out in value order, each 64-byte aligned.
  uint64_t dataSize = 0;
  size_t next = 0;
  std::vector<const std::vector<uint8_t> *> order;
  for (ValueDesc &v : module.values) {
    if (v.kind != ValueKind::Constant)
      continue;
    dataSize = alignTo(dataSize, kDataAlignment);
    v.offset = dataSize;
    const std::vector<uint8_t> &bytes = constants.at(next++);
    order.push_back(&bytes);
    dataSize += bytes.size();
  }

  flatbuffers::FlatBufferBuilder b(1024);
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (const ValueDesc &v : module.values) {
    bool constant = v.kind == ValueKind::Constant;
    values.push_back(fb::CreateValue(
        b, b.CreateString(v.name), static_cast<fb::ValueKind>(v.kind),
        static_cast<uint8_t>(v.dtype), b.CreateVector(v.shape),
        constant ? v.offset : 0,
        v.kind == ValueKind::Intermediate ? v.offset : 0,
        static_cast<fb::Location>(v.location)));
  }
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
  for (const KernelDesc &k : module.kernels)
    kernels.push_back(fb::CreateKernel(b, b.CreateString(k.name),
                                       b.CreateVector(k.container),
                                       k.estimateCycles));
  std::vector<flatbuffers::Offset<fb::Step>> steps;
  for (const StepDesc &s : module.steps)
    steps.push_back(writeStep(b, s));
  auto root = fb::CreateModule(
      b, b.CreateString(module.compilerVersion),
      b.CreateString(module.sourceHash), b.CreateString(module.target),
      module.targetFingerprint, b.CreateVector(values),
      b.CreateVector(module.inputs), b.CreateVector(module.outputs),
      module.arenaSize, b.CreateVector(kernels), b.CreateVector(steps),
      module.deviceArenaSize, writeCpuObject(b, module.cpuObject));
  fb::FinishModuleBuffer(b, root);

  uint64_t scheduleOffset = kHeaderSize, scheduleSize = b.GetSize();
  uint64_t dataOffset = alignTo(scheduleOffset + scheduleSize, kDataAlignment);
  std::vector<uint8_t> out(dataOffset + dataSize, 0);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  put<uint16_t>(out, 8, kMajorVersion);
  put<uint16_t>(out, 10, kMinorVersion);
  put<uint32_t>(out, 12, 0);
  put<uint64_t>(out, 16, scheduleOffset);
  put<uint64_t>(out, 24, scheduleSize);
  put<uint64_t>(out, 32, dataOffset);
  put<uint64_t>(out, 40, dataSize);
  std::memcpy(out.data() + scheduleOffset, b.GetBufferPointer(), scheduleSize);
  size_t c = 0;
  for (const ValueDesc &v : module.values)
    if (v.kind == ValueKind::Constant) {
      const std::vector<uint8_t> &bytes = *order[c++];
      if (!bytes.empty())
        std::memcpy(out.data() + dataOffset + v.offset, bytes.data(),
                    bytes.size());
    }
  return out;
}

Module::~Module() {
  if (mapped)
    munmap(const_cast<uint8_t *>(bytes), size);
}

std::unique_ptr<Module> Module::load(const std::string &path,
                                     std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = fmt::format("{}: not a regular file", path);
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<Module> module(new Module());
  module->size = static_cast<size_t>(st.st_size);
  if (module->size > 0) {
    void *map = mmap(nullptr, module->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      error = fmt::format("{}: cannot map: {}", path, std::strerror(errno));
      ::close(fd);
      return nullptr;
    }
    module->bytes = static_cast<const uint8_t *>(map);
    module->mapped = true;
  }
  ::close(fd);
  if (!module->parse(error)) {
    error = path + ": " + error;
    return nullptr;
  }
  return module;
}

std::unique_ptr<Module> Module::loadFromMemory(const uint8_t *data, size_t size,
                                               std::string &error) {
  std::unique_ptr<Module> module(new Module());
  module->owned.assign(data, data + size);
  module->bytes = module->owned.data();
  module->size = size;
  if (!module->parse(error))
    return nullptr;
  return module;
}

const uint8_t *Module::constantData(uint32_t index) const {
  return bytes + dataOffset + description.values.at(index).offset;
}

namespace {

bool readHeader(const uint8_t *bytes, size_t size, Header &h,
                std::string &error) {
  if (size < kHeaderSize) {
    error = fmt::format("file is {} bytes, shorter than the {}-byte module "
                        "header (truncated?)",
                        size, kHeaderSize);
    return false;
  }
  if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) {
    error = "not a Sinan module (bad magic at offset 0)";
    return false;
  }
  h.major = get<uint16_t>(bytes + 8);
  h.minor = get<uint16_t>(bytes + 10);
  h.flags = get<uint32_t>(bytes + 12);
  h.scheduleOffset = get<uint64_t>(bytes + 16);
  h.scheduleSize = get<uint64_t>(bytes + 24);
  h.dataOffset = get<uint64_t>(bytes + 32);
  h.dataSize = get<uint64_t>(bytes + 40);
  if (h.major != kMajorVersion) {
    error = fmt::format("module format version {}.{}; this runtime reads "
                        "version {}.x (recompile the model with a matching "
                        "sinan-compile)",
                        h.major, h.minor, kMajorVersion);
    return false;
  }
  auto fits = [&](uint64_t offset, uint64_t length) {
    return offset <= size && length <= size - offset;
  };
  if (h.scheduleOffset < kHeaderSize || h.scheduleOffset % 8 != 0 ||
      !fits(h.scheduleOffset, h.scheduleSize)) {
    error = fmt::format("schedule section (offset {}, {} bytes, header offset "
                        "16) lies outside the {}-byte file or is misaligned",
                        h.scheduleOffset, h.scheduleSize, size);
    return false;
  }
  if (h.dataOffset % kDataAlignment != 0 || !fits(h.dataOffset, h.dataSize)) {
    error = fmt::format("data section (offset {}, {} bytes, header offset 32) "
                        "lies outside the {}-byte file or is not {}-byte "
                        "aligned",
                        h.dataOffset, h.dataSize, size, kDataAlignment);
    return false;
  }
  return true;
}

std::string str(const flatbuffers::String *s) { return s ? s->str() : ""; }

/// The FlatBuffers verifier aligns a vector's length field, not its 8-byte
/// elements; a corrupt file could place them misaligned.
template <typename T> bool aligned(const flatbuffers::Vector<T> *v) {
  return !v || v->size() == 0 ||
         reinterpret_cast<uintptr_t>(v->data()) % alignof(T) == 0;
}

template <typename T> std::vector<T> vec(const flatbuffers::Vector<T> *v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

/// Converts the verified FlatBuffer; enum ranges are checked here.
bool convert(const fb::Module &m, ModuleDesc &out, std::string &error) {
  out.compilerVersion = str(m.compiler_version());
  out.sourceHash = str(m.source_hash());
  out.target = str(m.target());
  out.targetFingerprint = m.target_fingerprint();
  out.arenaSize = m.arena_size();
  out.deviceArenaSize = m.device_arena_size();
  out.inputs = vec(m.inputs());
  out.outputs = vec(m.outputs());
  if (m.values())
    for (const fb::Value *v : *m.values()) {
      ValueDesc value;
      value.name = str(v->name());
      uint32_t index = out.values.size();
      if (static_cast<uint8_t>(v->kind()) > 3 || v->dtype() >= kNumDTypes ||
          static_cast<uint8_t>(v->location()) > 1) {
        error = fmt::format("value {} ('{}'): unknown kind {}, dtype code {} "
                            "or location {}",
                            index, value.name, static_cast<unsigned>(v->kind()),
                            static_cast<unsigned>(v->dtype()),
                            static_cast<unsigned>(v->location()));
        return false;
      }
      if (!aligned(v->shape())) {
        error = fmt::format("value {} ('{}'): misaligned shape vector "
                            "(corrupt schedule)",
                            index, value.name);
        return false;
      }
      value.kind = static_cast<ValueKind>(v->kind());
      value.dtype = static_cast<DType>(v->dtype());
      value.shape = vec(v->shape());
      value.offset = value.kind == ValueKind::Constant ? v->data_offset()
                                                       : v->arena_offset();
      value.location = static_cast<Location>(v->location());
      out.values.push_back(std::move(value));
    }
  if (m.kernels())
    for (const fb::Kernel *k : *m.kernels())
      out.kernels.push_back(
          {str(k->name()), vec(k->container()), k->estimate_cycles()});
  if (const fb::CpuObject *object = m.cpu_object()) {
    CpuObjectDesc &cpu = out.cpuObject;
    cpu.triple = str(object->triple());
    cpu.cpu = str(object->cpu());
    if (object->features())
      for (const flatbuffers::String *f : *object->features())
        cpu.features.push_back(str(f));
    cpu.checksum = object->checksum();
    cpu.image = vec(object->image());
    if (object->entries())
      for (const fb::CpuEntry *e : *object->entries()) {
        CpuEntryDesc entry{
            str(e->symbol()), str(e->signature()), e->extent(), e->grain(), {}};
        if (e->packing())
          for (const fb::CpuPacking *p : *e->packing())
            entry.packing.push_back({p->input(), p->k(), p->panel()});
        cpu.entries.push_back(std::move(entry));
      }
  }
  if (m.steps())
    for (const fb::Step *s : *m.steps()) {
      StepDesc step;
      uint32_t index = out.steps.size();
      if (static_cast<uint8_t>(s->kind()) >
          static_cast<uint8_t>(StepKind::View)) {
        error = fmt::format("step {}: unknown step kind {}", index,
                            static_cast<unsigned>(s->kind()));
        return false;
      }
      step.kind = static_cast<StepKind>(s->kind());
      step.op = str(s->op());
      step.inputs = vec(s->inputs());
      step.outputs = vec(s->outputs());
      step.kernel = s->kernel();
      step.deps = vec(s->deps());
      step.cpuEntry = s->cpu_entry();
      step.hostCycles = s->host_cycles();
      if (s->attributes())
        for (const fb::Attribute *a : *s->attributes()) {
          Attr attr{str(a->name()), int64_t{0}};
          if (!aligned(a->ints()) || !aligned(a->floats())) {
            error = fmt::format("step {}: attribute '{}' has a misaligned "
                                "list (corrupt schedule)",
                                index, attr.name);
            return false;
          }
          switch (a->kind()) {
          case fb::AttrKind::Int:
            attr.value = a->i();
            break;
          case fb::AttrKind::Float:
            attr.value = a->f();
            break;
          case fb::AttrKind::String:
            attr.value = str(a->s());
            break;
          case fb::AttrKind::Ints:
            attr.value = vec(a->ints());
            break;
          case fb::AttrKind::Floats:
            attr.value = vec(a->floats());
            break;
          default:
            error = fmt::format("step {} ('{}'): attribute '{}' has unknown "
                                "kind {}",
                                index, step.op, attr.name,
                                static_cast<unsigned>(a->kind()));
            return false;
          }
          step.attributes.push_back(std::move(attr));
        }
      out.steps.push_back(std::move(step));
    }
  return true;
}

/// Shapes, sizes and placements of the values.
bool checkValues(const ModuleDesc &m, uint64_t dataSize, std::string &error) {
  for (uint32_t i = 0; i < m.values.size(); ++i) {
    const ValueDesc &v = m.values[i];
    uint64_t count = 1;
    for (int64_t d : v.shape) {
      if (d < 0 || (d > 0 && count > (uint64_t(1) << 48) / uint64_t(d))) {
        error = valueName(m, i) + ": bad shape";
        return false;
      }
      count *= static_cast<uint64_t>(d);
    }
    uint64_t bytes = v.byteSize();
    if (v.kind == ValueKind::Constant &&
        (v.offset % kDataAlignment != 0 || v.offset > dataSize ||
         bytes > dataSize - v.offset)) {
      error = fmt::format("{}: constant of {} bytes at data offset {} lies "
                          "outside the {}-byte data section or is misaligned",
                          valueName(m, i), bytes, v.offset, dataSize);
      return false;
    }
    bool onDevice = v.location == Location::Device;
    if (onDevice && v.kind != ValueKind::Intermediate) {
      error = valueName(m, i) + ": only intermediates may live on the device";
      return false;
    }
    uint64_t arena = onDevice ? m.deviceArenaSize : m.arenaSize;
    uint64_t align = std::max<uint64_t>(dtypeSize(v.dtype), 1);
    if (v.kind == ValueKind::Intermediate && v.offset % align != 0) {
      error = fmt::format("{}: arena offset {} is not a multiple of its "
                          "element size {}",
                          valueName(m, i), v.offset, align);
      return false;
    }
    if (v.kind == ValueKind::Intermediate &&
        (v.offset > arena || bytes > arena - v.offset)) {
      error = fmt::format("{}: {} bytes at {}arena offset {} lie outside the "
                          "{}-byte {}arena",
                          valueName(m, i), bytes, onDevice ? "device " : "",
                          v.offset, arena, onDevice ? "device " : "");
      return false;
    }
  }
  auto checkList = [&](const std::vector<uint32_t> &list, ValueKind kind,
                       const char *what) {
    for (uint32_t index : list)
      if (index >= m.values.size() || m.values[index].kind != kind) {
        error = fmt::format("module {} list names value {}, which is not an "
                            "{} value",
                            what, index, what);
        return false;
      }
    return true;
  };
  if (!checkList(m.inputs, ValueKind::Input, "input") ||
      !checkList(m.outputs, ValueKind::Output, "output"))
    return false;
  // Every input and output value is bound exactly once.
  std::vector<int> listed(m.values.size(), 0);
  for (uint32_t index : m.inputs)
    ++listed[index];
  for (uint32_t index : m.outputs)
    ++listed[index];
  for (uint32_t i = 0; i < m.values.size(); ++i) {
    ValueKind kind = m.values[i].kind;
    if ((kind == ValueKind::Input || kind == ValueKind::Output) &&
        listed[i] != 1) {
      error = fmt::format("{} appears {} times in the module's {} list, not "
                          "once",
                          valueName(m, i), listed[i],
                          kind == ValueKind::Input ? "input" : "output");
      return false;
    }
  }
  return true;
}

/// Host ops touch host memory only, launches device memory only, and a copy
/// moves one value between the two without changing its type or shape.
bool checkPlacement(const ModuleDesc &m, const StepDesc &step,
                    const std::string &name, std::string &error) {
  auto onDevice = [&](uint32_t v) {
    return v < m.values.size() && m.values[v].location == Location::Device;
  };
  auto all = [&](const std::vector<uint32_t> &ids, bool device) {
    for (uint32_t v : ids)
      if (v < m.values.size() && onDevice(v) != device) {
        error =
            fmt::format("{}: {} is in {} memory, but a {} step needs it "
                        "in {} memory",
                        name, valueName(m, v), device ? "host" : "device",
                        stepKindName(step.kind), device ? "device" : "host");
        return false;
      }
    return true;
  };
  switch (step.kind) {
  case StepKind::HostOp:
    return all(step.inputs, false) && all(step.outputs, false);
  case StepKind::KernelLaunch:
    if (step.inputs.size() + step.outputs.size() > kMaxLaunchBindings) {
      error = fmt::format("{} binds {} values; a launch binds at most {}", name,
                          step.inputs.size() + step.outputs.size(),
                          kMaxLaunchBindings);
      return false;
    }
    return all(step.inputs, true) && all(step.outputs, true);
  case StepKind::View: {
    if (step.inputs.empty() || step.outputs.size() != 1) {
      error = name + ": a view gives one value the bytes of its inputs";
      return false;
    }
    uint32_t to = step.outputs[0];
    if (to >= m.values.size() ||
        std::any_of(step.inputs.begin(), step.inputs.end(),
                    [&](uint32_t from) { return from >= m.values.size(); }))
      return true; // The index checks name it.
    const ValueDesc &b = m.values[to];
    auto intermediates = [&](const ValueDesc &a) {
      return a.kind == ValueKind::Intermediate &&
             b.kind == ValueKind::Intermediate && a.location == b.location;
    };
    // One input: the output is its bytes in another shape (a reshape), or
    // (format 1.7) a run of them of its element type (a slice).
    if (step.inputs.size() == 1) {
      const ValueDesc &a = m.values[step.inputs[0]];
      bool reshape = a.offset == b.offset && a.byteSize() == b.byteSize();
      bool run = a.dtype == b.dtype && b.offset >= a.offset &&
                 b.offset + b.byteSize() <= a.offset + a.byteSize();
      if (!intermediates(a) || !(reshape || run)) {
        error =
            fmt::format("{}: {} is not a view of {} (intermediates of "
                        "one arena, at one offset, of one size, or a run "
                        "of its bytes of its element type)",
                        name, valueName(m, to), valueName(m, step.inputs[0]));
        return false;
      }
      return true;
    }
    // Several (1.7): their bytes end to end from the output's offset, of its
    // element type (a concatenation written in place).
    uint64_t at = b.offset;
    for (uint32_t from : step.inputs) {
      const ValueDesc &a = m.values[from];
      if (!intermediates(a) || a.offset != at || a.dtype != b.dtype) {
        error = fmt::format("{}: {} is not a view of {} (intermediates of "
                            "one arena, the inputs' bytes end to end from "
                            "the output's offset)",
                            name, valueName(m, to), valueName(m, from));
        return false;
      }
      at += a.byteSize();
    }
    if (at != b.offset + b.byteSize()) {
      error = fmt::format("{}: {} has {} bytes, its inputs {}", name,
                          valueName(m, to), b.byteSize(), at - b.offset);
      return false;
    }
    return true;
  }
  case StepKind::CopyToDevice:
  case StepKind::CopyToHost: {
    bool toDevice = step.kind == StepKind::CopyToDevice;
    if (step.inputs.size() != 1 || step.outputs.size() != 1) {
      error = name + ": a copy moves exactly one value";
      return false;
    }
    uint32_t from = step.inputs[0], to = step.outputs[0];
    if (from < m.values.size() && to < m.values.size() &&
        (m.values[from].dtype != m.values[to].dtype ||
         m.values[from].shape != m.values[to].shape)) {
      error = fmt::format("{}: copies {} into {} of another type or shape",
                          name, valueName(m, from), valueName(m, to));
      return false;
    }
    return all(step.inputs, !toDevice) && all(step.outputs, toDevice);
  }
  }
  return true;
}

/// A host op's native entry exists and was compiled for the step's types.
bool checkCpuEntry(const ModuleDesc &m, const StepDesc &step,
                   const std::string &name, std::string &error) {
  if (step.cpuEntry < 0)
    return true;
  if (step.kind != StepKind::HostOp ||
      size_t(step.cpuEntry) >= m.cpuObject.entries.size()) {
    error = fmt::format("{} names CPU entry {}, but it is not a host op or "
                        "the CPU object has {} entries",
                        name, step.cpuEntry, m.cpuObject.entries.size());
    return false;
  }
  if (step.inputs.size() + step.outputs.size() > kMaxLaunchBindings) {
    error = fmt::format("{} binds {} values; native code binds at most {}",
                        name, step.inputs.size() + step.outputs.size(),
                        kMaxLaunchBindings);
    return false;
  }
  const CpuEntryDesc &entry = m.cpuObject.entries[step.cpuEntry];
  // A packed input is an f32 value of whole rows of k in whole panels.
  for (size_t i = 0; i < entry.packing.size(); ++i) {
    const CpuPackingDesc &p = entry.packing[i];
    const ValueDesc *v =
        p.input < step.inputs.size() && step.inputs[p.input] < m.values.size()
            ? &m.values[step.inputs[p.input]]
            : nullptr;
    int64_t elements = 1;
    if (v)
      for (int64_t d : v->shape)
        elements *= d;
    bool ordered = i == 0 || entry.packing[i - 1].input < p.input;
    if (!v || !ordered || v->dtype != DType::F32 || p.k < 1 || p.panel < 1 ||
        elements % p.k != 0 || (elements / p.k) % p.panel != 0) {
      error =
          fmt::format("{}: CPU entry {} ('{}') packs its input {} as "
                      "panels of {} rows of {}, which {}",
                      name, step.cpuEntry, entry.symbol, p.input, p.panel, p.k,
                      v ? "does not divide that f32 value or repeats an "
                          "input"
                        : "the step does not have");
      return false;
    }
  }
  std::string signature =
      signatureOf(m, step.inputs, step.outputs, entry.packing);
  if (entry.signature != signature) {
    error = fmt::format("{} binds {}, but CPU entry {} ('{}') was compiled "
                        "for {}",
                        name, signature, step.cpuEntry, entry.symbol,
                        entry.signature);
    return false;
  }
  // The range counts units of the kernel's work, as the compiler cut it
  // (the output's dimension 0, or a convolution's blocks): each unit writes
  // at least one element of the one output.
  int64_t elements = 0;
  if (step.outputs.size() == 1 && step.outputs[0] < m.values.size()) {
    elements = 1;
    for (int64_t d : m.values[step.outputs[0]].shape)
      elements *= d;
  }
  if (step.outputs.size() != 1 || entry.extent < 1 || entry.extent > elements ||
      entry.grain < 1) {
    error = fmt::format("{}: CPU entry {} ('{}') splits a range of {} in "
                        "slices of {}; its one output of {} elements takes "
                        "1 to {} units",
                        name, step.cpuEntry, entry.symbol, entry.extent,
                        entry.grain, elements, elements);
    return false;
  }
  return true;
}

/// The CPU object is an ELF shared object for a known machine whose bytes
/// match their checksum, with named entries.
bool checkCpuObject(const CpuObjectDesc &cpu, std::string &error) {
  if (cpu.empty()) {
    if (!cpu.entries.empty() || !cpu.image.empty()) {
      error = "CPU object without a target triple";
      return false;
    }
    return true;
  }
  const std::vector<uint8_t> &elf = cpu.image;
  if (imageChecksum(elf.data(), elf.size()) != cpu.checksum) {
    error = fmt::format("CPU object ({} bytes): checksum mismatch (corrupt "
                        "module)",
                        elf.size());
    return false;
  }
  // e_ident: magic, 64-bit, little-endian; e_type ET_DYN; e_machine.
  static const uint8_t kElf[] = {0x7f, 'E', 'L', 'F', 2, 1};
  uint16_t type = 0, machine = 0;
  if (elf.size() >= 64) {
    std::memcpy(&type, elf.data() + 16, 2);
    std::memcpy(&machine, elf.data() + 18, 2);
  }
  if (elf.size() < 64 || std::memcmp(elf.data(), kElf, sizeof(kElf)) != 0 ||
      type != 3) {
    error = "CPU object is not a 64-bit little-endian ELF shared object";
    return false;
  }
  std::string arch = cpu.triple.substr(0, cpu.triple.find('-'));
  uint16_t expected = arch == "x86_64" ? 62 : arch == "aarch64" ? 183 : 0;
  if (machine != expected) {
    error = fmt::format("CPU object for '{}' holds code for ELF machine {}",
                        cpu.triple, machine);
    return false;
  }
  for (size_t i = 0; i < cpu.entries.size(); ++i)
    if (cpu.entries[i].symbol.empty()) {
      error = fmt::format("CPU entry {} has no symbol", i);
      return false;
    }
  return true;
}

/// Indices, dependencies and data flow of the steps: every value a step
/// reads is an input, a constant, or written by an earlier step it depends
/// on (directly or through other steps), and each value is written once.
bool checkSteps(const ModuleDesc &m, std::string &error) {
  size_t n = m.steps.size();
  std::vector<int64_t> writer(m.values.size(), -1);
  std::vector<std::vector<bool>> before(n);
  for (uint32_t s = 0; s < n; ++s) {
    const StepDesc &step = m.steps[s];
    std::string name =
        step.op.empty()
            ? fmt::format("step {} ({})", s, stepKindName(step.kind))
            : fmt::format("step {} ('{}')", s, step.op);
    before[s].assign(n, false);
    for (uint32_t d : step.deps) {
      if (d >= s) {
        error = fmt::format("{} depends on step {}, which does not come "
                            "before it",
                            name, d);
        return false;
      }
      before[s][d] = true;
      for (size_t k = 0; k < d; ++k)
        if (before[d][k])
          before[s][k] = true;
    }
    if (step.kind == StepKind::HostOp && step.op.empty()) {
      error = name + ": host op without an op name";
      return false;
    }
    if (step.kind == StepKind::KernelLaunch &&
        (step.kernel < 0 || size_t(step.kernel) >= m.kernels.size())) {
      error = fmt::format("{} launches kernel {}, but the module has {}", name,
                          step.kernel, m.kernels.size());
      return false;
    }
    if (!checkPlacement(m, step, name, error) ||
        !checkCpuEntry(m, step, name, error))
      return false;
    for (uint32_t v : step.inputs) {
      if (v >= m.values.size()) {
        error = fmt::format("{} reads value {}, but the module has {}", name, v,
                            m.values.size());
        return false;
      }
      ValueKind kind = m.values[v].kind;
      if (kind == ValueKind::Input || kind == ValueKind::Constant)
        continue;
      if (writer[v] < 0) {
        error = fmt::format("{} reads {} before any step writes it", name,
                            valueName(m, v));
        return false;
      }
      if (!before[s][writer[v]]) {
        error = fmt::format("{} reads {}, written by step {}, without "
                            "depending on that step",
                            name, valueName(m, v), writer[v]);
        return false;
      }
    }
    for (uint32_t v : step.outputs) {
      if (v >= m.values.size() || m.values[v].kind == ValueKind::Input ||
          m.values[v].kind == ValueKind::Constant || writer[v] >= 0) {
        error = fmt::format("{} writes value {}, which is out of range, an "
                            "input, a constant or already written",
                            name, v);
        return false;
      }
      writer[v] = s;
    }
  }
  for (uint32_t v : m.outputs)
    if (writer[v] < 0) {
      error = "no step writes output " + valueName(m, v);
      return false;
    }
  return true;
}

bool decodeKernels(const ModuleDesc &m, std::vector<isa::Kernel> &decoded,
                   std::string &error) {
  decoded.clear();
  for (size_t k = 0; k < m.kernels.size(); ++k) {
    const KernelDesc &kernel = m.kernels[k];
    std::string kernelError;
    std::optional<isa::Kernel> parsed = isa::readKernel(
        kernel.container.data(), kernel.container.size(), kernelError);
    if (!parsed) {
      error = fmt::format("kernel {} ('{}'): {}", k, kernel.name, kernelError);
      return false;
    }
    if (parsed->targetFingerprint != m.targetFingerprint) {
      error = fmt::format("kernel {} ('{}') was built for target '{}', not "
                          "the module's '{}' (fingerprints differ)",
                          k, kernel.name, parsed->targetName, m.target);
      return false;
    }
    decoded.push_back(std::move(*parsed));
  }
  return true;
}

} // namespace

bool Module::parse(std::string &error) {
  Header h;
  if (!readHeader(bytes, size, h, error))
    return false;
  const uint8_t *schedule = bytes + h.scheduleOffset;
  flatbuffers::Verifier verifier(schedule, h.scheduleSize);
  if (!fb::VerifyModuleBuffer(verifier)) {
    error = fmt::format("schedule section at offset {} ({} bytes) is corrupt "
                        "or truncated (FlatBuffers verification failed)",
                        h.scheduleOffset, h.scheduleSize);
    return false;
  }
  scheduleStart = h.scheduleOffset;
  scheduleBytes = h.scheduleSize;
  dataOffset = h.dataOffset;
  dataSize = h.dataSize;
  description = ModuleDesc();
  description.majorVersion = h.major;
  description.minorVersion = h.minor;
  return convert(*fb::GetModule(schedule), description, error) &&
         checkValues(description, dataSize, error) &&
         checkCpuObject(description.cpuObject, error) &&
         checkSteps(description, error) &&
         decodeKernels(description, kernels, error);
}

} // namespace sinan::module
