/* SPDX-License-Identifier: Apache-2.0
 *
 * embed_c MODULE.snm INPUT.bin OUTPUT.bin
 *
 * Loads a one-input, one-output module, reads the raw input bytes, runs it
 * on the cpu device and writes the raw output bytes. */
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
  if (argc != 4) {
    fprintf(stderr, "usage: embed_c MODULE.snm INPUT.bin OUTPUT.bin\n");
    return 2;
  }
  sinan_instance *instance = NULL;
  sinan_module *module = NULL;
  sinan_device *cpu = NULL;
  sinan_session *session = NULL;
  if (check(sinan_instance_create(&instance)) ||
      check(sinan_module_load_file(instance, argv[1], &module)) ||
      check(sinan_instance_find_device(instance, "cpu", &cpu)) ||
      check(sinan_session_create(module, cpu, &session)))
    return 1;
  if (sinan_module_input_count(module) != 1 ||
      sinan_module_output_count(module) != 1) {
    fprintf(stderr, "embed_c: expects one input and one output\n");
    return 1;
  }
  int64_t shape[8];
  sinan_dtype dtype;
  int rank = sinan_module_input_info(module, 0, &dtype, shape, 8);
  sinan_tensor *input = NULL, *output = NULL;
  if (rank < 0 || rank > 8 ||
      check(sinan_tensor_create(dtype, shape, (size_t)rank, &input)))
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
  FILE *out = fopen(argv[3], "wb");
  if (!out ||
      fwrite(sinan_tensor_data(output), 1, sinan_tensor_byte_size(output),
             out) != sinan_tensor_byte_size(output)) {
    fprintf(stderr, "embed_c: cannot write %s\n", argv[3]);
    return 1;
  }
  fclose(out);
  printf("%s -> %s: %zu bytes, %zu steps, %.3f ms\n",
         sinan_module_input_name(module, 0),
         sinan_module_output_name(module, 0), sinan_tensor_byte_size(output),
         steps, seconds * 1e3);
  sinan_tensor_release(output);
  sinan_tensor_release(input);
  sinan_session_destroy(session);
  sinan_module_release(module);
  sinan_instance_destroy(instance);
  return 0;
}
