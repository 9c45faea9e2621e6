//===- OnnxModel.cpp - Reading ONNX model files ---------------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxModel.h"

#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <limits>

using namespace llvm;

namespace sinan::frontend {

static Error makeError(StringRef name, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (name + ": " + message).str());
}

Expected<std::unique_ptr<onnx::ModelProto>> parseOnnxModel(StringRef bytes,
                                                           StringRef name) {
  if (bytes.empty())
    return makeError(name, "empty file, not an ONNX model");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return makeError(name, "larger than protobuf's 2 GiB limit; store the "
                           "weights as ONNX external data");
  auto model = std::make_unique<onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError(name, "not a valid ONNX model (protobuf decoding failed "
                           "in a " +
                               Twine(bytes.size()) +
                               "-byte file: truncated or not ONNX)");
  if (!model->has_ir_version())
    return makeError(name, "ONNX model has no ir_version");
  if (!model->has_graph())
    return makeError(name, "ONNX model has no graph");
  return model;
}

Expected<std::unique_ptr<onnx::ModelProto>> loadOnnxModel(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot read: " + buffer.getError().message());
  return parseOnnxModel((*buffer)->getBuffer(), path);
}

} // namespace sinan::frontend
