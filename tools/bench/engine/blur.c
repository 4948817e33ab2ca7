// Narrow integer lanes: a 3x3 box blur of an 8-bit grey image (sums widened to 16 bits, divided
// by 9 with a multiply and shift, saturated back to bytes), then a threshold pass.
#ifndef BENCH_SCALE_BLUR
#define BENCH_SCALE_BLUR 60
#endif
#define W 512
#define H 256
static unsigned char img[H][W], out[H][W];

static void blur(void) {
  for (int y = 1; y < H - 1; ++y)
    for (int x = 1; x < W - 1; ++x) {
      unsigned short s = (unsigned short)(img[y - 1][x - 1] + img[y - 1][x] + img[y - 1][x + 1] +
                                          img[y][x - 1] + img[y][x] + img[y][x + 1] +
                                          img[y + 1][x - 1] + img[y + 1][x] + img[y + 1][x + 1]);
      out[y][x] = (unsigned char)((s * 7282u) >> 16);
    }
  for (int y = 1; y < H - 1; ++y)
    for (int x = 0; x < W; ++x) {
      unsigned char v = out[y][x];
      img[y][x] = v > 128 ? (unsigned char)(v - 3) : (unsigned char)(v + 5);
    }
}

unsigned run(void) {
  unsigned x = 123456789u;
  for (int y = 0; y < H; ++y)
    for (int i = 0; i < W; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      img[y][i] = (unsigned char)(x >> 3);
    }
  for (int r = 0; r < BENCH_SCALE_BLUR; ++r) blur();
  unsigned h = 2166136261u;
  for (int y = 0; y < H; ++y)
    for (int i = 0; i < W; ++i) h = (h ^ img[y][i]) * 16777619u;
  return h;
}
