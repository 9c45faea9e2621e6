/* SPDX-License-Identifier: Apache-2.0
 *
 * embed_c MODULE.snm INPUT.bin OUTPUT.bin [DEVICE]
 *
 * Loads a one-input, one-output module, reads the raw input bytes, runs it
 * on DEVICE ("cpu" by default, or "snpu-sim", "snpu-sim:snpu-server", ...)
 * and writes the raw output bytes. */
#include <sinan/runtime/sinan.h>

#include <stdio.h>
#include <stdlib.h>

static int check(sinan_status *status) {
  if (!status)
    return 0;
  fprintf(stderr, "embed_c: error %d: %s\n", (int)sinan_status_get_code(status),
          sinan_status_message(status));
  sinan_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr,
            "usage: embed_c MODULE.snm INPUT.bin OUTPUT.bin [DEVICE]\n");
    return 2;
  }
  const char *deviceName = argc == 5 ? argv[4] : "cpu";
  sinan_instance *instance = NULL;
  sinan_module *module = NULL;
  sinan_device *device = NULL;
  sinan_session *session = NULL;
  if (check(sinan_instance_create(&instance)) ||
      check(sinan_module_load_file(instance, argv[1], &module)) ||
      check(sinan_instance_find_device(instance, deviceName, &device)) ||
      check(sinan_session_create(module, device, &session)))
    return 1;
  if (sinan_module_input_count(module) != 1 ||
      sinan_module_output_count(module) != 1) {
    fprintf(stderr, "embed_c: expects one input and one output\n");
    return 1;
  }
  int64_t shape[8];
  sinan_dtype dtype;
  size_t rank = 0;
  sinan_tensor *input = NULL, *output = NULL;
  if (check(sinan_module_input_info(module, 0, &dtype, shape, 8, &rank)) ||
      check(sinan_tensor_create(dtype, shape, rank, &input)))
    return 1;
  FILE *in = fopen(argv[2], "rb");
  size_t want = sinan_tensor_byte_size(input);
  if (!in || fread(sinan_tensor_data(input), 1, want, in) != want) {
    fprintf(stderr, "embed_c: %s does not hold %zu bytes\n", argv[2], want);
    return 1;
  }
  fclose(in);
  sinan_session_set_profiling(session, 1);
  if (check(sinan_session_run(session, &input, 1, &output, 1)))
    return 1;
  double seconds = 0;
  size_t steps = 0;
  if (check(sinan_session_last_profile(session, &seconds, &steps)))
    return 1;
  const char *inputName = NULL, *outputName = NULL;
  if (check(sinan_module_input_name(module, 0, &inputName)) ||
      check(sinan_module_output_name(module, 0, &outputName)))
    return 1;
  FILE *out = fopen(argv[3], "wb");
  if (!out ||
      fwrite(sinan_tensor_data(output), 1, sinan_tensor_byte_size(output),
             out) != sinan_tensor_byte_size(output)) {
    fprintf(stderr, "embed_c: cannot write %s\n", argv[3]);
    return 1;
  }
  fclose(out);
  sinan_device_profile profile;
  size_t native = 0, reference = 0;
  if (check(sinan_session_last_device_profile(session, &profile)) ||
      check(sinan_session_last_host_profile(session, &native, &reference)))
    return 1;
  if (sinan_session_native_code_problem(session))
    fprintf(stderr, "embed_c: native code not used: %s\n",
            sinan_session_native_code_problem(session));
  printf("%s on %s: %s -> %s: %zu bytes, %zu steps, %.3f ms", argv[1],
         sinan_device_name(device), inputName, outputName,
         sinan_tensor_byte_size(output), steps, seconds * 1e3);
  printf("; host ops: %zu native, %zu reference", native, reference);
  if (profile.clock_mhz)
    printf("; %llu kernel launches, %llu simulated cycles",
           (unsigned long long)profile.kernel_launches,
           (unsigned long long)(profile.kernel_cycles + profile.copy_cycles));
  printf("\n");
  sinan_tensor_release(output);
  sinan_tensor_release(input);
  sinan_session_destroy(session);
  sinan_module_release(module);
  sinan_instance_destroy(instance);
  return 0;
}
