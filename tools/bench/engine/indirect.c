// Indirect-call heavy: a table of small functions called through pointers.
typedef unsigned (*op_fn)(unsigned, unsigned);
static unsigned op_add(unsigned a, unsigned b) { return a + b; }
static unsigned op_xor(unsigned a, unsigned b) { return a ^ (b * 2654435761u); }
static unsigned op_rot(unsigned a, unsigned b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static unsigned op_mul(unsigned a, unsigned b) { return a * (b | 1); }
static unsigned op_sub(unsigned a, unsigned b) { return a - b + 7; }
static op_fn volatile table[5] = {op_add, op_xor, op_rot, op_mul, op_sub};
unsigned run(void) {
  unsigned acc = 1, x = 12345;
  for (unsigned i = 0; i < BENCH_SCALE_INDIRECT; ++i) {
    x = x * 1103515245u + 12345u;
    acc = table[(x >> 16) % 5](acc, x);
  }
  return acc;
}
