// SPDX-License-Identifier: Apache-2.0
//
// embed_cpp MODULE.snm: runs the module on zero inputs through the C++ RAII
// layer, synchronously and twice more on two threads' sessions, and checks
// the three results agree.
#include <sinan/runtime/sinan.hpp>

#include <cstring>
#include <iostream>
#include <thread>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: embed_cpp MODULE.snm\n";
    return 2;
  }
  try {
    sinan::Instance instance;
    sinan::Module module = instance.loadModule(argv[1]);
    std::vector<sinan::Tensor> inputs;
    std::vector<const sinan::Tensor *> pointers;
    for (size_t i = 0; i < module.inputCount(); ++i) {
      auto [dtype, shape] = module.inputInfo(i);
      inputs.emplace_back(dtype, shape);
    }
    for (const sinan::Tensor &t : inputs)
      pointers.push_back(&t);
    auto runOnce = [&] {
      sinan::Session session(module, instance.device("cpu"));
      return session.run(pointers);
    };
    std::vector<sinan::Tensor> first = runOnce();
    std::vector<sinan::Tensor> a, b;
    std::thread t1([&] { a = runOnce(); }), t2([&] { b = runOnce(); });
    t1.join();
    t2.join();
    for (size_t i = 0; i < first.size(); ++i)
      if (std::memcmp(first[i].data(), a[i].data(), first[i].byteSize()) ||
          std::memcmp(first[i].data(), b[i].data(), first[i].byteSize())) {
        std::cerr << "embed_cpp: sessions disagree on output " << i << "\n";
        return 1;
      }
    std::cout << module.outputName(0) << ": " << first[0].byteSize()
              << " bytes, identical across 3 sessions\n";
  } catch (const sinan::Error &e) {
    std::cerr << "embed_cpp: error " << e.code() << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
