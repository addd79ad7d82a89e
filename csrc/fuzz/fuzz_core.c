/*
 * fuzz_core.c -- fuzz target for the arena and the record vector.
 *
 * The input is a program: a few configuration bytes (block size and alignment,
 * record width, which allocator calls fail), then a sequence of operations on one
 * arena and one vec. Each operation is mirrored on a plain model -- live arena
 * blocks with the byte each was filled with, and a shadow byte array for the vec --
 * and any disagreement in return codes, contents, capacity or statistics aborts.
 * ASan/UBSan (and, with CC_DEBUG, the arena's own checks) catch the rest.
 *
 * Builds:
 *   libFuzzer   clang -fsanitize=fuzzer,address,undefined
 *                   fuzz_core.c core.c arena.c arena_block.c vec.c
 *   standalone  -DCC_FUZZ_STANDALONE: `fuzz_smoke N` runs N random programs,
 *               `fuzz_smoke FILE...` replays inputs (e.g. a crash libFuzzer saved).
 */
#include "../compactcore.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIVE 1024    /* arena blocks tracked by the model */
#define MAX_VEC_LEN 512  /* records; keeps full-content comparisons cheap */

static void fail(const char *what, int line) {
    fprintf(stderr, "fuzz_core: model mismatch at line %d: %s\n", line, what);
    abort();
}

#define EXPECT(cond) \
    do { \
        if (!(cond)) \
            fail(#cond, __LINE__); \
    } while (0)

/* ------------------------------------------------------------ input reader */

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static unsigned next8(reader *r) {
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

static unsigned next16(reader *r) {
    unsigned lo = next8(r);
    return lo | next8(r) << 8;
}

/* ------------------------------------------------------------ failing allocator */

/* Wraps the default allocator; when fail_every > 0, every fail_every-th call fails. */
typedef struct fuzz_alloc {
    cc_allocator iface;
    unsigned fail_every;
    unsigned long calls;
    unsigned long failures;
} fuzz_alloc;

static int should_fail(fuzz_alloc *f) {
    f->calls++;
    if (f->fail_every != 0 && f->calls % f->fail_every == 0) {
        f->failures++;
        return 1;
    }
    return 0;
}

static void *fa_alloc(void *ctx, size_t size, size_t align) {
    return should_fail(ctx) ? NULL : cc_default_allocator()->alloc(NULL, size, align);
}

static void *fa_realloc(void *ctx, void *p, size_t old_size, size_t new_size, size_t align) {
    return should_fail(ctx) ? NULL
                            : cc_default_allocator()->realloc(NULL, p, old_size, new_size, align);
}

static void fa_free(void *ctx, void *p, size_t size) {
    (void)ctx;
    cc_default_allocator()->free(NULL, p, size);
}

/* ------------------------------------------------------------ the model */

typedef struct model {
    cc_arena *arena;
    size_t block_size, align;
    unsigned char *live[MAX_LIVE];
    unsigned char fill[MAX_LIVE];
    size_t nlive;
    void *freed[16]; /* recently freed blocks, for double-free probes (CC_DEBUG) */
    size_t nfreed;

    cc_vec vec;
    unsigned char *shadow; /* MAX_VEC_LEN records */
    size_t len;
    fuzz_alloc *fa;
} model;

static int block_is(const unsigned char *p, size_t n, unsigned char byte) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte)
            return 0;
    return 1;
}

static int is_live(const model *m, const void *p) {
    for (size_t i = 0; i < m->nlive; i++)
        if (m->live[i] == p)
            return 1;
    return 0;
}

static void check_arena(const model *m) {
    cc_arena_stats st;
    cc_arena_get_stats(m->arena, &st);
    EXPECT(st.live_blocks == m->nlive);
    EXPECT(st.bytes_in_use == m->nlive * m->block_size);
    if (!st.malloc_per_block) {
        EXPECT(st.slabs == st.slabs_acquired - st.slabs_released);
        EXPECT(st.slabs <= m->nlive + 1); /* empty slabs go back, but for one spare */
    }
}

static void check_vec(const model *m, int full) {
    const cc_vec *v = &m->vec;
    EXPECT(v->len == m->len);
    EXPECT(v->cap >= v->len);
    EXPECT(v->len == 0 || v->data != NULL);
    EXPECT(v->data == NULL || (uintptr_t)v->data % v->align == 0);
    if (full && m->len != 0)
        EXPECT(memcmp(v->data, m->shadow, m->len * v->itemsize) == 0);
}

/* ------------------------------------------------------------ arena operations */

static void op_alloc(model *m, reader *r) {
    unsigned char byte = (unsigned char)next8(r);
    if (m->nlive == MAX_LIVE)
        return;
    unsigned long failures = m->fa->failures;
    unsigned char *p = cc_arena_alloc(m->arena);
    if (p == NULL) {
        EXPECT(m->fa->failures > failures); /* only an injected failure may say no */
        return;
    }
    EXPECT((uintptr_t)p % m->align == 0);
    EXPECT(!is_live(m, p));
    memset(p, byte, m->block_size);
    m->live[m->nlive] = p;
    m->fill[m->nlive] = byte;
    m->nlive++;
}

static void op_free(model *m, reader *r) {
    unsigned pick = next16(r);
    if (m->nlive == 0)
        return;
    size_t i = pick % m->nlive;
    unsigned char *p = m->live[i];
    EXPECT(block_is(p, m->block_size, m->fill[i])); /* nobody wrote into it */
    EXPECT(cc_arena_free(m->arena, p) == CC_OK);
    m->live[i] = m->live[m->nlive - 1];
    m->fill[i] = m->fill[m->nlive - 1];
    m->nlive--;
    m->freed[m->nfreed++ % 16] = p;
}

#ifdef CC_DEBUG
/* Freeing a block again, or a pointer the arena never gave out, must be refused
 * and change nothing. */
static void op_bad_free(model *m, reader *r) {
    unsigned pick = next8(r);
    cc_arena_stats before, after;
    cc_arena_get_stats(m->arena, &before);
    if (pick % 3 == 0 && m->nfreed != 0) {
        void *p = m->freed[pick / 3 % (m->nfreed < 16 ? m->nfreed : 16)];
        if (is_live(m, p)) /* handed out again since: a legitimate block now */
            return;
        int err = cc_arena_free(m->arena, p);
        /* its slab may since have gone back to the system: then it is foreign */
        EXPECT(err == CC_EDOUBLEFREE || err == CC_EFOREIGN);
    } else if (pick % 3 == 1 && m->nlive != 0) {
        unsigned char *p = m->live[pick % m->nlive];
        size_t offset = 1 + next8(r) % (m->block_size - 1); /* inside, not at the start */
        EXPECT(cc_arena_free(m->arena, p + offset) == CC_EFOREIGN);
    } else {
        int local;
        EXPECT(cc_arena_free(m->arena, &local) == CC_EFOREIGN);
    }
    cc_arena_get_stats(m->arena, &after);
    EXPECT(memcmp(&before, &after, sizeof before) == 0);
}
#endif

/* ------------------------------------------------------------ vec operations */

/* Where inserted/assigned records come from: fresh bytes, zeros (NULL), or a range
 * of the vector itself (the aliasing case). Copies the source into `src` first. */
typedef struct source {
    const void *items;     /* what the call gets */
    unsigned char *bytes;  /* what the model inserts */
} source;

static source pick_source(model *m, reader *r, size_t *n, unsigned char *scratch) {
    size_t item = m->vec.itemsize;
    source s = {scratch, scratch};
    unsigned kind = next8(r) % 4;
    if (kind == 0) {
        memset(scratch, 0, *n * item);
        s.items = NULL;
    } else if (kind == 1 && m->len != 0) {
        size_t from = next16(r) % m->len;
        if (*n > m->len - from)
            *n = m->len - from;
        memcpy(scratch, m->shadow + from * item, *n * item);
        s.items = cc_vec_at(&m->vec, from);
    } else {
        unsigned char seed = (unsigned char)next8(r);
        for (size_t i = 0; i < *n * item; i++)
            scratch[i] = (unsigned char)(seed + i * 13);
    }
    return s;
}

/* Checks a call's result: success, or an injected out-of-memory that changed nothing. */
static int vec_result(model *m, int err, unsigned long failures_before) {
    if (err == CC_ENOMEM) {
        EXPECT(m->fa->failures > failures_before);
        check_vec(m, 1);
        return 0;
    }
    EXPECT(err == CC_OK);
    return 1;
}

static void op_vec(model *m, reader *r, unsigned op, unsigned char *scratch) {
    cc_vec *v = &m->vec;
    size_t item = v->itemsize;
    unsigned char *sh = m->shadow;
    size_t index = next16(r) % (m->len + 3); /* sometimes out of range on purpose */
    size_t n = next8(r) % 20;
    unsigned long failures = m->fa->failures;
    int err;
    switch (op) {
    case 0: { /* push */
        if (m->len == MAX_VEC_LEN)
            break;
        n = 1;
        source s = pick_source(m, r, &n, scratch);
        if (n == 0)
            break;
        if (vec_result(m, cc_vec_push(v, s.items), failures)) {
            memcpy(sh + m->len * item, s.bytes, item);
            m->len++;
        }
        break;
    }
    case 1: { /* insert */
        source s = pick_source(m, r, &n, scratch);
        if (m->len + n > MAX_VEC_LEN)
            break;
        err = cc_vec_insert(v, index, s.items, n);
        if (index > m->len) {
            EXPECT(err == CC_ERANGE);
        } else if (vec_result(m, err, failures)) {
            memmove(sh + (index + n) * item, sh + index * item, (m->len - index) * item);
            memcpy(sh + index * item, s.bytes, n * item);
            m->len += n;
        }
        break;
    }
    case 2: /* remove */
        err = cc_vec_remove(v, index, n);
        if (index > m->len || n > m->len - index) {
            EXPECT(err == CC_ERANGE);
        } else {
            EXPECT(err == CC_OK);
            memmove(sh + index * item, sh + (index + n) * item, (m->len - index - n) * item);
            m->len -= n;
        }
        break;
    case 3: /* truncate */
        err = cc_vec_truncate(v, index);
        if (index > m->len) {
            EXPECT(err == CC_ERANGE);
        } else {
            EXPECT(err == CC_OK);
            m->len = index;
        }
        break;
    case 4: { /* resize */
        size_t new_len = index + n;
        if (new_len > MAX_VEC_LEN)
            break;
        if (vec_result(m, cc_vec_resize(v, new_len), failures)) {
            if (new_len > m->len)
                memset(sh + m->len * item, 0, (new_len - m->len) * item);
            m->len = new_len;
        }
        break;
    }
    case 5: { /* reserve */
        size_t want = index + n * 8;
        if (vec_result(m, cc_vec_reserve(v, want), failures))
            EXPECT(v->cap >= want);
        break;
    }
    case 6: /* shrink */
        if (vec_result(m, cc_vec_shrink_to_fit(v), failures))
            EXPECT(v->cap == m->len);
        break;
    case 7: { /* assign */
        source s = pick_source(m, r, &n, scratch);
        if (vec_result(m, cc_vec_assign(v, s.items, n), failures)) {
            memcpy(sh, s.bytes, n * item);
            m->len = n;
        }
        break;
    }
    default: /* get */
        if (index < m->len) {
            const void *p = cc_vec_get(v, index);
            EXPECT(p != NULL && memcmp(p, sh + index * item, item) == 0);
        } else {
            EXPECT(cc_vec_get(v, index) == NULL);
        }
        break;
    }
    check_vec(m, m->len * item <= 2048 || op % 8 == 0);
}

/* ------------------------------------------------------------ entry point */

static const struct { size_t size, align; } block_kinds[] = {
    {16, 8}, {16, 16}, {24, 8}, {40, 8}, {48, 16}, {64, 64}, {200, 8}, {4096, 4096},
};
static const struct { size_t size, align; } record_kinds[] = {
    {1, 1}, {3, 1}, {4, 4}, {8, 8}, {12, 4}, {16, 16}, {24, 8}, {64, 64}, {128, 128},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size};
    static model m; /* large: keep it off the stack */
    static unsigned char scratch[20 * 128], shadow[MAX_VEC_LEN * 128];
    fuzz_alloc fa = {{fa_alloc, fa_realloc, fa_free, NULL}, 0, 0, 0};
    fa.iface.ctx = &fa;

    unsigned bk = next8(&r) % (sizeof block_kinds / sizeof block_kinds[0]);
    unsigned rk = next8(&r) % (sizeof record_kinds / sizeof record_kinds[0]);
    unsigned f = next8(&r);
    fa.fail_every = f < 192 ? 0 : 2 + f % 16; /* a quarter of the inputs inject failures */

    memset(&m, 0, sizeof m);
    m.fa = &fa;
    m.block_size = block_kinds[bk].size;
    m.align = block_kinds[bk].align;
    m.shadow = shadow;
    /* creation may itself hit an injected failure: then there is nothing to test */
    m.arena = cc_arena_new(m.block_size, m.align, &fa.iface);
    if (m.arena == NULL) {
        EXPECT(fa.failures > 0);
        return 0;
    }
    EXPECT(cc_vec_init(&m.vec, record_kinds[rk].size, record_kinds[rk].align, &fa.iface) == CC_OK);

    while (r.left > 0) {
        unsigned op = next8(&r);
        switch (op % 16) {
        case 0: case 1: case 2:
            op_alloc(&m, &r);
            break;
        case 3: case 4:
            op_free(&m, &r);
            break;
        case 5:
#ifdef CC_DEBUG
            op_bad_free(&m, &r);
#endif
            break;
        default:
            op_vec(&m, &r, op % 16 - 6, scratch);
            break;
        }
        check_arena(&m);
    }

    check_vec(&m, 1);
    /* free every other block through the API; destroy takes the rest */
    for (size_t i = 0; i < m.nlive; i += 2) {
        EXPECT(block_is(m.live[i], m.block_size, m.fill[i]));
        EXPECT(cc_arena_free(m.arena, m.live[i]) == CC_OK);
    }
    cc_arena_destroy(m.arena);
    cc_vec_destroy(&m.vec);
    EXPECT(m.vec.data == NULL && m.vec.len == 0 && m.vec.cap == 0);
    return 0;
}

#ifdef CC_FUZZ_STANDALONE
/* Without libFuzzer: replay files, or run N random programs (default 1000). */
static int replay(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        perror(path);
        return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv) {
    char *end = NULL;
    unsigned long runs = argc > 1 ? strtoul(argv[1], &end, 10) : 1000;
    if (argc > 1 && (end == argv[1] || *end != '\0')) {
        int bad = 0;
        for (int i = 1; i < argc; i++)
            bad |= replay(argv[i]);
        printf("%d passed, %d failed\n", argc - 1 - bad, bad);
        return bad;
    }
    uint64_t x = 0x2545F4914F6CDD1Dull;
    static uint8_t buf[8192];
    for (unsigned long run = 0; run < runs; run++) {
        size_t len = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        len = (size_t)(x % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (uint8_t)(x >> 32);
        }
        LLVMFuzzerTestOneInput(buf, len); /* aborts on any mismatch */
    }
    printf("%lu passed, 0 failed\n", runs);
    return 0;
}
#endif
