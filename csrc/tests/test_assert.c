/*
 * test_assert.c -- the CC_DEBUG invariant assertions (cc_assert) fire.
 *
 * Each case corrupts arena or vec state the way a bug outside the core would -- a
 * write into a freed block, a clobbered block header, cc_vec fields changed by hand --
 * in a forked child. The child must die of SIGABRT after printing
 * "assertion failed: <expression>" with the expected expression. A control case that
 * corrupts nothing must exit normally and print nothing.
 *
 * Built with -DCC_DEBUG twice by the Makefile: slab mode (test_assert) and
 * -DCC_ARENA_MALLOC_PER_BLOCK (test_assert_perblock); each runs its mode's arena
 * cases and the vec cases. POSIX only (fork, pipe, waitpid).
 */
#define _POSIX_C_SOURCE 200809L

#include "../compactcore.h"
#include "../track.h"
#include "testhelper.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CC_DEBUG
#error "test_assert.c tests the CC_DEBUG assertions: build it with -DCC_DEBUG"
#endif

/* ------------------------------------------------------------ harness */

/* Runs fn in a child whose stderr is captured. With expect == NULL the child must
 * exit 0 and print nothing; otherwise it must die of SIGABRT and its stderr must
 * contain "assertion failed: " followed by expect. */
static int run_child(void (*fn)(void), const char *expect) {
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    static char out[16384];
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)got;
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 0;

    int ok;
    if (expect == NULL) {
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && len == 0;
    } else {
        char want[256];
        snprintf(want, sizeof want, "assertion failed: %s\n", expect);
        ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(out, want) != NULL;
    }
    if (!ok)
        fprintf(stderr, "child status %d, expected %s; its stderr:\n%s\n", status,
                expect ? expect : "a clean exit", out);
    return ok;
}

/* A child that aborts leaves its memory allocated; keeping every pointer here makes
 * it "still reachable" for valgrind's leak check instead of a reported leak. */
static void *volatile held[8];

static void *hold(void *p) {
    static size_t n;
    held[n++ % 8] = p;
    return p;
}

#define EXPECT_ASSERT(fn, expr) CHECK(#fn ": asserts " expr, run_child(fn, expr))
#define EXPECT_CLEAN(fn) CHECK(#fn ": no assertion", run_child(fn, NULL))

/* ------------------------------------------------------------ arena cases */

static void control_arena(void) {
    cc_arena *a = cc_arena_new(40, 8, NULL);
    void *p = cc_arena_alloc(a), *q = cc_arena_alloc(a);
    cc_arena_free(a, p);
    cc_arena_free(a, q);
    int double_free = cc_arena_free(a, q); /* reported as an error, not asserted */
    p = cc_arena_alloc(a);
    cc_arena_stats st;
    cc_arena_get_stats(a, &st);
    cc_arena_destroy(a);
    if (double_free == CC_OK || st.live_blocks != 1)
        _exit(1);
}

#ifndef CC_ARENA_MALLOC_PER_BLOCK
/* Writes into a freed block's memory, which ASan and valgrind rightly keep off limits. */
static void write_freed(void *block, size_t offset, const void *bytes, size_t n) {
    cc_track_open_link((unsigned char *)block + offset, n);
    memcpy((unsigned char *)block + offset, bytes, n);
    cc_track_close_link((unsigned char *)block + offset, n);
}

static void set_link(void *free_block, const void *target) {
    write_freed(free_block, 0, &target, sizeof target);
}

static int outside; /* an address no slab contains */

/* A freed block's link overwritten with a pointer outside its slab: caught when the
 * link becomes the freelist head, before the bad pointer is ever handed out. */
static void link_outside_slab(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *p;
    hold(cc_arena_alloc(a));
    p = cc_arena_alloc(a);
    cc_arena_free(a, p);
    set_link(p, &outside);
    cc_arena_alloc(a);
}

/* ... with a pointer into the slab that is not the start of a block */
static void link_misaligned(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    unsigned char *keep = hold(cc_arena_alloc(a)), *p = cc_arena_alloc(a);
    cc_arena_free(a, p);
    set_link(p, keep + 8);
    cc_arena_alloc(a);
}

/* ... with a block that is live: handing it out twice would alias two records */
static void link_to_live_block(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *keep = hold(cc_arena_alloc(a)), *p = cc_arena_alloc(a);
    cc_arena_free(a, p);
    set_link(p, keep);
    cc_arena_alloc(a);
}

/* A link cut to NULL loses the free blocks behind it: the slab's live count no
 * longer matches the blocks it handed out. */
static void link_lost(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *p, *q;
    hold(cc_arena_alloc(a));
    p = cc_arena_alloc(a);
    q = cc_arena_alloc(a);
    cc_arena_free(a, p);
    cc_arena_free(a, q); /* q's link is p */
    set_link(q, NULL);
    cc_arena_alloc(a);
}

/* A write into the body of a freed block (use after free), seen when it is reused. */
static void write_after_free(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *p;
    hold(cc_arena_alloc(a));
    p = cc_arena_alloc(a);
    cc_arena_free(a, p);
    write_freed(p, 24, "x", 1);
    cc_arena_alloc(a);
}
#else
/* The per-block header sits just before the block (header_size = 16 for align 8). */
typedef struct { void *prev, *next; } header_view;

static header_view *header(void *block) {
    return (header_view *)((unsigned char *)block - 16);
}

/* An underrun clobbers the header's back link. */
static void header_prev_clobbered(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *older = hold(cc_arena_alloc(a));
    hold(cc_arena_alloc(a));
    header(older)->prev = NULL; /* it claims to be the list head: the second block is */
    cc_arena_free(a, older);
}

/* A clobbered forward link drops a live block from the list: destroy frees fewer
 * blocks than the arena counts. */
static void header_next_clobbered(void) {
    cc_arena *a = hold(cc_arena_new(40, 8, NULL));
    void *newer;
    hold(cc_arena_alloc(a));
    newer = hold(cc_arena_alloc(a));
    header(newer)->next = NULL;
    cc_arena_destroy(a);
}
#endif

/* ------------------------------------------------------------ vec cases */

static cc_vec vec_with_records(size_t n) {
    cc_vec v;
    cc_vec_init(&v, 12, 4, NULL);
    cc_vec_resize(&v, n);
    hold(v.data);
    return v;
}

static void control_vec(void) {
    cc_vec v = vec_with_records(5);
    int range = cc_vec_remove(&v, 4, 2); /* reported as CC_ERANGE, not asserted */
    cc_vec_push(&v, NULL);
    cc_vec_insert(&v, 0, cc_vec_get(&v, 2), 3);
    cc_vec_shrink_to_fit(&v);
    cc_vec_destroy(&v);
    cc_vec_destroy(&v);
    if (range != CC_ERANGE)
        _exit(1);
}

static void vec_len_past_cap(void) {
    cc_vec v = vec_with_records(3);
    v.len = v.cap + 1;
    cc_vec_push(&v, NULL);
}

static void vec_data_lost(void) {
    cc_vec v = vec_with_records(3);
    v.data = NULL;
    cc_vec_get(&v, 0);
}

static void vec_cap_overflows(void) {
    cc_vec v = vec_with_records(3);
    v.cap = SIZE_MAX / 2;
    cc_vec_truncate(&v, 1);
}

static void vec_misaligned(void) {
    cc_vec v = vec_with_records(3);
    v.data += 2;
    cc_vec_remove(&v, 0, 1);
}

int main(void) {
    EXPECT_CLEAN(control_arena);
#ifndef CC_ARENA_MALLOC_PER_BLOCK
    EXPECT_ASSERT(link_outside_slab, "free_head_ok(a, s)");
    EXPECT_ASSERT(link_misaligned, "free_head_ok(a, s)");
    EXPECT_ASSERT(link_to_live_block, "free_head_ok(a, s)");
    EXPECT_ASSERT(link_lost, "s->free != NULL || s->used == handed_out");
    EXPECT_ASSERT(write_after_free, "still_filled(a, block)");
#else
    EXPECT_ASSERT(header_prev_clobbered, "LINKED(a, h)");
    EXPECT_ASSERT(header_next_clobbered, "freed == a->live_blocks");
#endif
    EXPECT_CLEAN(control_vec);
    EXPECT_ASSERT(vec_len_past_cap, "v->len <= v->cap");
    EXPECT_ASSERT(vec_data_lost, "(v->data == NULL) == (v->cap == 0)");
    EXPECT_ASSERT(vec_cap_overflows, "v->cap <= SIZE_MAX / v->itemsize");
    EXPECT_ASSERT(vec_misaligned, "is_aligned(v->data, v->align)");
    return test_summary();
}
