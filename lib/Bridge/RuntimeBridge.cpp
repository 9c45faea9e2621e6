//===- RuntimeBridge.cpp - MLIR values as runtime values ------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Bridge/RuntimeBridge.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cstring>

using namespace mlir;

namespace sinan {

std::optional<DType> toDType(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF16())
    return DType::F16;
  if (type.isBF16())
    return DType::BF16;
  if (type.isF64())
    return DType::F64;
  if (isa<Float8E4M3FNType>(type))
    return DType::F8E4M3FN;
  if (isa<Float8E4M3FNUZType>(type))
    return DType::F8E4M3FNUZ;
  if (isa<Float8E5M2Type>(type))
    return DType::F8E5M2;
  if (isa<Float8E5M2FNUZType>(type))
    return DType::F8E5M2FNUZ;
  if (isa<Float8E8M0FNUType>(type))
    return DType::F8E8M0FNU;
  if (isa<Float4E2M1FNType>(type))
    return DType::F4E2M1FN;
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  unsigned width = integer.getWidth();
  if (integer.isUnsigned()) {
    switch (width) {
    case 4:
      return DType::U4;
    case 8:
      return DType::U8;
    case 16:
      return DType::U16;
    case 32:
      return DType::U32;
    case 64:
      return DType::U64;
    default:
      return std::nullopt;
    }
  }
  if (!integer.isSignless())
    return std::nullopt;
  switch (width) {
  case 1:
    return DType::I1;
  case 4:
    return DType::I4;
  case 8:
    return DType::I8;
  case 16:
    return DType::I16;
  case 32:
    return DType::I32;
  case 64:
    return DType::I64;
  default:
    return std::nullopt;
  }
}

Type toMlirType(DType type, MLIRContext &context) {
  Builder b(&context);
  switch (type) {
  case DType::F32:
    return b.getF32Type();
  case DType::F16:
    return b.getF16Type();
  case DType::BF16:
    return b.getBF16Type();
  case DType::F64:
    return b.getF64Type();
  case DType::I1:
    return b.getIntegerType(1);
  case DType::I8:
    return b.getIntegerType(8);
  case DType::I16:
    return b.getIntegerType(16);
  case DType::I32:
    return b.getIntegerType(32);
  case DType::I64:
    return b.getIntegerType(64);
  case DType::U8:
    return b.getIntegerType(8, false);
  case DType::U16:
    return b.getIntegerType(16, false);
  case DType::U32:
    return b.getIntegerType(32, false);
  case DType::U64:
    return b.getIntegerType(64, false);
  case DType::F8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case DType::F8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case DType::F8E5M2:
    return b.getType<Float8E5M2Type>();
  case DType::F8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case DType::F8E8M0FNU:
    return b.getType<Float8E8M0FNUType>();
  case DType::F4E2M1FN:
    return b.getType<Float4E2M1FNType>();
  case DType::I4:
    return b.getIntegerType(4);
  case DType::U4:
    return b.getIntegerType(4, false);
  }
  return {};
}

Tensor toTensor(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  Tensor tensor(
      *toDType(type.getElementType()),
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
  if (type.getElementType().isInteger(1)) {
    int64_t i = 0;
    for (bool value : attr.getValues<bool>())
      tensor.data()[i++] = value;
    return tensor;
  }
  // 4-bit types: one element per byte (i4 sign-extended) from the values, not
  // from MLIR's storage layout.
  if (tensor.type() == DType::F4E2M1FN) {
    int64_t i = 0;
    for (const APFloat &value : attr.getValues<APFloat>())
      tensor.data()[i++] = value.bitcastToAPInt().getZExtValue();
    return tensor;
  }
  if (tensor.type() == DType::I4 || tensor.type() == DType::U4) {
    int64_t i = 0;
    bool isSigned = tensor.type() == DType::I4;
    for (const APInt &value : attr.getValues<APInt>())
      tensor.data()[i++] = static_cast<uint8_t>(
          isSigned ? value.getSExtValue() : value.getZExtValue());
    return tensor;
  }
  ArrayRef<char> raw = attr.getRawData();
  size_t width = dtypeSize(tensor.type());
  if (attr.isSplat()) {
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      std::memcpy(tensor.data() + i * width, raw.data(), width);
  } else if (tensor.byteSize() != 0) { // memcpy may not see null pointers
    std::memcpy(tensor.data(), raw.data(), tensor.byteSize());
  }
  return tensor;
}

DenseElementsAttr toAttr(const Tensor &tensor, RankedTensorType type) {
  if (tensor.type() == DType::I1) {
    SmallVector<bool> values(tensor.data(),
                             tensor.data() + tensor.numElements());
    return DenseElementsAttr::get(type, values);
  }
  if (tensor.type() == DType::F4E2M1FN) {
    const llvm::fltSemantics &semantics =
        cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      values.emplace_back(semantics, APInt(4, tensor.data()[i] & 0xF));
    return DenseElementsAttr::get(type, values);
  }
  if (tensor.type() == DType::I4 || tensor.type() == DType::U4) {
    SmallVector<APInt> values;
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      values.emplace_back(4, tensor.data()[i] & 0xF);
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(tensor.data()),
                           tensor.byteSize()));
}

std::vector<Attr> toHostAttrs(ArrayRef<NamedAttribute> named) {
  std::vector<Attr> attrs;
  for (NamedAttribute attr : named) {
    std::string name = attr.getName().str();
    Attribute a = attr.getValue();
    if (auto b = dyn_cast<BoolAttr>(a))
      attrs.push_back({name, int64_t{b.getValue()}});
    else if (auto i = dyn_cast<IntegerAttr>(a))
      attrs.push_back({name, i.getValue().getSExtValue()});
    else if (auto f = dyn_cast<FloatAttr>(a))
      attrs.push_back({name, f.getValueAsDouble()});
    else if (auto str = dyn_cast<StringAttr>(a))
      attrs.push_back({name, str.str()});
    else if (auto ints = dyn_cast<DenseI64ArrayAttr>(a))
      attrs.push_back({name, std::vector<int64_t>(ints.asArrayRef().begin(),
                                                  ints.asArrayRef().end())});
    else if (auto array = dyn_cast<ArrayAttr>(a)) {
      std::vector<double> floats;
      for (Attribute element : array)
        if (auto f = dyn_cast<FloatAttr>(element))
          floats.push_back(f.getValueAsDouble());
      if (floats.size() == array.size())
        attrs.push_back({name, floats});
    }
  }
  return attrs;
}

std::vector<Attr> hostOpAttributes(Operation *op) {
  // Discardable attributes (sinan.placement, ...) are the compiler's
  // notes, not the op's semantics.
  SmallVector<NamedAttribute> inherent;
  for (NamedAttribute named : op->getAttrDictionary())
    if (!op->getDiscardableAttr(named.getName()))
      inherent.push_back(named);
  return toHostAttrs(inherent);
}

/// The reference's parameters of a resize, from the op's attributes (the
/// runtime reads the same names: runtime/ref/HostOps.cpp).
std::optional<ref::ResizeParams> resizeParamsOf(Operation *op) {
  auto str = [&](StringRef name) -> std::optional<std::string> {
    if (auto attr = op->getAttrOfType<StringAttr>(name))
      return attr.str();
    return std::nullopt;
  };
  auto scales = op->getAttrOfType<ArrayAttr>("scales");
  std::optional<std::string> mode = str("mode"),
                             coordinates = str("coordinate_mode"),
                             nearest = str("nearest_mode");
  if (!scales || !mode || !coordinates || !nearest)
    return std::nullopt;
  ref::ResizeParams p;
  p.mode = *mode;
  p.coordinateMode = *coordinates;
  p.nearestMode = *nearest;
  for (Attribute scale : scales) {
    auto value = dyn_cast<FloatAttr>(scale);
    if (!value)
      return std::nullopt;
    p.scales.push_back(value.getValueAsDouble());
  }
  if (auto a = op->getAttrOfType<FloatAttr>("cubic_coeff_a"))
    p.cubicCoeffA = a.getValueAsDouble();
  if (auto exclude = op->getAttrOfType<BoolAttr>("exclude_outside"))
    p.excludeOutside = exclude.getValue();
  return p;
}

} // namespace sinan
