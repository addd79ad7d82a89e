/*
 * testhelper.h -- a tiny test harness for the C core (after mimalloc's testhelper.h).
 *
 *   CHECK("name", expr);     counts one check, prints file:line on failure
 *   return test_summary();   prints "N passed, N failed" alone on a line, exit status
 *
 * Plus a deterministic PRNG and the iteration knob used by the randomised tests:
 * CC_TEST_ITERS in the environment (or argv[1]) overrides the default op count, so
 * valgrind runs can use a smaller one.
 */
#ifndef CC_TESTHELPER_H
#define CC_TESTHELPER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int test_passed_count, test_failed_count;

static inline int test_check(int ok, const char *name, const char *expr, const char *file,
                             int line) {
    if (ok) {
        test_passed_count++;
    } else {
        test_failed_count++;
        fprintf(stderr, "FAILED %s:%d: %s: %s\n", file, line, name, expr);
    }
    return ok;
}

#define CHECK(name, expr) test_check(!!(expr), (name), #expr, __FILE__, __LINE__)

static inline int test_summary(void) {
    fflush(stderr);
    printf("%d passed, %d failed\n", test_passed_count, test_failed_count);
    fflush(stdout);
    return test_failed_count == 0 ? 0 : 1;
}

static inline unsigned long test_iterations(int argc, char **argv, unsigned long fallback) {
    const char *s = argc > 1 ? argv[1] : getenv("CC_TEST_ITERS");
    if (s != NULL && *s != '\0') {
        char *end;
        unsigned long n = strtoul(s, &end, 10);
        if (*end == '\0' && n > 0)
            return n;
        fprintf(stderr, "ignoring bad iteration count '%s'\n", s);
    }
    return fallback;
}

/* splitmix64: small, fast, good enough to drive random tests reproducibly. */
typedef struct { uint64_t state; } test_rng;

static inline uint64_t test_rand(test_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform-enough value in [0, n) for n > 0. */
static inline size_t test_below(test_rng *r, size_t n) {
    return (size_t)(test_rand(r) % n);
}

#endif /* CC_TESTHELPER_H */
