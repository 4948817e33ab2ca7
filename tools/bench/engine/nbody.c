// Floating point: the n-body simulation (no libm: sqrt is a builtin, one instruction).
typedef struct {
  double x, y, z, vx, vy, vz, m;
} Body;
static Body bodies[5] = {
    {0, 0, 0, 0, 0, 0, 39.47841760435743},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 0.606326392995832,
     2.81198684491626, -0.02521836165988763, 0.03769367487038949},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -1.0107743461787924, 1.8256623712304119, 0.008415761376584154, 0.011286326131968767},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     1.0827910064415354, 0.8687130181696082, -0.010832637401363636, 0.0017237240570597112},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 0.979090732243898,
     0.5946989986476762, -0.034755955504078104, 0.0020336868699246304}};
static void advance(double dt) {
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) {
      double dx = bodies[i].x - bodies[j].x, dy = bodies[i].y - bodies[j].y,
             dz = bodies[i].z - bodies[j].z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * __builtin_sqrt(d2));
      bodies[i].vx -= dx * bodies[j].m * mag;
      bodies[i].vy -= dy * bodies[j].m * mag;
      bodies[i].vz -= dz * bodies[j].m * mag;
      bodies[j].vx += dx * bodies[i].m * mag;
      bodies[j].vy += dy * bodies[i].m * mag;
      bodies[j].vz += dz * bodies[i].m * mag;
    }
  }
  for (int i = 0; i < 5; ++i) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}
unsigned run(void) {
  for (int i = 0; i < BENCH_SCALE_NBODY; ++i) advance(0.01);
  double e = 0;
  for (int i = 0; i < 5; ++i) e += bodies[i].x + bodies[i].y * 3 + bodies[i].z * 7;
  return (unsigned)(long long)(e * 1e6);
}
