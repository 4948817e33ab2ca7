// Memory heavy: fill an array pseudo-randomly, heap-sort it, hash it; repeated.
#define N 65536
static unsigned data[N];
static void sift(unsigned* a, unsigned start, unsigned end) {
  unsigned root = start;
  while (2 * root + 1 <= end) {
    unsigned child = 2 * root + 1, swap = root;
    if (a[swap] < a[child]) swap = child;
    if (child + 1 <= end && a[swap] < a[child + 1]) swap = child + 1;
    if (swap == root) return;
    unsigned t = a[root];
    a[root] = a[swap];
    a[swap] = t;
    root = swap;
  }
}
unsigned run(void) {
  unsigned h = 2166136261u, x = 1;
  for (int round = 0; round < BENCH_SCALE_SORT; ++round) {
    for (unsigned i = 0; i < N; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      data[i] = x;
    }
    for (int s = N / 2 - 1; s >= 0; --s) sift(data, (unsigned)s, N - 1);
    for (unsigned end = N - 1; end > 0; --end) {
      unsigned t = data[0];
      data[0] = data[end];
      data[end] = t;
      sift(data, 0, end - 1);
    }
    for (unsigned i = 0; i < N; i += 7) h = (h ^ data[i]) * 16777619u;
  }
  return h;
}
