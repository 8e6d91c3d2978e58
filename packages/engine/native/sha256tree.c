/*
 * Tensor Merkle tops of docs/SPEC.md §2 with the x86 SHA extensions (ADR 0013).
 *
 * A tensor's bytes are cut into 1 KiB chunks; leaf k = SHA-256(0x00 || chunk k) (the last chunk may be short);
 * parent = SHA-256(0x01 || left || right), a missing right child being the all-zero subtree of its level
 * (Z0 = 32 zero bytes, Z(l+1) = parent(Zl, Zl)); the top is the last parent (or the one leaf). The 0x02 root over
 * kind and length stays in TypeScript (fasthash.ts); native-hash.ts loads this module and checks it against
 * node:crypto and core's reference tree before using it.
 *
 * Why native: with 1 KiB chunks, hashing from JavaScript pays one call into node:crypto per leaf and per inner node
 * (~0.2-0.3 us each, about as much as the hashing of an inner node). Here a whole tensor is one call, and four
 * leaves (or parents) are hashed side by side.
 *
 * Exports: available() -> bool (whether this CPU has SHA-NI, SSSE3 and SSE4.1; the other functions throw if not),
 * sha256(data, out32), tensorTop(data, out32). data: any TypedArray (its bytes), out32: a Uint8Array of 32 bytes.
 * Built from source by scripts/build-native.mjs (npm postinstall); nothing here is downloaded.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* SHA256TREE_PORTABLE builds the module without the x86 code, as on other CPUs (available() is false) */
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(SHA256TREE_PORTABLE)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define CHUNK 1024

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#if HAVE_X86
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* messages hashed side by side */
#define LANES 4
#define SHANI __attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline

/* a state as the instructions keep it: ABEF and CDGH (A in the highest lane) */
typedef struct {
  __m128i abef, cdgh;
} lane;

SHANI lane lane_load(const uint32_t st[8]) {
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1); /* B A D C */
  __m128i h = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B); /* H G F E */
  return (lane){_mm_alignr_epi8(t, h, 8), _mm_blend_epi16(h, t, 0xF0)};          /* F E B A, H G D C */
}

SHANI void lane_store(lane s, uint32_t st[8]) {
  __m128i t = _mm_shuffle_epi32(s.abef, 0x1B); /* A B E F (lane 0 first) */
  __m128i g = _mm_shuffle_epi32(s.cdgh, 0xB1); /* G H C D */
  _mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(t, g, 0xF0)); /* A B C D */
  _mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(g, t, 8));    /* E F G H */
}

/* message words W[4i..4i+3]: loaded for i < 4, else from W[t-16..t-13] (w[i&3]), W[t-12..] (w[i+1]),
   W[t-8..] (w[i+2]) and W[t-4..t-1] (w[i+3]), t = 4i */
SHANI __m128i schedule(__m128i w[4], int i, const uint8_t *p) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i m;
  if (i < 4) {
    m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
  } else {
    m = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
    m = _mm_add_epi32(m, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
    m = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
  }
  return w[i & 3] = m;
}

/* rounds 4i..4i+3 with the message words m */
SHANI void rounds4(lane *s, __m128i m, int i) {
  __m128i k = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)&K[4 * i]));
  s->cdgh = _mm_sha256rnds2_epu32(s->cdgh, s->abef, k);
  s->abef = _mm_sha256rnds2_epu32(s->abef, s->cdgh, _mm_shuffle_epi32(k, 0x0E));
}

/*
 * nblocks 64-byte blocks of each of n messages (p[j] into st[j]), the messages side by side: each round waits for the
 * last one's result, and the other messages' rounds fill that wait. A 400 KB tensor's tree against node:crypto's
 * SHA-256 of its bytes (OpenSSL, one message): 0.735 one message at a time, 0.945 two, 1.12 four (.prof/x24.ts).
 * n is a constant where this is inlined.
 */
SHANI void compress_lanes(const int n, uint32_t *const st[], const uint8_t *const p[], size_t nblocks) {
  lane s[LANES], in[LANES];
  __m128i w[LANES][4];
  for (int j = 0; j < n; j++) s[j] = lane_load(st[j]);
  for (size_t b = 0; b < nblocks; b++) {
    for (int j = 0; j < n; j++) in[j] = s[j];
    for (int i = 0; i < 16; i++) {
      for (int j = 0; j < n; j++) rounds4(&s[j], schedule(w[j], i, p[j] + 64 * b), i);
    }
    for (int j = 0; j < n; j++) {
      s[j].abef = _mm_add_epi32(s[j].abef, in[j].abef);
      s[j].cdgh = _mm_add_epi32(s[j].cdgh, in[j].cdgh);
    }
  }
  for (int j = 0; j < n; j++) lane_store(s[j], st[j]);
}

/* FIPS 180-4 §6.2.2 on one message, and on LANES messages side by side */
__attribute__((target("sha,sse4.1,ssse3"))) static void compress(uint32_t st[8], const uint8_t *p, size_t nblocks) {
  compress_lanes(1, &st, &p, nblocks);
}
__attribute__((target("sha,sse4.1,ssse3"))) static void compress_x(uint32_t *const st[LANES], const uint8_t *const p[LANES], size_t nblocks) {
  compress_lanes(LANES, st, p, nblocks);
}

static int cpu_has_sha(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0; /* SSSE3, SSE4.1 */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b >> 29) & 1; /* SHA */
}
#else
/* never called: available() is false and every export checks it */
static void compress(uint32_t st[8], const uint8_t *p, size_t nblocks) {
  (void)st, (void)p, (void)nblocks;
}
#define LANES 4
static void compress_x(uint32_t *const st[LANES], const uint8_t *const p[LANES], size_t nblocks) {
  (void)st, (void)p, (void)nblocks;
}
static int cpu_has_sha(void) { return 0; }
#endif

static void put_be32(uint8_t *o, uint32_t v) {
  o[0] = (uint8_t)(v >> 24), o[1] = (uint8_t)(v >> 16), o[2] = (uint8_t)(v >> 8), o[3] = (uint8_t)v;
}

static void finish(const uint32_t st[8], uint8_t out[32]) {
  for (int i = 0; i < 8; i++) put_be32(out + 4 * i, st[i]);
}

/* SHA-256 of (prefix byte, if has_prefix) || data[0..n) */
static void sha256_prefixed(int has_prefix, uint8_t prefix, const uint8_t *data, size_t n, uint8_t out[32]) {
  uint32_t st[8];
  uint8_t buf[128];
  memcpy(st, IV, sizeof st);
  const uint64_t bits = ((uint64_t)n + (has_prefix ? 1 : 0)) * 8;
  size_t pos = 0, r = 0; /* data consumed; bytes pending in buf */
  if (has_prefix) buf[r++] = prefix;
  if (r + n >= 64) {
    size_t take = 64 - r;
    memcpy(buf + r, data, take);
    compress(st, buf, 1);
    pos = take, r = 0;
    size_t full = (n - pos) / 64;
    compress(st, data + pos, full);
    pos += 64 * full;
  }
  memcpy(buf + r, data + pos, n - pos);
  r += n - pos;
  buf[r++] = 0x80;
  size_t len = r + 8 <= 64 ? 64 : 128;
  memset(buf + r, 0, len - r);
  put_be32(buf + len - 8, (uint32_t)(bits >> 32));
  put_be32(buf + len - 4, (uint32_t)bits);
  compress(st, buf, len / 64);
  finish(st, out);
}

/* the two blocks of SHA-256(0x01 || l || r): 65 bytes, padded */
static void parent_blocks(const uint8_t l[32], const uint8_t r[32], uint8_t buf[128]) {
  memset(buf, 0, 128);
  buf[0] = 0x01;
  memcpy(buf + 1, l, 32);
  memcpy(buf + 33, r, 32);
  buf[65] = 0x80;
  buf[126] = 0x02, buf[127] = 0x08; /* 520 bits */
}

static void parent(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]) {
  uint8_t buf[128];
  uint32_t st[8];
  parent_blocks(l, r, buf);
  memcpy(st, IV, sizeof st);
  compress(st, buf, 2);
  finish(st, out);
}

/* the first block of a full chunk's leaf (0x00 || its first 63 bytes) and the last (its last byte, padding) */
static void leaf_ends(const uint8_t *chunk, uint8_t first[64], uint8_t last[64]) {
  const uint64_t bits = (CHUNK + 1) * 8;
  first[0] = 0x00;
  memcpy(first + 1, chunk, 63);
  memset(last, 0, 64);
  last[0] = chunk[CHUNK - 1];
  last[1] = 0x80;
  put_be32(last + 56, (uint32_t)(bits >> 32));
  put_be32(last + 60, (uint32_t)bits);
}

/* the leaves of LANES consecutive full chunks at c, side by side (63 + 15 * 64 + 1 = 1024: 17 blocks each) */
static void leaves_x(const uint8_t *c, uint8_t *out) {
  uint32_t st[LANES][8], *sp[LANES];
  uint8_t first[LANES][64], last[LANES][64];
  const uint8_t *p[LANES];
  for (int j = 0; j < LANES; j++) {
    memcpy(st[j], IV, sizeof st[j]);
    leaf_ends(c + j * CHUNK, first[j], last[j]);
    sp[j] = st[j];
    p[j] = first[j];
  }
  compress_x(sp, p, 1);
  for (int j = 0; j < LANES; j++) p[j] = c + j * CHUNK + 63;
  compress_x(sp, p, (CHUNK - 63) / 64);
  for (int j = 0; j < LANES; j++) p[j] = last[j];
  compress_x(sp, p, 1);
  for (int j = 0; j < LANES; j++) finish(st[j], out + 32 * j);
}

/* the parents of LANES consecutive pairs of digests at c, side by side, into out (which may be c) */
static void parents_x(const uint8_t *c, uint8_t *out) {
  uint32_t st[LANES][8], *sp[LANES];
  uint8_t buf[LANES][128];
  const uint8_t *p[LANES];
  for (int j = 0; j < LANES; j++) {
    parent_blocks(c + 64 * j, c + 64 * j + 32, buf[j]);
    memcpy(st[j], IV, sizeof st[j]);
    sp[j] = st[j];
    p[j] = buf[j];
  }
  compress_x(sp, p, 2);
  for (int j = 0; j < LANES; j++) finish(st[j], out + 32 * j);
}

/* top of the chunk tree over data[0..n), n > 0; scratch holds ceil(n / CHUNK) digests */
static void tensor_top(const uint8_t *data, size_t n, uint8_t *scratch, uint8_t out[32]) {
  const size_t full = n / CHUNK;
  size_t width = (n + CHUNK - 1) / CHUNK, k = 0;
  for (; k + LANES <= full; k += LANES) leaves_x(data + k * CHUNK, scratch + 32 * k);
  for (; k < width; k++) {
    size_t off = k * CHUNK, len = n - off < CHUNK ? n - off : CHUNK;
    sha256_prefixed(1, 0x00, data + off, len, scratch + 32 * k);
  }
  uint8_t zero[32] = {0}; /* the all-zero subtree of the current level */
  while (width > 1) {
    /* parent j reads children 2j and 2j + 1 and is written to slot j <= 2j: in place, in order */
    const size_t parents = (width + 1) / 2, pairs = width / 2;
    size_t j = 0;
    for (; j + LANES <= pairs; j += LANES) parents_x(scratch + 64 * j, scratch + 32 * j);
    for (; j < parents; j++) parent(scratch + 64 * j, 2 * j + 1 < width ? scratch + 64 * j + 32 : zero, scratch + 32 * j);
    if (parents > 1) parent(zero, zero, zero);
    width = parents;
  }
  memcpy(out, scratch, 32);
}

/*
 * cpu_has_sha, asked once per process: CPUID is a serializing instruction, and under a hypervisor it traps (it cost
 * ~20 us per call here, more than hashing a 32 KB tensor). Threads race only to store the same value.
 */
static _Atomic int cpu_state = -1;
static int cpu_ok(void) {
  int s = atomic_load_explicit(&cpu_state, memory_order_relaxed);
  if (s < 0) atomic_store_explicit(&cpu_state, s = cpu_has_sha(), memory_order_relaxed);
  return s;
}

/* ---- N-API ---- */

static const size_t ELEM_BYTES[] = {
    [napi_int8_array] = 1,    [napi_uint8_array] = 1,   [napi_uint8_clamped_array] = 1, [napi_int16_array] = 2,
    [napi_uint16_array] = 2,  [napi_int32_array] = 4,   [napi_uint32_array] = 4,        [napi_float32_array] = 4,
    [napi_float64_array] = 8, [napi_bigint64_array] = 8, [napi_biguint64_array] = 8,
};

/* the bytes of a TypedArray argument; NULL (with a TypeError thrown) if it is not one */
static uint8_t *bytes_of(napi_env env, napi_value v, size_t *n, const char *what) {
  bool is;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is || napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok ||
      (size_t)type >= sizeof ELEM_BYTES / sizeof ELEM_BYTES[0] || ELEM_BYTES[type] == 0) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  *n = length * ELEM_BYTES[type];
  return data != NULL ? (uint8_t *)data : (uint8_t *)"";
}

/* (data, out32) arguments; false with an exception pending if they are wrong */
static bool args2(napi_env env, napi_callback_info info, const uint8_t **data, size_t *n, uint8_t **out) {
  if (!cpu_ok()) {
    napi_throw_error(env, NULL, "this CPU has no SHA extensions (check available() first)");
    return false;
  }
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "expected (data: TypedArray, out: Uint8Array of 32 bytes)");
    return false;
  }
  size_t outLen;
  if ((*data = bytes_of(env, argv[0], n, "data must be a TypedArray")) == NULL) return false;
  if ((*out = bytes_of(env, argv[1], &outLen, "out must be a Uint8Array of 32 bytes")) == NULL) return false;
  if (outLen != 32) {
    napi_throw_range_error(env, NULL, "out must be a Uint8Array of 32 bytes");
    return false;
  }
  return true;
}

static napi_value js_available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, cpu_ok() != 0, &r);
  return r;
}

static napi_value js_sha256(napi_env env, napi_callback_info info) {
  const uint8_t *data;
  uint8_t *out;
  size_t n;
  if (!args2(env, info, &data, &n, &out)) return NULL;
  sha256_prefixed(0, 0, data, n, out);
  return NULL;
}

static napi_value js_tensor_top(napi_env env, napi_callback_info info) {
  const uint8_t *data;
  uint8_t *out;
  size_t n;
  if (!args2(env, info, &data, &n, &out)) return NULL;
  if (n == 0) {
    napi_throw_range_error(env, NULL, "a tensor needs at least one byte");
    return NULL;
  }
  size_t width = (n + CHUNK - 1) / CHUNK;
  uint8_t small[32 * 64];
  uint8_t *scratch = width <= 64 ? small : malloc(32 * width);
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  tensor_top(data, n, scratch, out);
  if (scratch != small) free(scratch);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"available", NULL, js_available, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256", NULL, js_sha256, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tensorTop", NULL, js_tensor_top, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
