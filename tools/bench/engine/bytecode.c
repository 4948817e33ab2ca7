// br_table heavy: a small stack-machine interpreter running a loop program.
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, XOR, SHR, POP, HALT };
// Loop body, per iteration: x = ((n * 3) ^ 5) >> 1, acc += ..., n -= 1, until n == 0.
static const unsigned char prog[] = {DUP, PUSH, 3,   MUL, PUSH, 5,    XOR, PUSH, 1,
                                     SHR, PUSH, 2,   ADD, POP,  PUSH, 9,   DUP,  SWAP,
                                     POP, POP,  DEC, DUP, JNZ,  0,    HALT};
static unsigned interp(unsigned n) {
  unsigned stack[64];
  unsigned sp = 0, pc = 0, acc = 0;
  stack[sp++] = n;
  for (;;) {
    unsigned char op = prog[pc++];
    switch (op) {
      case PUSH: stack[sp++] = prog[pc++]; break;
      case ADD:
        sp--;
        stack[sp - 1] += stack[sp];
        break;
      case SUB:
        sp--;
        stack[sp - 1] -= stack[sp];
        break;
      case MUL:
        sp--;
        stack[sp - 1] *= stack[sp];
        break;
      case DUP:
        stack[sp] = stack[sp - 1];
        sp++;
        break;
      case SWAP: {
        unsigned t = stack[sp - 1];
        stack[sp - 1] = stack[sp - 2];
        stack[sp - 2] = t;
        break;
      }
      case JNZ: {
        unsigned t = stack[--sp];
        unsigned target = prog[pc++];
        if (t) pc = target;
        break;
      }
      case DEC: stack[sp - 1]--; break;
      case XOR:
        sp--;
        stack[sp - 1] ^= stack[sp];
        acc += stack[sp - 1];
        break;
      case SHR:
        sp--;
        stack[sp - 1] >>= stack[sp];
        break;
      case POP: sp--; break;
      case HALT: return acc + sp;
      default: return 0;
    }
    if (sp > 60) sp = 1;
  }
}
unsigned run(void) { return interp(BENCH_SCALE_BYTECODE); }
