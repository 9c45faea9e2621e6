//===- OnnxModelTest.cpp - Reading ONNX model files -----------------------===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#include "sinan/Frontend/OnnxModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

using namespace sinan::frontend;

namespace {

std::string serializedModel() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name("g");
  onnx::NodeProto *node = graph->add_node();
  node->set_op_type("Relu");
  node->set_name("relu0");
  node->add_input("x");
  node->add_output("y");
  return model.SerializeAsString();
}

std::string errorText(llvm::Error error) {
  return llvm::toString(std::move(error));
}

TEST(OnnxModelTest, DecodesAValidModel) {
  auto model = parseOnnxModel(serializedModel(), "m.onnx");
  ASSERT_TRUE(static_cast<bool>(model)) << errorText(model.takeError());
  EXPECT_EQ((*model)->ir_version(), 8);
  ASSERT_EQ((*model)->graph().node_size(), 1);
  EXPECT_EQ((*model)->graph().node(0).name(), "relu0");
}

TEST(OnnxModelTest, TruncatedModelNamesFileAndSize) {
  std::string bytes = serializedModel();
  bytes.resize(bytes.size() - 3);
  auto model = parseOnnxModel(bytes, "cut.onnx");
  ASSERT_FALSE(static_cast<bool>(model));
  std::string message = errorText(model.takeError());
  EXPECT_NE(message.find("cut.onnx: not a valid ONNX model"), std::string::npos)
      << message;
  EXPECT_NE(message.find(std::to_string(bytes.size()) + "-byte"),
            std::string::npos)
      << message;
}

TEST(OnnxModelTest, RejectsEmptyAndGraphlessInput) {
  auto empty = parseOnnxModel("", "e.onnx");
  ASSERT_FALSE(static_cast<bool>(empty));
  EXPECT_EQ(errorText(empty.takeError()), "e.onnx: empty file, not an ONNX "
                                          "model");
  onnx::ModelProto noGraph;
  noGraph.set_ir_version(8);
  auto model = parseOnnxModel(noGraph.SerializeAsString(), "n.onnx");
  ASSERT_FALSE(static_cast<bool>(model));
  EXPECT_EQ(errorText(model.takeError()), "n.onnx: ONNX model has no graph");
}

TEST(OnnxModelTest, LoadsFromFileAndReportsMissingFile) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("sinan", "onnx", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << serializedModel();
  }
  auto model = loadOnnxModel(path);
  EXPECT_TRUE(static_cast<bool>(model)) << errorText(model.takeError());
  llvm::sys::fs::remove(path);

  auto missing = loadOnnxModel("/nonexistent/model.onnx");
  ASSERT_FALSE(static_cast<bool>(missing));
  std::string message = errorText(missing.takeError());
  EXPECT_NE(message.find("/nonexistent/model.onnx: cannot read"),
            std::string::npos)
      << message;
}

} // namespace
