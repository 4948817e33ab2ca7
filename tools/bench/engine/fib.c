// Call-heavy: naive recursion.
static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
unsigned run(void) { return fib(BENCH_SCALE_FIB); }
