/*===- sinan.h - The Sinan runtime C API --------------------------*- C -*-===*
 *
 * SPDX-License-Identifier: Apache-2.0
 *
 *===----------------------------------------------------------------------===*
 *
 * What a framework backend links: load a compiled module (.snm), open a
 * device, create sessions, bind tensors and run. Every fallible call returns
 * a status: NULL on success, otherwise an object carrying a code and a
 * message that the caller frees with sinan_status_free. Objects are opaque
 * and released by their *_release / *_destroy function. A module may back
 * many sessions at once; one session runs one call at a time (concurrent
 * submits to one session are queued).
 *
 *===----------------------------------------------------------------------===*/

#ifndef SINAN_RUNTIME_SINAN_H
#define SINAN_RUNTIME_SINAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Incremented by every change that breaks a caller compiled against the
 * previous header (docs/runtime.md, "C and C++ API"). 2: module input and
 * output names and infos return a status. */
#define SINAN_API_VERSION 2

#if defined(__GNUC__) || defined(__clang__)
#define SINAN_API __attribute__((visibility("default")))
#else
#define SINAN_API
#endif

typedef enum sinan_status_code {
  SINAN_OK = 0,
  SINAN_INVALID_ARGUMENT = 1,
  SINAN_NOT_FOUND = 2,
  SINAN_INVALID_MODULE = 3,
  SINAN_UNIMPLEMENTED = 4,
  SINAN_EXECUTION_FAILED = 5,
} sinan_status_code;

/* Element types; the codes are those of the module format. */
typedef enum sinan_dtype {
  SINAN_F32 = 0,
  SINAN_F16 = 1,
  SINAN_BF16 = 2,
  SINAN_I8 = 3,
  SINAN_I32 = 4,
  SINAN_I64 = 5,
  SINAN_BOOL = 6,
  SINAN_U8 = 7,
  SINAN_I16 = 8,
  SINAN_U16 = 9,
  SINAN_U32 = 10,
  SINAN_U64 = 11,
  SINAN_F64 = 12,
} sinan_dtype;

typedef struct sinan_status sinan_status;
typedef struct sinan_instance sinan_instance;
typedef struct sinan_device sinan_device;
typedef struct sinan_module sinan_module;
typedef struct sinan_session sinan_session;
typedef struct sinan_tensor sinan_tensor;
typedef struct sinan_event sinan_event;

/* Status objects. */
SINAN_API sinan_status_code sinan_status_get_code(const sinan_status *status);
SINAN_API const char *sinan_status_message(const sinan_status *status);
SINAN_API void sinan_status_free(sinan_status *status);

/* Instance and devices. Devices belong to the instance. */
SINAN_API sinan_status *sinan_instance_create(sinan_instance **out);
SINAN_API void sinan_instance_destroy(sinan_instance *instance);
SINAN_API size_t sinan_instance_device_count(const sinan_instance *instance);
SINAN_API sinan_status *sinan_instance_device(sinan_instance *instance,
                                              size_t index, sinan_device **out);
/* By name: "cpu", "snpu-sim:<preset>" for each built-in SNPU preset (listed
 * by sinan_instance_device), "snpu-sim" for the default preset, or
 * "snpu-sim:<path to a target description .json>" (added to the instance). */
SINAN_API sinan_status *sinan_instance_find_device(sinan_instance *instance,
                                                   const char *name,
                                                   sinan_device **out);
SINAN_API const char *sinan_device_name(const sinan_device *device);

/* Modules. */
SINAN_API sinan_status *sinan_module_load_file(sinan_instance *instance,
                                               const char *path,
                                               sinan_module **out);
SINAN_API sinan_status *sinan_module_load_memory(sinan_instance *instance,
                                                 const void *data, size_t size,
                                                 sinan_module **out);
SINAN_API void sinan_module_release(sinan_module *module);
SINAN_API size_t sinan_module_input_count(const sinan_module *module);
SINAN_API size_t sinan_module_output_count(const sinan_module *module);
/* Name of input or output `index` (valid while the module lives). */
SINAN_API sinan_status *sinan_module_input_name(const sinan_module *module,
                                                size_t index,
                                                const char **name);
SINAN_API sinan_status *sinan_module_output_name(const sinan_module *module,
                                                 size_t index,
                                                 const char **name);
/* Type, rank and shape of input or output `index`. `dtype` and `shape` may
 * be NULL (to query the rank first); a `shape` of fewer than rank
 * (`max_rank`) entries is an error. */
SINAN_API sinan_status *sinan_module_input_info(const sinan_module *module,
                                                size_t index,
                                                sinan_dtype *dtype,
                                                int64_t *shape, size_t max_rank,
                                                size_t *rank);
SINAN_API sinan_status *sinan_module_output_info(const sinan_module *module,
                                                 size_t index,
                                                 sinan_dtype *dtype,
                                                 int64_t *shape,
                                                 size_t max_rank, size_t *rank);

/* Tensors: owned (zero-filled), copied from, or wrapping caller memory
 * (which must outlive the tensor). */
SINAN_API sinan_status *sinan_tensor_create(sinan_dtype dtype,
                                            const int64_t *shape, size_t rank,
                                            sinan_tensor **out);
SINAN_API sinan_status *sinan_tensor_copy(sinan_dtype dtype,
                                          const int64_t *shape, size_t rank,
                                          const void *data, size_t bytes,
                                          sinan_tensor **out);
SINAN_API sinan_status *sinan_tensor_wrap(sinan_dtype dtype,
                                          const int64_t *shape, size_t rank,
                                          void *data, size_t bytes,
                                          sinan_tensor **out);
SINAN_API void sinan_tensor_release(sinan_tensor *tensor);
SINAN_API sinan_dtype sinan_tensor_dtype(const sinan_tensor *tensor);
SINAN_API size_t sinan_tensor_rank(const sinan_tensor *tensor);
SINAN_API const int64_t *sinan_tensor_shape(const sinan_tensor *tensor);
SINAN_API size_t sinan_tensor_byte_size(const sinan_tensor *tensor);
SINAN_API void *sinan_tensor_data(sinan_tensor *tensor);

/* Sessions. The module is retained by the session. */
SINAN_API sinan_status *sinan_session_create(sinan_module *module,
                                             sinan_device *device,
                                             sinan_session **out);
SINAN_API void sinan_session_destroy(sinan_session *session);
SINAN_API void sinan_session_set_profiling(sinan_session *session, int enabled);
/* Runs synchronously. `outputs` receives one new tensor per module output
 * (the caller releases them). */
SINAN_API sinan_status *sinan_session_run(sinan_session *session,
                                          sinan_tensor *const *inputs,
                                          size_t num_inputs,
                                          sinan_tensor **outputs,
                                          size_t num_outputs);
/* Starts a run on a runtime thread; the inputs must stay alive until the
 * event has been waited for. */
SINAN_API sinan_status *sinan_session_submit(sinan_session *session,
                                             sinan_tensor *const *inputs,
                                             size_t num_inputs,
                                             sinan_event **out);
/* Waits and returns the run's outputs (as sinan_session_run) or error. */
SINAN_API sinan_status *sinan_event_wait(sinan_event *event,
                                         sinan_tensor **outputs,
                                         size_t num_outputs);
SINAN_API void sinan_event_release(sinan_event *event);
/* With profiling on: the last run's host wall time and steps executed. */
SINAN_API sinan_status *sinan_session_last_profile(const sinan_session *session,
                                                   double *seconds,
                                                   size_t *steps);

/* With profiling on: how the last run's host ops ran, with the module's
 * native CPU code or with the reference kernels. */
SINAN_API sinan_status *
sinan_session_last_host_profile(const sinan_session *session,
                                size_t *native_steps, size_t *reference_steps);

/* Host ops with native CPU code in the module run it when enabled (the
 * default) and the module's CPU object loaded on this host; otherwise they
 * run the reference kernels. */
SINAN_API void sinan_session_set_native_code(sinan_session *session,
                                             int enabled);
/* Runs on `threads` host threads of the session's own (0: the device's, one
 * per CPU). With `pin` and as many threads as the process may use CPUs, each
 * is pinned to its own CPU while it runs the session's work (Linux; the
 * caller's affinity comes back after each run): steadier latency for a
 * process that has the machine to itself. */
SINAN_API void sinan_session_set_host_threads(sinan_session *session,
                                              unsigned threads, int pin);
/* The host threads the session's runs use. */
SINAN_API unsigned sinan_session_host_threads(const sinan_session *session);

/* Why the module's CPU object did not load on this host (the ISA extension
 * it lacks, ...), or NULL when it loaded or the module has none. */
SINAN_API const char *
sinan_session_native_code_problem(const sinan_session *session);

/* The device side of the last run. Cycles are simulated, at clock_mhz (all
 * zero on "cpu"). Weights copied to the device stay there after a session's
 * first run, so later runs copy less. */
typedef struct sinan_device_profile {
  uint64_t kernel_launches;  /* SNPU kernels run on the device */
  uint64_t host_op_launches; /* launches run as host ops (cpu device) */
  uint64_t copies;           /* host<->device transfers */
  uint64_t kernel_cycles, copy_cycles;
  uint64_t bytes_to_device, bytes_to_host;
  uint64_t macs;
  uint64_t clock_mhz;
  /* The run as a timeline: copies on the host link and host ops (their
   * modeled cycles, module format 1.6) overlap independent kernels (at most
   * kernel_cycles + copy_cycles + the host ops' cycles). */
  uint64_t timeline_cycles;
} sinan_device_profile;
SINAN_API sinan_status *
sinan_session_last_device_profile(const sinan_session *session,
                                  sinan_device_profile *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SINAN_RUNTIME_SINAN_H */
