# -*- Python -*-
# lit configuration for Sinan's FileCheck tests (test/**/*.mlir).
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Sinan"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "python", "Inputs", "onnx"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sinan_obj_root, "test")

llvm_config.use_default_substitutions()
# FileCheck, not, count, split-file come from LLVM 22; Sinan's tools from the build.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.sinan_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("sinan-opt", unresolved="fatal"),
    ToolSubst("sinan-as", unresolved="fatal"),
    ToolSubst("sinan-objdump", unresolved="fatal"),
    ToolSubst("sinan-sim", unresolved="fatal"),
    ToolSubst("sinan-compile", unresolved="fatal"),
    ToolSubst("sinan-run", unresolved="fatal"),
    ToolSubst("sinan-translate", unresolved="fatal"),
    ToolSubst("sinan-isa-gen", unresolved="fatal"),
    ToolSubst("FileCheck", unresolved="fatal"),
    ToolSubst("split-file", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# ONNX models for frontend tests come from the pinned onnx wheel, and small
# bad models are written by the venv's Python with the onnx helpers.
if config.onnx_data_dir and os.path.isdir(config.onnx_data_dir):
    config.available_features.add("onnx")
    config.substitutions.append(("%onnx_data", config.onnx_data_dir))
if config.python_executable and os.path.exists(config.python_executable):
    config.available_features.add("python")
    config.substitutions.append(("%venvpy", config.python_executable))
