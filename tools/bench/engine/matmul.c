// Floating-point lanes: single-precision matrix multiply, C += A * B, the inner loop across a row
// of B (independent columns: the vectorised build computes every element with the same
// operations in the same order as the scalar build, so their results are bit-identical).
#ifndef BENCH_SCALE_MATMUL
#define BENCH_SCALE_MATMUL 12
#endif
#define N 128
static float a[N][N], b[N][N], c[N][N];

static void multiply(void) {
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < N; ++k) {
      float aik = a[i][k];
      for (int j = 0; j < N; ++j) c[i][j] += aik * b[k][j];
    }
}

unsigned run(void) {
  unsigned x = 88172645u;
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      x = x * 1103515245u + 12345u;
      a[i][j] = (float)((x >> 8) & 0xffff) / 65536.0f - 0.5f;
      x = x * 1103515245u + 12345u;
      b[i][j] = (float)((x >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
  for (int r = 0; r < BENCH_SCALE_MATMUL; ++r) {
    multiply();
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j) c[i][j] *= 0.5f;
  }
  unsigned h = 0;
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      unsigned bits = __builtin_bit_cast(unsigned, c[i][j]);
      h = (h ^ bits) * 16777619u;
    }
  return h;
}
