// Integer lanes: a Fletcher-style checksum (byte sum and position-weighted sum) over a buffer,
// chained. The loops over bytes vectorise into i8x16/i32x4 arithmetic under -msimd128.
#ifndef BENCH_SCALE_CHECKSUM
#define BENCH_SCALE_CHECKSUM 2000
#endif
#define N 65536
static unsigned char buf[N];

static unsigned sums(const unsigned char* p, unsigned n, unsigned seed) {
  unsigned a = seed, b = 0;
  for (unsigned i = 0; i < n; ++i) a += p[i];
  for (unsigned i = 0; i < n; ++i) b += p[i] * (n - i);
  return a ^ (b << 7) ^ (b >> 25);
}

static void mix(unsigned char* p, unsigned n, unsigned k) {
  for (unsigned i = 0; i < n; ++i)
    p[i] = (unsigned char)(p[i] * 5u + (unsigned char)k + (i & 0xff));
}

unsigned run(void) {
  unsigned x = 2463534242u;
  for (unsigned i = 0; i < N; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (unsigned char)x;
  }
  unsigned h = 0;
  for (int r = 0; r < BENCH_SCALE_CHECKSUM; ++r) {
    h = sums(buf, N, h);
    mix(buf, N, h);
  }
  return h;
}
