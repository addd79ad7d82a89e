/*
 * arena.c -- fixed-size-block slab arenas (see the glossary in compactcore.h).
 *
 * Slab layout (slab_size is a power of two and the slab is aligned to it):
 *
 *     | slab header [debug bitmap] | pad to align | block 0 | block 1 | ... | tail |
 *
 * - The slab of a block is found by masking the block's address with ~(slab_size-1).
 * - A free block holds the freelist link in its first word; blocks carry no header.
 * - Blocks that were never handed out are not on the freelist: a bump pointer walks
 *   over them, so a new (or recycled empty) slab costs O(1) to set up.
 * - Partial slabs sit in NBUCKETS doubly-linked lists by fill fraction. Allocation
 *   takes the head of the fullest non-empty bucket, so nearly-empty slabs get no
 *   new blocks and can drain back to the system. A slab changes bucket only when
 *   its fill count crosses a precomputed threshold: O(1), no division.
 * - Full slabs are in no bucket list: with many live blocks, frees and allocations
 *   keep moving slabs across the full/partial boundary, and unlinking from a list
 *   of full slabs would touch two more cold slab headers each time. A separate list
 *   of all slabs, touched only when a slab is acquired or released, lets destroy
 *   find every slab.
 * - A slab that becomes empty is released, except one spare kept back so that a
 *   program oscillating around a slab boundary does not hit the system allocator
 *   on every step (the hysteresis of pymalloc and mimalloc).
 *
 * With CC_DEBUG a slab also carries a bitmap of its live blocks and the arena a sorted
 * registry of its slabs, so that cc_arena_free can refuse a double free or a foreign
 * pointer without touching it; the invariants above are asserted (cc_assert), each
 * slab's after every change and the whole arena's in cc_arena_get_stats and
 * cc_arena_destroy.
 *
 * Compiled only without CC_ARENA_MALLOC_PER_BLOCK; arena_block.c is the other mode.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS under -std=c11 */
#include "internal.h"

#ifndef CC_ARENA_MALLOC_PER_BLOCK
#include "track.h"

#include <stdint.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

/* Whether this arena announces blocks to ASan/valgrind. A compile-time constant
 * except with valgrind headers, where it is decided once per arena (see track.h). */
#if defined(CC_TRACK_VALGRIND)
#define TRACKING(a) ((a)->tracking)
#else
#define TRACKING(a) cc_track_active()
#endif

#define SLAB_DEFAULT_SIZE ((size_t)64 * 1024)
#define SLAB_MIN_BLOCKS 16      /* large blocks get a larger slab, never fewer blocks */
#define NBUCKETS 8              /* occupancy buckets of partial slabs */
#define LIST_FULL NBUCKETS      /* slab->list of a slab with no free block (not linked) */
#define LIST_NONE (NBUCKETS + 1) /* in no list: the spare, or a slab being set up */

typedef struct slab slab;
struct slab {
    slab *prev, *next;     /* neighbours in lists[list] (partial slabs only) */
    slab *all_prev, *all_next; /* every slab of the arena, for destroy */
    void *free;            /* freelist of blocks that were handed out and returned */
    unsigned char *bump;   /* first never-used block; the end is first + n * block_size */
    size_t used;           /* live blocks */
    unsigned list;
#ifdef CC_DEBUG
    unsigned char live[];  /* one bit per block: set while the block is handed out */
#endif
};

struct cc_arena {
    size_t block_size;
    size_t align;
    size_t slab_size;
    size_t first_offset;        /* offset of block 0 from the slab start */
    size_t blocks_per_slab;
    /* A partial slab with `used` live blocks is in bucket b iff
     * bucket_lo[b] <= used < bucket_lo[b + 1]; bucket_lo[LIST_FULL] is blocks_per_slab. */
    size_t bucket_lo[NBUCKETS + 1];
    slab *lists[NBUCKETS];      /* partial slabs by occupancy bucket */
    unsigned nonempty;          /* bit b set iff lists[b] is non-empty */
    slab *all;                  /* every slab held, including the spare */
    slab *spare;                /* at most one empty slab kept back */
    const cc_allocator *allocator;
    cc_slab_hook hook;
    void *hook_ctx;
    size_t live_blocks;
    size_t slabs;
    size_t slabs_acquired;
    size_t slabs_released;
    int tracking;               /* see TRACKING() */
#ifdef CC_DEBUG
    /* Every slab of the arena, sorted by address: lets cc_arena_free reject a
     * pointer without touching the memory it points to. */
    slab **registry;
    size_t registry_len;
    size_t registry_cap;
#endif
};

/* ------------------------------------------------------------ layout */

static size_t header_bytes(size_t max_blocks) {
#ifdef CC_DEBUG
    return sizeof(slab) + (max_blocks + 7) / 8;
#else
    (void)max_blocks;
    return sizeof(slab);
#endif
}

/* Picks slab_size, first_offset and blocks_per_slab. The debug bitmap grows with the
 * slab, so iterate until the header plus SLAB_MIN_BLOCKS blocks fit (twice at most). */
static int plan_layout(cc_arena *a) {
    size_t slab_size = SLAB_DEFAULT_SIZE, min_blocks_bytes, first, need;
    if (cc_mul_size(SLAB_MIN_BLOCKS, a->block_size, &min_blocks_bytes) != CC_OK)
        return CC_EOVERFLOW;
    for (;;) {
        if (round_up(header_bytes(slab_size / a->block_size), a->align, &first) != CC_OK ||
            add_size(first, min_blocks_bytes, &need) != CC_OK)
            return CC_EOVERFLOW;
        if (need <= slab_size)
            break;
        while (slab_size < need) {
            if (slab_size > SIZE_MAX / 2)
                return CC_EOVERFLOW;
            slab_size *= 2;
        }
    }
    a->slab_size = slab_size;
    a->first_offset = first;
    a->blocks_per_slab = (slab_size - first) / a->block_size;
    cc_assert(is_pow2(slab_size) && first % a->align == 0 && first >= sizeof(slab));
    cc_assert(a->blocks_per_slab >= SLAB_MIN_BLOCKS);
    cc_assert(header_bytes(a->blocks_per_slab) <= first);

    /* bucket b covers fill fractions [b/8, (b+1)/8); bucket 0 starts at one block
     * because an empty slab is never in a bucket. n >= 16 keeps every bucket non-empty. */
    size_t n = a->blocks_per_slab;
    a->bucket_lo[0] = 1;
    for (size_t b = 1; b <= NBUCKETS; b++) {
        a->bucket_lo[b] = (b * n + NBUCKETS - 1) / NBUCKETS;
        cc_assert(a->bucket_lo[b] > a->bucket_lo[b - 1]);
    }
    cc_assert(a->bucket_lo[LIST_FULL] == n);
    return CC_OK;
}

static unsigned bucket_for(const cc_arena *a, size_t used) {
    unsigned b = 0;
    while (b < LIST_FULL && used >= a->bucket_lo[b + 1])
        b++;
    return b;
}

static unsigned fullest_bucket(unsigned nonempty) {
    cc_assert(nonempty != 0 && nonempty < (1u << NBUCKETS));
#if defined(__GNUC__)
    return (unsigned)(31 - __builtin_clz(nonempty));
#else
    unsigned b = NBUCKETS - 1;
    while (!((nonempty >> b) & 1u))
        b--;
    return b;
#endif
}

static unsigned char *slab_blocks(const cc_arena *a, const slab *s) {
    return (unsigned char *)s + a->first_offset;
}

/* ------------------------------------------------------------ slab lists */

/* Puts s into bucket `list`, or marks it full (LIST_FULL: nothing to link). */
static void list_push(cc_arena *a, slab *s, unsigned list) {
    cc_assert(s->list == LIST_NONE && list <= LIST_FULL);
    s->list = list;
    if (list >= NBUCKETS)
        return;
    s->prev = NULL;
    s->next = a->lists[list];
    if (s->next)
        s->next->prev = s;
    a->lists[list] = s;
    a->nonempty |= 1u << list;
}

static void list_remove(cc_arena *a, slab *s) {
    unsigned list = s->list;
    s->list = LIST_NONE;
    if (list >= NBUCKETS)
        return;
    cc_assert(s->prev != NULL ? s->prev->next == s : a->lists[list] == s);
    cc_assert(s->next == NULL || s->next->prev == s);
    if (s->prev)
        s->prev->next = s->next;
    else
        a->lists[list] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (a->lists[list] == NULL)
        a->nonempty &= ~(1u << list);
}

static void list_move(cc_arena *a, slab *s, unsigned list) {
    list_remove(a, s);
    list_push(a, s, list);
}

/* ------------------------------------------------------------ debug checks */

#ifdef CC_DEBUG
/* Index of the first registry entry >= s. */
static size_t registry_find(const cc_arena *a, uintptr_t s) {
    size_t lo = 0, hi = a->registry_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)a->registry[mid] < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room for one more slab, so that registering a new slab cannot fail after the
 * slab itself was obtained. */
static int registry_reserve(cc_arena *a) {
    if (a->registry_len < a->registry_cap)
        return CC_OK;
    size_t new_cap = a->registry_cap ? a->registry_cap * 2 : 16, old_bytes, new_bytes;
    if (cc_mul_size(a->registry_cap, sizeof(slab *), &old_bytes) != CC_OK ||
        cc_mul_size(new_cap, sizeof(slab *), &new_bytes) != CC_OK)
        return CC_EOVERFLOW;
    const cc_allocator *al = a->allocator;
    void *p = a->registry
        ? al->realloc(al->ctx, a->registry, old_bytes, new_bytes, _Alignof(slab *))
        : al->alloc(al->ctx, new_bytes, _Alignof(slab *));
    if (p == NULL)
        return CC_ENOMEM;
    a->registry = p;
    a->registry_cap = new_cap;
    return CC_OK;
}

static void registry_insert(cc_arena *a, slab *s) {
    size_t i = registry_find(a, (uintptr_t)s);
    cc_assert(a->registry_len < a->registry_cap); /* registry_reserve ran first */
    cc_assert(i == a->registry_len || a->registry[i] != s);
    memmove(a->registry + i + 1, a->registry + i, (a->registry_len - i) * sizeof(slab *));
    a->registry[i] = s;
    a->registry_len++;
}

static void registry_remove(cc_arena *a, slab *s) {
    size_t i = registry_find(a, (uintptr_t)s);
    cc_assert(i < a->registry_len && a->registry[i] == s);
    memmove(a->registry + i, a->registry + i + 1, (a->registry_len - i - 1) * sizeof(slab *));
    a->registry_len--;
}

static size_t bitmap_bytes(const cc_arena *a) {
    return (a->blocks_per_slab + 7) / 8;
}

static int bitmap_is_clear(const cc_arena *a, const slab *s) {
    for (size_t i = 0; i < bitmap_bytes(a); i++)
        if (s->live[i] != 0)
            return 0;
    return 1;
}

/* Is p the start of a block of s that was handed out at some point (below the bump
 * pointer)? Only such a block can be live or on the freelist. */
static int is_used_block(const cc_arena *a, const slab *s, const void *p) {
    uintptr_t first = (uintptr_t)slab_blocks(a, s), q = (uintptr_t)p;
    return q >= first && q < (uintptr_t)s->bump && (q - first) % a->block_size == 0;
}

static size_t block_index(const cc_arena *a, const slab *s, const void *block) {
    cc_assert(is_used_block(a, s, block));
    return (size_t)((const unsigned char *)block - slab_blocks(a, s)) / a->block_size;
}

static int is_live(const slab *s, size_t i) {
    return (s->live[i / 8] >> (i % 8)) & 1u;
}

static void set_live(slab *s, size_t i, int live) {
    unsigned char bit = (unsigned char)(1u << (i % 8));
    cc_assert(is_live(s, i) != live);
    if (live)
        s->live[i / 8] |= bit;
    else
        s->live[i / 8] &= (unsigned char)~bit;
}

/* The freelist head is NULL or a block of s that is not live: anything else is a
 * corrupted link, typically a write into a freed block. */
static int free_head_ok(const cc_arena *a, const slab *s) {
    return s->free == NULL ||
           (is_used_block(a, s, s->free) && !is_live(s, block_index(a, s, s->free)));
}

/* Was a free block left as cc_arena_free filled it? (The first word is the link.) */
static int still_filled(const cc_arena *a, const unsigned char *block) {
    for (size_t i = sizeof(void *); i < a->block_size; i++)
        if (block[i] != CC_FREED_BYTE)
            return 0;
    return 1;
}

/* One slab's invariants, O(1): its count agrees with its blocks and its list. */
static void check_slab(const cc_arena *a, const slab *s) {
    const unsigned char *first = slab_blocks(a, s);
    size_t handed_out = (size_t)(s->bump - first) / a->block_size;
    cc_assert(s->bump >= first && (size_t)(s->bump - first) % a->block_size == 0);
    cc_assert(handed_out <= a->blocks_per_slab && s->used <= handed_out);
    /* with an empty freelist every block below the bump pointer is live */
    cc_assert(s->free != NULL || s->used == handed_out);
    cc_assert(s->free == NULL || s->used < handed_out);
    cc_assert(s->used == 0 ? s->list == LIST_NONE : s->list == bucket_for(a, s->used));
    cc_assert(free_head_ok(a, s));
}

/* The whole arena, O(slabs + NBUCKETS): the counts agree with the slabs, every
 * partial slab is in the list of its bucket, the registry holds every slab. */
static void check_arena(const cc_arena *a) {
    size_t slabs = 0, live = 0, partial = 0;
    for (const slab *s = a->all; s != NULL; s = s->all_next) {
        cc_assert(s->all_next == NULL || s->all_next->all_prev == s);
        cc_assert(is_aligned(s, a->slab_size));
        check_slab(a, s);
        slabs++;
        live += s->used;
        partial += s->list < NBUCKETS;
    }
    cc_assert(a->all == NULL || a->all->all_prev == NULL);
    cc_assert(slabs == a->slabs && live == a->live_blocks);
    cc_assert(a->slabs == a->slabs_acquired - a->slabs_released);
    cc_assert(a->registry_len == a->slabs);
    for (size_t i = 1; i < a->registry_len; i++)
        cc_assert((uintptr_t)a->registry[i - 1] < (uintptr_t)a->registry[i]);
    cc_assert(a->spare == NULL || (a->spare->used == 0 && a->spare->free == NULL &&
                                   a->spare->bump == slab_blocks(a, a->spare)));
    for (unsigned b = 0; b < NBUCKETS; b++) {
        cc_assert((a->lists[b] != NULL) == ((a->nonempty >> b) & 1u));
        cc_assert(a->lists[b] == NULL || a->lists[b]->prev == NULL);
        for (const slab *s = a->lists[b]; s != NULL; s = s->next) {
            cc_assert(s->list == b && (s->next == NULL || s->next->prev == s));
            partial--;
        }
    }
    cc_assert(partial == 0); /* no partial slab is missing from its list */
}

/* Validates a pointer before cc_arena_free touches anything: it must be the start of
 * a block inside one of this arena's slabs, and that block must be handed out. */
static int debug_check_free(const cc_arena *a, const void *block) {
    uintptr_t addr = (uintptr_t)block, base = addr & ~(uintptr_t)(a->slab_size - 1);
    size_t i = registry_find(a, base);
    if (i == a->registry_len || (uintptr_t)a->registry[i] != base)
        return CC_EFOREIGN;
    size_t offset = (size_t)(addr - base);
    if (offset < a->first_offset || (offset - a->first_offset) % a->block_size != 0)
        return CC_EFOREIGN;
    size_t index = (offset - a->first_offset) / a->block_size;
    if (index >= a->blocks_per_slab)
        return CC_EFOREIGN;
    if (!is_live(a->registry[i], index))
        return CC_EDOUBLEFREE;
    return CC_OK;
}

/* Bytes of a free block read when it is handed out again: the link, and with
 * CC_DEBUG the whole block, whose fill is checked. */
#define REUSE_READ_BYTES(a) ((a)->block_size)
#else
#define check_slab(a, s) ((void)0)
#define check_arena(a) ((void)0)
#define REUSE_READ_BYTES(a) sizeof(void *)
#endif /* CC_DEBUG */

/* ------------------------------------------------------------ slab memory */

/* With the default allocator, slabs come straight from the OS: over-map by one slab size, then
 * unmap the unaligned head and the tail. posix_memalign(64 KiB, 64 KiB) would write malloc's
 * bookkeeping into the trimmed pieces, touching two extra pages per slab (45 instead of 40
 * resident bytes per 40-byte block); pages never touched here are never resident. An injected
 * allocator (tests, embedders) is used as given. */
#if defined(__unix__) || defined(__APPLE__)
#define CC_HAVE_MMAP 1

static void *os_slab_alloc(size_t size) {
    size_t span;
    if (size > SIZE_MAX - size)
        return NULL;
    span = size + size;
    unsigned char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)raw + size - 1) & ~(uintptr_t)(size - 1);
    size_t head = start - (uintptr_t)raw, tail = span - head - size;
    if (head)
        munmap(raw, head);
    if (tail)
        munmap((unsigned char *)start + size, tail);
    return (void *)start;
}

static void os_slab_free(void *p, size_t size) { munmap(p, size); }
#else
#define CC_HAVE_MMAP 0
#endif

static void *slab_memory_alloc(cc_arena *a) {
#if CC_HAVE_MMAP
    if (a->allocator == cc_default_allocator())
        return os_slab_alloc(a->slab_size);
#endif
    return a->allocator->alloc(a->allocator->ctx, a->slab_size, a->slab_size);
}

static void slab_memory_free(cc_arena *a, void *p) {
#if CC_HAVE_MMAP
    if (a->allocator == cc_default_allocator()) {
        os_slab_free(p, a->slab_size);
        return;
    }
#endif
    a->allocator->free(a->allocator->ctx, p, a->slab_size);
}

/* ------------------------------------------------------------ slabs */

static slab *slab_acquire(cc_arena *a) {
#ifdef CC_DEBUG
    if (registry_reserve(a) != CC_OK)
        return NULL;
#endif
    unsigned char *mem = slab_memory_alloc(a);
    if (mem == NULL)
        return NULL;
    if (!is_aligned(mem, a->slab_size)) {
        /* An injected allocator ignored the alignment: masking would go wrong. */
        slab_memory_free(a, mem);
        return NULL;
    }
    slab *s = (slab *)mem;
    s->prev = s->next = NULL;
    s->all_prev = NULL;
    s->all_next = a->all;
    if (s->all_next)
        s->all_next->all_prev = s;
    a->all = s;
    s->free = NULL;
    s->bump = slab_blocks(a, s);
    s->used = 0;
    s->list = LIST_NONE;
#ifdef CC_DEBUG
    memset(s->live, 0, bitmap_bytes(a));
    registry_insert(a, s);
#endif
    if (TRACKING(a))
        cc_track_hide(slab_blocks(a, s), a->blocks_per_slab * a->block_size);
    a->slabs++;
    a->slabs_acquired++;
    if (a->hook)
        a->hook(a->hook_ctx, s, a->slab_size, 1);
    return s;
}

static void slab_release(cc_arena *a, slab *s) {
    if (a->hook)
        a->hook(a->hook_ctx, s, a->slab_size, 0);
#ifdef CC_DEBUG
    registry_remove(a, s);
#endif
    cc_assert(s->all_prev != NULL ? s->all_prev->all_next == s : a->all == s);
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else
        a->all = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    if (TRACKING(a))
        cc_track_unhide(slab_blocks(a, s), a->blocks_per_slab * a->block_size);
    cc_assert(a->slabs > 0);
    a->slabs--;
    a->slabs_released++;
    slab_memory_free(a, s);
}

/* Called when the last live block of s was freed. */
static void slab_emptied(cc_arena *a, slab *s) {
    cc_assert(s->used == 0);
#ifdef CC_DEBUG
    cc_assert(bitmap_is_clear(a, s));
#endif
    list_remove(a, s);
    /* Forget the freelist: the bump pointer covers every block again, so a recycled
     * spare hands out blocks in address order, like a new slab. */
    s->free = NULL;
    s->bump = slab_blocks(a, s);
    if (a->spare == NULL) {
        a->spare = s;
        check_slab(a, s);
    } else {
        slab_release(a, s);
    }
}

static void *slab_pop(const cc_arena *a, slab *s) {
    void *block = s->free;
    if (block != NULL) {
        if (TRACKING(a))
            cc_track_open_link(block, REUSE_READ_BYTES(a));
        cc_assert(still_filled(a, block)); /* nothing wrote into the block while free */
        memcpy(&s->free, block, sizeof(void *));
        cc_assert(free_head_ok(a, s));
    } else {
        cc_assert(s->bump + a->block_size <= (unsigned char *)s + a->slab_size);
        block = s->bump;
        s->bump += a->block_size;
    }
    return block;
}

/* ------------------------------------------------------------ public API */

cc_arena *cc_arena_new(size_t block_size, size_t align, const cc_allocator *alloc) {
    if (!valid_block_params(block_size, align))
        return NULL;
    if (alloc == NULL)
        alloc = cc_default_allocator();
    cc_arena layout;
    memset(&layout, 0, sizeof layout);
    layout.block_size = block_size;
    layout.align = align;
    if (plan_layout(&layout) != CC_OK)
        return NULL;
    cc_arena *a = alloc->alloc(alloc->ctx, sizeof(cc_arena), _Alignof(cc_arena));
    if (a == NULL)
        return NULL;
    *a = layout;
    a->allocator = alloc;
    a->tracking = cc_track_active();
    if (TRACKING(a))
        cc_track_pool_create(a);
    return a;
}

void cc_arena_set_hook(cc_arena *a, cc_slab_hook hook, void *ctx) {
    a->hook = hook;
    a->hook_ctx = ctx;
}

void *cc_arena_alloc(cc_arena *a) {
    slab *s;
    if (a->nonempty != 0) {
        unsigned b = fullest_bucket(a->nonempty);
        s = a->lists[b];
        cc_assert(s != NULL && s->list == b && s->used < a->blocks_per_slab);
    } else if (a->spare != NULL) {
        s = a->spare;
        a->spare = NULL;
        cc_assert(s->used == 0 && s->list == LIST_NONE);
    } else if ((s = slab_acquire(a)) == NULL) {
        return NULL;
    }
    void *block = slab_pop(a, s);
    s->used++;
    if (s->list == LIST_NONE)
        list_push(a, s, bucket_for(a, s->used));
    else if (s->used == a->bucket_lo[s->list + 1])
        list_move(a, s, s->list + 1);
#ifdef CC_DEBUG
    set_live(s, block_index(a, s, block), 1);
#endif
    cc_assert(is_aligned(block, a->align));
    check_slab(a, s);
    a->live_blocks++;
    if (TRACKING(a))
        cc_track_block_alloc(a, block, a->block_size);
    return block;
}

int cc_arena_free(cc_arena *a, void *block) {
    if (block == NULL)
        return CC_OK;
#ifdef CC_DEBUG
    int err = debug_check_free(a, block);
    if (err != CC_OK)
        return err;
#endif
    slab *s = (slab *)((uintptr_t)block & ~(uintptr_t)(a->slab_size - 1));
    cc_assert(s->used > 0 && a->live_blocks > 0);
#ifdef CC_DEBUG
    set_live(s, block_index(a, s, block), 0);
#endif
    debug_fill_freed(block, a->block_size);
    memcpy(block, &s->free, sizeof(void *));
    s->free = block;
    if (TRACKING(a))
        cc_track_block_free(a, block, a->block_size);
    a->live_blocks--;
    s->used--;
    if (s->used == 0) {
        slab_emptied(a, s);
        return CC_OK;
    }
    if (s->used < a->bucket_lo[s->list])
        list_move(a, s, s->list - 1);
    check_slab(a, s);
    return CC_OK;
}

void cc_arena_get_stats(const cc_arena *a, cc_arena_stats *out) {
    check_arena(a);
    memset(out, 0, sizeof *out);
    out->block_size = a->block_size;
    out->align = a->align;
    out->blocks_per_slab = a->blocks_per_slab;
    out->live_blocks = a->live_blocks;
    out->slabs = a->slabs;
    out->bytes_reserved = a->slabs * a->slab_size; /* held, so it fits in size_t */
    out->bytes_in_use = a->live_blocks * a->block_size;
    out->slabs_acquired = a->slabs_acquired;
    out->slabs_released = a->slabs_released;
    out->malloc_per_block = 0;
}

void cc_arena_destroy(cc_arena *a) {
    if (a == NULL)
        return;
    check_arena(a);
    if (TRACKING(a))
        cc_track_pool_destroy(a); /* forgets the live blocks before their slabs go */
    while (a->all != NULL)
        slab_release(a, a->all);
    cc_assert(a->slabs == 0);
    const cc_allocator *al = a->allocator;
#ifdef CC_DEBUG
    cc_assert(a->registry_len == 0);
    if (a->registry != NULL)
        al->free(al->ctx, a->registry, a->registry_cap * sizeof(slab *));
#endif
    al->free(al->ctx, a, sizeof(cc_arena));
}

#endif /* !CC_ARENA_MALLOC_PER_BLOCK */
