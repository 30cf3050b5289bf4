// Dense matrix product of doubles: floating point and 2-D indexing.
// Usage: matmul [rounds]; each round multiplies two 120x120 matrices.
#include <stdio.h>
#include <stdlib.h>

// Volatile: the compiler cannot precompute the products.
static volatile int n_input = 120;

static void multiply(const double* a, const double* b, double* c, int n) {
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) c[i * n + j] = 0.0;
    for (int k = 0; k < n; ++k) {
      double aik = a[i * n + k];
      for (int j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  }
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 32;
  int n = n_input;
  double* a = malloc(sizeof(double) * n * n);
  double* b = malloc(sizeof(double) * n * n);
  double* c = malloc(sizeof(double) * n * n);
  if (a == NULL || b == NULL || c == NULL) return 1;
  for (int i = 0; i < n * n; ++i) {
    a[i] = (double)(i % 17) / 17.0;
    b[i] = (double)(i % 13) / 13.0;
  }
  double checksum = 0.0;
  for (int round = 0; round < rounds; ++round) {
    multiply(a, b, c, n);
    checksum += c[(round * 7919) % (n * n)];
    a[round % (n * n)] += 1.0;  // each round multiplies a different matrix
  }
  printf("matmul(%d) x%d checksum = %.6f\n", n, rounds, checksum);
  free(a);
  free(b);
  free(c);
  return 0;
}
