/* The C entry point of an external cdns-resolver policy plug-in, ABI version 1.
 *
 * A plug-in is a shared object exporting
 *     const cdns_policy_ops* cdns_policy_plugin(uint32_t abi_version);
 * The resolver calls it once with the version it speaks (CDNS_POLICY_ABI_VERSION); the plug-in
 * returns its operations for that version, or NULL when it does not speak it. Everything the
 * resolver passes stays valid for the duration of the call only. Calls come from one thread.
 * Configuration: {"plugins": ["/usr/lib/cdns/policies/libaffinity.so"]} loads it; a chain then
 * uses it by the name it declares: {"name": "affinity", ...its own keys}.
 */
#ifndef CDNS_RESOLVER_PLUGIN_API_H
#define CDNS_RESOLVER_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CDNS_POLICY_ABI_VERSION 1u

/* One candidate center, from its published records. Unknown figures are 0 (prices: -1). */
typedef struct cdns_center {
  const char* name;          /* "sz1" */
  const char* region;        /* SITE region, "" when unknown */
  const char* jurisdiction;  /* SITE jurisdiction ("CN-GD") */
  const char* kind;          /* SITE kind ("ai", "hpc", "cloud", "edge") */
  const char* records_json;  /* every record, decoded: {"CAP": {...}, "NETQ": [...], ...} */
  double load;               /* CAP load, 0..1 */
  uint64_t queue, ts;        /* CAP queue; newest record ts (Unix seconds) */
  uint64_t cpu_free, cpu_total, gpu_free, gpu_total, mem_free, mem_total; /* mem in bytes */
  uint64_t held_cpus, held_gpus, held_mem; /* handed out by this resolver since the last update */
  double cpu_hour;           /* PRICE cpu-hour, -1 when not priced */
  double carbon_per_work;    /* g CO2 / kWh x PUE x (1 - renewable share) */
  double best_rtt_ms;        /* best NETQ rtt to any peer, 1e6 when none */
} cdns_center;

/* What the client asked for: "gpu-4.policy-price" gives keys {"gpu", "policy"}. */
typedef struct cdns_request {
  const char* const* keys;
  const char* const* values;
  size_t count;
  uint64_t gpus, cpus, mem;  /* parsed from gpu=, cpu=, mem= (mem in bytes) */
  const char* gpu_model;     /* "H200" from gpu=H200:4, "" when any */
  const char* peer;          /* the client's access point, "" when unknown */
  uint64_t now;              /* Unix seconds */
} cdns_request;

typedef struct cdns_policy_ops {
  uint32_t abi_version; /* CDNS_POLICY_ABI_VERSION */
  const char* name;     /* the name chains use; must not clash with a built-in */
  /* Validates the policy's JSON config (the chain entry, "name" included) and returns an
   * instance, or NULL with a message in `error` (NUL-terminated, at most error_len bytes). */
  void* (*create)(const char* config_json, char* error, size_t error_len);
  void (*destroy)(void* instance);
  /* Filters and ranks n candidates: set keep[i] = 0 to drop one (keep[] starts all 1), add to
   * score[i] (higher wins; score[] starts at 0 and is added to the chain's scores). `note`
   * (note_len bytes, starts empty) may carry a short reason shown in explanations.
   * Returns 0 to go on, 1 to end the chain after this policy. */
  int (*apply)(void* instance, const cdns_request* request, const cdns_center* centers, size_t n, int* keep,
               double* score, char* note, size_t note_len);
} cdns_policy_ops;

typedef const cdns_policy_ops* (*cdns_policy_plugin_fn)(uint32_t abi_version);

#ifdef __cplusplus
}
#endif

#endif /* CDNS_RESOLVER_PLUGIN_API_H */
