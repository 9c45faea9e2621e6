//===- Npy.cpp - NumPy .npy and .npz files --------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/runtime/Npy.h"

#include <fmt/format.h>

#include <cstring>

#include <fstream>
#include <iterator>

namespace sinan {
namespace {

bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
              std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = fmt::format("{}: cannot open", path);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(file),
               std::istreambuf_iterator<char>());
  return true;
}

uint64_t little(const uint8_t *p, unsigned bytes) {
  uint64_t value = 0;
  for (unsigned i = 0; i < bytes; ++i)
    value |= uint64_t(p[i]) << (8 * i);
  return value;
}

/// NumPy dtype descriptor -> DType.
std::optional<DType> fromDescr(const std::string &descr) {
  if (descr == "<f4")
    return DType::F32;
  if (descr == "<f2")
    return DType::F16;
  if (descr == "|i1" || descr == "<i1")
    return DType::I8;
  if (descr == "<i4")
    return DType::I32;
  if (descr == "<i8")
    return DType::I64;
  if (descr == "|b1")
    return DType::I1;
  if (descr == "|u1")
    return DType::U8;
  if (descr == "<i2")
    return DType::I16;
  if (descr == "<u2")
    return DType::U16;
  if (descr == "<u4")
    return DType::U32;
  if (descr == "<u8")
    return DType::U64;
  if (descr == "<f8")
    return DType::F64;
  return std::nullopt;
}

std::string toDescr(DType type) {
  switch (type) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I8:
    return "|i1";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::I1:
    return "|b1";
  case DType::U8:
    return "|u1";
  case DType::I16:
    return "<i2";
  case DType::U16:
    return "<u2";
  case DType::U32:
    return "<u4";
  case DType::U64:
    return "<u8";
  case DType::F64:
    return "<f8";
  default:
    return "";
  }
}

/// The text of `'key': value` in a header dict (value up to , or }).
std::optional<std::string> headerValue(const std::string &header,
                                       const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return std::nullopt;
  size_t colon = header.find(':', at);
  if (colon == std::string::npos)
    return std::nullopt;
  size_t begin = header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos)
    return std::nullopt;
  size_t end = header[begin] == '('    ? header.find(')', begin) + 1
               : header[begin] == '\'' ? header.find('\'', begin + 1) + 1
                                       : header.find_first_of(",}", begin);
  if (end == std::string::npos || end == 0)
    return std::nullopt;
  return header.substr(begin, end - begin);
}
} // namespace

std::optional<Tensor> parseNpy(const std::vector<uint8_t> &bytes,
                               const std::string &name, std::string &error) {
  auto fail = [&](const std::string &message) {
    error = fmt::format("{}: {}", name, message);
    return std::nullopt;
  };
  if (bytes.size() < 10 ||
      std::string(bytes.begin(), bytes.begin() + 6) != "\x93NUMPY")
    return fail("not a .npy file (bad magic)");
  unsigned major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = little(&bytes[8], 2);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    headerLength = little(&bytes[8], 4);
    headerStart = 12;
  } else {
    return fail(fmt::format("unsupported .npy version {}", major));
  }
  if (headerStart + headerLength > bytes.size())
    return fail("truncated header");
  std::string header(bytes.begin() + headerStart,
                     bytes.begin() + headerStart + headerLength);
  std::optional<std::string> descr = headerValue(header, "descr");
  std::optional<std::string> order = headerValue(header, "fortran_order");
  std::optional<std::string> shapeText = headerValue(header, "shape");
  if (!descr || !order || !shapeText)
    return fail("malformed header: " + header);
  std::string descrName = descr->substr(1, descr->size() - 2);
  std::optional<DType> type = fromDescr(descrName);
  if (!type)
    return fail(fmt::format("dtype '{}' is not supported (float16/32/64, "
                            "int8/16/32/64, uint8/16/32/64, bool)",
                            descrName));
  bool fortran = *order == "True";
  if (*order != "False" && !fortran)
    return fail("malformed fortran_order " + *order);
  std::vector<int64_t> shape;
  std::string dims = shapeText->substr(1, shapeText->size() - 2);
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t comma = dims.find(',', pos);
    std::string item = dims.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t first = item.find_first_not_of(' ');
    if (first != std::string::npos) {
      try {
        shape.push_back(std::stoll(item.substr(first)));
      } catch (...) {
        return fail("malformed shape " + *shapeText);
      }
      if (shape.back() < 0)
        return fail("negative dimension in shape " + *shapeText);
    }
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  Tensor tensor(*type, shape);
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart != tensor.byteSize())
    return fail(fmt::format("holds {} bytes of data, shape ({}) of {} needs {}",
                            bytes.size() - dataStart, formatShape(shape),
                            dtypeName(*type), tensor.byteSize()));
  if (!fortran) {
    std::copy(bytes.begin() + dataStart, bytes.end(), tensor.data());
    return tensor;
  }
  // Column-major data (numpy.save of a transposed view): gather each
  // row-major element from its column-major offset.
  size_t width = dtypeSize(*type);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t r = 0; r < tensor.numElements(); ++r) {
    int64_t offset = 0, stride = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      offset += index[d] * stride;
      stride *= shape[d];
    }
    std::memcpy(tensor.data() + r * width,
                bytes.data() + dataStart + offset * width, width);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return tensor;
}

std::optional<Tensor> readNpy(const std::string &path, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return std::nullopt;
  return parseNpy(bytes, path, error);
}

std::optional<std::vector<uint8_t>> serializeNpy(const Tensor &tensor,
                                                 std::string &error) {
  std::string descr = toDescr(tensor.type());
  if (descr.empty()) {
    error =
        fmt::format("{} tensors have no NumPy dtype", dtypeName(tensor.type()));
    return std::nullopt;
  }
  std::string shape = "(";
  for (int64_t dim : tensor.shape())
    shape += fmt::format("{}, ", dim);
  if (tensor.shape().size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape().size() == 1)
    shape.resize(shape.size() - 1); // "(3,)"
  shape += ")";
  std::string header = fmt::format(
      "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  // Pad so the data starts on a 64-byte boundary; the header ends in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(static_cast<uint8_t>(header.size() & 0xff));
  bytes.push_back(static_cast<uint8_t>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), tensor.data(), tensor.data() + tensor.byteSize());
  return bytes;
}

bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error) {
  std::optional<std::vector<uint8_t>> bytes = serializeNpy(tensor, error);
  if (!bytes) {
    error = fmt::format("{}: {}", path, error);
    return false;
  }
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char *>(bytes->data()),
             static_cast<std::streamsize>(bytes->size()));
  if (!file) {
    error = fmt::format("{}: cannot write", path);
    return false;
  }
  return true;
}

std::optional<std::vector<std::pair<std::string, Tensor>>>
readNpz(const std::string &path, std::string &error) {
  std::vector<uint8_t> bytes;
  if (!readFile(path, bytes, error))
    return std::nullopt;
  std::vector<std::pair<std::string, Tensor>> members;
  size_t at = 0;
  // Walk local file headers (PK\3\4) until the central directory.
  while (at + 30 <= bytes.size() && little(&bytes[at], 4) == 0x04034b50) {
    unsigned flags = little(&bytes[at + 6], 2);
    unsigned method = little(&bytes[at + 8], 2);
    uint64_t size = little(&bytes[at + 18], 4);
    unsigned nameLength = little(&bytes[at + 26], 2);
    unsigned extraLength = little(&bytes[at + 28], 2);
    if (at + 30 + nameLength + extraLength > bytes.size()) {
      error = fmt::format("{}: truncated zip entry at offset {}", path, at);
      return std::nullopt;
    }
    std::string name(bytes.begin() + at + 30,
                     bytes.begin() + at + 30 + nameLength);
    // Zip64: the real size sits in the extra field (id 0x0001).
    if (size == 0xffffffffu) {
      size_t extra = at + 30 + nameLength;
      for (size_t e = extra; e + 4 <= extra + extraLength;) {
        unsigned id = little(&bytes[e], 2), len = little(&bytes[e + 2], 2);
        if (id == 1 && len >= 16)
          size = little(&bytes[e + 4 + 8], 8);
        e += 4 + len;
      }
    }
    if (method != 0) {
      error = fmt::format("{}: member '{}' is compressed; write it with "
                          "numpy.savez, not savez_compressed",
                          path, name);
      return std::nullopt;
    }
    if (flags & 0x8) {
      error = fmt::format("{}: member '{}' uses a data descriptor, which is "
                          "not supported",
                          path, name);
      return std::nullopt;
    }
    size_t data = at + 30 + nameLength + extraLength;
    if (data + size > bytes.size()) {
      error = fmt::format("{}: member '{}' is truncated", path, name);
      return std::nullopt;
    }
    std::vector<uint8_t> member(bytes.begin() + data,
                                bytes.begin() + data + size);
    std::optional<Tensor> tensor = parseNpy(member, path + ":" + name, error);
    if (!tensor)
      return std::nullopt;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".npy")
      name.resize(name.size() - 4);
    members.emplace_back(name, std::move(*tensor));
    at = data + size;
  }
  if (members.empty()) {
    error = fmt::format("{}: not an .npz archive (no zip members)", path);
    return std::nullopt;
  }
  return members;
}

} // namespace sinan
