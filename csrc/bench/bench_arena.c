/*
 * bench_arena.c -- the arena against malloc/free for 40-byte blocks
 * (a record of 16 bytes of object header + 3 x f64).
 *
 *   time:   ns per alloc+free pair (thread CPU time, so that being descheduled on a
 *           busy machine does not count), median of REPS runs
 *           (a) LIFO: allocate a batch of 100 blocks, free them in reverse order
 *           (b) random: 1M live blocks, then replace randomly chosen ones
 *               (free + alloc); indices are drawn before the clock starts
 *   memory: bytes held per block with 1M live 40-byte blocks, each measured in a
 *           fresh forked process so neither contender reuses the other's pages
 *
 * Linux/glibc only (fork, /proc/self/statm, mallinfo2). Run: make -C csrc bench
 */
#define _GNU_SOURCE

#include "../compactcore.h"

#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 40
#define REPS 7
#define LIFO_BATCH 100
#define LIFO_ROUNDS 200000          /* 20M pairs per repetition */
#define LIVE ((size_t)1000000)
#define REPLACEMENTS ((size_t)4000000)

/* ------------------------------------------------------------ the two contenders */

typedef struct contender {
    const char *name;
    void *(*alloc)(void *ctx);
    void (*free)(void *ctx, void *p);
    void *(*setup)(void);
    void (*teardown)(void *ctx);
} contender;

static void *arena_setup(void) { return cc_arena_new(BLOCK, 8, NULL); }
static void arena_teardown(void *ctx) { cc_arena_destroy(ctx); }
static void *arena_alloc(void *ctx) { return cc_arena_alloc(ctx); }
static void arena_free(void *ctx, void *p) { cc_arena_free(ctx, p); }

static void *malloc_setup(void) { return NULL; }
static void malloc_teardown(void *ctx) { (void)ctx; }
static void *malloc_alloc(void *ctx) { (void)ctx; return malloc(BLOCK); }
static void malloc_free(void *ctx, void *p) { (void)ctx; free(p); }

static const contender contenders[2] = {
    {"arena", arena_alloc, arena_free, arena_setup, arena_teardown},
    {"malloc", malloc_alloc, malloc_free, malloc_setup, malloc_teardown},
};

/* ------------------------------------------------------------ helpers */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t rss_bytes(void) {
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        pages_resident = 0;
    fclose(f);
    return (size_t)pages_resident * (size_t)sysconf(_SC_PAGESIZE);
}

static void die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

/* Writes into a block so that the compiler cannot drop a malloc/free pair and so
 * that both contenders pay for touching the memory they hand out. */
static void touch(void *p, size_t i) {
    memcpy(p, &i, sizeof i);
}

/* ------------------------------------------------------------ timings */

static double lifo_ns(const contender *c) {
    void *batch[LIFO_BATCH];
    void *ctx = c->setup();
    double t0 = now_ns();
    for (size_t round = 0; round < LIFO_ROUNDS; round++) {
        for (size_t i = 0; i < LIFO_BATCH; i++) {
            if ((batch[i] = c->alloc(ctx)) == NULL)
                die("out of memory");
            touch(batch[i], i);
        }
        for (size_t i = LIFO_BATCH; i-- > 0;)
            c->free(ctx, batch[i]);
    }
    double t1 = now_ns();
    c->teardown(ctx);
    return (t1 - t0) / ((double)LIFO_ROUNDS * LIFO_BATCH);
}

static double random_ns(const contender *c, void **live, const uint32_t *victims) {
    void *ctx = c->setup();
    for (size_t i = 0; i < LIVE; i++) {
        if ((live[i] = c->alloc(ctx)) == NULL)
            die("out of memory");
        touch(live[i], i);
    }
    double t0 = now_ns();
    for (size_t k = 0; k < REPLACEMENTS; k++) {
        uint32_t i = victims[k];
        c->free(ctx, live[i]);
        if ((live[i] = c->alloc(ctx)) == NULL)
            die("out of memory");
        touch(live[i], k);
    }
    double t1 = now_ns();
    for (size_t i = 0; i < LIVE; i++)
        c->free(ctx, live[i]);
    c->teardown(ctx);
    return (t1 - t0) / (double)REPLACEMENTS;
}

/* ------------------------------------------------------------ memory */

typedef struct mem_result {
    double accounted; /* allocator's own accounting, bytes per block */
    double rss;       /* resident set growth, bytes per block */
} mem_result;

static mem_result measure_memory(int use_arena, void **live) {
    mem_result r = {0, 0};
    memset(live, 0, LIVE * sizeof *live); /* the pointer array is resident before */
    cc_arena *a = use_arena ? cc_arena_new(BLOCK, 8, NULL) : NULL;
    size_t rss0 = rss_bytes();
    size_t heap0 = mallinfo2().uordblks;
    for (size_t i = 0; i < LIVE; i++) {
        live[i] = use_arena ? cc_arena_alloc(a) : malloc(BLOCK);
        if (live[i] == NULL)
            die("out of memory");
        touch(live[i], i);
    }
    size_t rss1 = rss_bytes();
    if (use_arena) {
        cc_arena_stats st;
        cc_arena_get_stats(a, &st);
        r.accounted = (double)st.bytes_reserved / LIVE;
    } else {
        r.accounted = (double)(mallinfo2().uordblks - heap0) / LIVE;
    }
    r.rss = (double)(rss1 - rss0) / LIVE;
    return r; /* the process exits: no need to free */
}

/* Runs measure_memory in a child so that each contender starts from a fresh heap. */
static mem_result measure_memory_isolated(int use_arena, void **live) {
    mem_result r = {-1, -1};
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe failed");
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        close(fd[0]);
        mem_result m = measure_memory(use_arena, live);
        ssize_t w = write(fd[1], &m, sizeof m);
        _exit(w == (ssize_t)sizeof m ? 0 : 1);
    }
    close(fd[1]);
    if (read(fd[0], &r, sizeof r) != (ssize_t)sizeof r)
        die("memory measurement failed");
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return r;
}

/* ------------------------------------------------------------ main */

int main(void) {
    void **live = malloc(LIVE * sizeof *live);
    uint32_t *victims = malloc(REPLACEMENTS * sizeof *victims);
    if (live == NULL || victims == NULL)
        die("out of memory");
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < REPLACEMENTS; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        victims[k] = (uint32_t)(x % LIVE);
    }

    mem_result mem[2];
    for (int c = 0; c < 2; c++)
        mem[c] = measure_memory_isolated(c == 0, live);

    double lifo[2][REPS], rnd[2][REPS];
    for (int rep = 0; rep < REPS; rep++) {
        for (int c = 0; c < 2; c++) { /* alternate contenders within each repetition */
            lifo[c][rep] = lifo_ns(&contenders[c]);
            rnd[c][rep] = random_ns(&contenders[c], live, victims);
        }
    }
    double lifo_med[2], rnd_med[2];
    for (int c = 0; c < 2; c++) {
        lifo_med[c] = median(lifo[c], REPS);
        rnd_med[c] = median(rnd[c], REPS);
    }

    printf("compactcore arena vs malloc: %d-byte blocks, median of %d runs (CPU time)\n", BLOCK,
           REPS);
    printf("compiler: %s %s, glibc %s\n",
#if defined(__clang__)
           "clang",
#elif defined(__GNUC__)
           "gcc",
#else
           "cc",
#endif
           __VERSION__, gnu_get_libc_version());
    printf("\n");
    printf("%-44s %10s %10s %12s\n", "", "arena", "malloc", "malloc/arena");
    printf("%-44s %10.2f %10.2f %12.2f\n", "LIFO alloc+free, batches of 100 (ns/pair)",
           lifo_med[0], lifo_med[1], lifo_med[1] / lifo_med[0]);
    printf("%-44s %10.2f %10.2f %12.2f\n", "random free+alloc, 1M live (ns/pair)",
           rnd_med[0], rnd_med[1], rnd_med[1] / rnd_med[0]);
    printf("%-44s %10.2f %10.2f %12.2f\n", "bytes per live block, allocator accounting",
           mem[0].accounted, mem[1].accounted, mem[1].accounted / mem[0].accounted);
    printf("%-44s %10.2f %10.2f %12.2f\n", "bytes per live block, RSS growth",
           mem[0].rss, mem[1].rss, mem[1].rss / mem[0].rss);
    printf("\n(accounting: arena = stats.bytes_reserved / 1M; malloc = mallinfo2 uordblks delta / 1M.\n"
           " Memory is measured for 1M live blocks in a fresh forked process per contender.)\n");
    free(live);
    free(victims);
    return 0;
}
