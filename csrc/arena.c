/*
 * arena.c -- fixed-size-block arenas (see the glossary in compactcore.h).
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
 * Built with CC_ARENA_MALLOC_PER_BLOCK the second half of this file replaces all of
 * that with one allocation per block, so that ASan and valgrind see each block.
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS under -std=c11 */
#include "compactcore.h"
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

#ifndef CC_FREED_BYTE
#define CC_FREED_BYTE 0xDF /* CC_DEBUG: fills freed blocks, easy to spot in a debugger */
#endif

static int is_pow2(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

static int add_size(size_t a, size_t b, size_t *out) {
    if (a > SIZE_MAX - b)
        return CC_EOVERFLOW;
    *out = a + b;
    return CC_OK;
}

/* x rounded up to a multiple of align (a power of two). */
static int round_up(size_t x, size_t align, size_t *out) {
    if (add_size(x, align - 1, out) != CC_OK)
        return CC_EOVERFLOW;
    *out &= ~(align - 1);
    return CC_OK;
}

/* The upper bound keeps a slab of 16 such blocks representable; both build modes
 * accept exactly the same parameters, so switching modes never changes behaviour. */
static int valid_block_params(size_t block_size, size_t align) {
    return block_size >= 16 && block_size <= SIZE_MAX / 64 && align >= 8 && is_pow2(align) &&
           block_size % align == 0;
}

#ifndef CC_ARENA_MALLOC_PER_BLOCK
/* =========================================================== slab arena */

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

    /* bucket b covers fill fractions [b/8, (b+1)/8); bucket 0 starts at one block
     * because an empty slab is never in a bucket. n >= 16 keeps every bucket non-empty. */
    size_t n = a->blocks_per_slab;
    a->bucket_lo[0] = 1;
    for (size_t b = 1; b <= NBUCKETS; b++)
        a->bucket_lo[b] = (b * n + NBUCKETS - 1) / NBUCKETS;
    return CC_OK;
}

static unsigned bucket_for(const cc_arena *a, size_t used) {
    unsigned b = 0;
    while (b < LIST_FULL && used >= a->bucket_lo[b + 1])
        b++;
    return b;
}

static unsigned fullest_bucket(unsigned nonempty) {
#if defined(__GNUC__)
    return (unsigned)(31 - __builtin_clz(nonempty));
#else
    unsigned b = NBUCKETS - 1;
    while (!((nonempty >> b) & 1u))
        b--;
    return b;
#endif
}

/* ------------------------------------------------------------ slab lists */

/* Puts s into bucket `list`, or marks it full (LIST_FULL: nothing to link). */
static void list_push(cc_arena *a, slab *s, unsigned list) {
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

/* ------------------------------------------------------------ debug registry */

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
    memmove(a->registry + i + 1, a->registry + i, (a->registry_len - i) * sizeof(slab *));
    a->registry[i] = s;
    a->registry_len++;
}

static void registry_remove(cc_arena *a, slab *s) {
    size_t i = registry_find(a, (uintptr_t)s);
    memmove(a->registry + i, a->registry + i + 1, (a->registry_len - i - 1) * sizeof(slab *));
    a->registry_len--;
}

static size_t bitmap_bytes(const cc_arena *a) {
    return (a->blocks_per_slab + 7) / 8;
}

static size_t block_index(const cc_arena *a, const slab *s, const void *block) {
    return (size_t)((const unsigned char *)block - ((const unsigned char *)s + a->first_offset)) /
           a->block_size;
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
    const slab *s = a->registry[i];
    if (!(s->live[index / 8] & (1u << (index % 8))))
        return CC_EDOUBLEFREE;
    return CC_OK;
}
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

static unsigned char *slab_blocks(const cc_arena *a, slab *s) {
    return (unsigned char *)s + a->first_offset;
}

static slab *slab_acquire(cc_arena *a) {
#ifdef CC_DEBUG
    if (registry_reserve(a) != CC_OK)
        return NULL;
#endif
    unsigned char *mem = slab_memory_alloc(a);
    if (mem == NULL)
        return NULL;
    if ((uintptr_t)mem & (a->slab_size - 1)) {
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
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else
        a->all = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    if (TRACKING(a))
        cc_track_unhide(slab_blocks(a, s), a->blocks_per_slab * a->block_size);
    a->slabs--;
    a->slabs_released++;
    slab_memory_free(a, s);
}

/* Called when the last live block of s was freed. */
static void slab_emptied(cc_arena *a, slab *s) {
    list_remove(a, s);
    /* Forget the freelist: the bump pointer covers every block again, so a recycled
     * spare hands out blocks in address order, like a new slab. */
    s->free = NULL;
    s->bump = slab_blocks(a, s);
    if (a->spare == NULL)
        a->spare = s;
    else
        slab_release(a, s);
}

static void *slab_pop(const cc_arena *a, slab *s) {
    void *block = s->free;
    if (block != NULL) {
        if (TRACKING(a))
            cc_track_open_link(block, sizeof(void *));
        memcpy(&s->free, block, sizeof(void *));
    } else {
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
        s = a->lists[fullest_bucket(a->nonempty)];
    } else if (a->spare != NULL) {
        s = a->spare;
        a->spare = NULL;
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
    size_t i = block_index(a, s, block);
    s->live[i / 8] |= (unsigned char)(1u << (i % 8));
#endif
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
#ifdef CC_DEBUG
    size_t i = block_index(a, s, block);
    s->live[i / 8] &= (unsigned char)~(1u << (i % 8));
    memset(block, CC_FREED_BYTE, a->block_size);
#endif
    memcpy(block, &s->free, sizeof(void *));
    s->free = block;
    if (TRACKING(a))
        cc_track_block_free(a, block, a->block_size);
    a->live_blocks--;
    s->used--;
    if (s->used == 0)
        slab_emptied(a, s);
    else if (s->used < a->bucket_lo[s->list])
        list_move(a, s, s->list - 1);
    return CC_OK;
}

void cc_arena_get_stats(const cc_arena *a, cc_arena_stats *out) {
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
    if (TRACKING(a))
        cc_track_pool_destroy(a); /* forgets the live blocks before their slabs go */
    while (a->all != NULL)
        slab_release(a, a->all);
    const cc_allocator *al = a->allocator;
#ifdef CC_DEBUG
    if (a->registry != NULL)
        al->free(al->ctx, a->registry, a->registry_cap * sizeof(slab *));
#endif
    al->free(al->ctx, a, sizeof(cc_arena));
}

#else /* CC_ARENA_MALLOC_PER_BLOCK */
/* =========================================================== one allocation per block
 *
 * Each block is preceded by a small hidden header linking it into the arena's list
 * of live blocks, so that cc_arena_destroy can free what is still live. The hook is
 * called for every block allocation (slab = the allocation, bytes = its size), so a
 * memory tracer hooked to the arena still sees all memory. Stats report slabs == 0. */

typedef struct block_header block_header;
struct block_header {
    block_header *prev, *next;
};

struct cc_arena {
    size_t block_size;
    size_t align;
    size_t header_size;  /* sizeof(block_header) rounded up to align: keeps blocks aligned */
    size_t alloc_size;   /* header_size + block_size */
    const cc_allocator *allocator;
    cc_slab_hook hook;
    void *hook_ctx;
    block_header *live;  /* doubly-linked list of live blocks */
    size_t live_blocks;
};

static block_header *header_of(const cc_arena *a, void *block) {
    return (block_header *)((unsigned char *)block - a->header_size);
}

cc_arena *cc_arena_new(size_t block_size, size_t align, const cc_allocator *alloc) {
    if (!valid_block_params(block_size, align))
        return NULL;
    if (alloc == NULL)
        alloc = cc_default_allocator();
    size_t header_size, alloc_size;
    if (round_up(sizeof(block_header), align, &header_size) != CC_OK ||
        add_size(header_size, block_size, &alloc_size) != CC_OK)
        return NULL;
    cc_arena *a = alloc->alloc(alloc->ctx, sizeof(cc_arena), _Alignof(cc_arena));
    if (a == NULL)
        return NULL;
    memset(a, 0, sizeof *a);
    a->block_size = block_size;
    a->align = align;
    a->header_size = header_size;
    a->alloc_size = alloc_size;
    a->allocator = alloc;
    return a;
}

void cc_arena_set_hook(cc_arena *a, cc_slab_hook hook, void *ctx) {
    a->hook = hook;
    a->hook_ctx = ctx;
}

void *cc_arena_alloc(cc_arena *a) {
    /* align >= 8 >= alignof(block_header), and header_size is a multiple of align. */
    block_header *h = a->allocator->alloc(a->allocator->ctx, a->alloc_size, a->align);
    if (h == NULL)
        return NULL;
    h->prev = NULL;
    h->next = a->live;
    if (h->next)
        h->next->prev = h;
    a->live = h;
    a->live_blocks++;
    if (a->hook)
        a->hook(a->hook_ctx, h, a->alloc_size, 1);
    return (unsigned char *)h + a->header_size;
}

int cc_arena_free(cc_arena *a, void *block) {
    if (block == NULL)
        return CC_OK;
    block_header *h = header_of(a, block);
#ifdef CC_DEBUG
    /* A freed block's memory is gone, so a double free cannot be told apart from a
     * foreign pointer here: both are "not a live block of this arena". The walk is
     * O(live blocks); ASan in this mode finds double frees at full speed. */
    block_header *it = a->live;
    while (it != NULL && it != h)
        it = it->next;
    if (it == NULL)
        return CC_EFOREIGN;
    memset(block, CC_FREED_BYTE, a->block_size);
#endif
    if (h->prev)
        h->prev->next = h->next;
    else
        a->live = h->next;
    if (h->next)
        h->next->prev = h->prev;
    a->live_blocks--;
    if (a->hook)
        a->hook(a->hook_ctx, h, a->alloc_size, 0);
    a->allocator->free(a->allocator->ctx, h, a->alloc_size);
    return CC_OK;
}

void cc_arena_get_stats(const cc_arena *a, cc_arena_stats *out) {
    memset(out, 0, sizeof *out);
    out->block_size = a->block_size;
    out->align = a->align;
    out->blocks_per_slab = 1;
    out->live_blocks = a->live_blocks;
    out->slabs = 0;
    out->bytes_reserved = a->live_blocks * a->alloc_size;
    out->bytes_in_use = a->live_blocks * a->block_size;
    out->malloc_per_block = 1;
}

void cc_arena_destroy(cc_arena *a) {
    if (a == NULL)
        return;
    block_header *h = a->live;
    while (h != NULL) {
        block_header *next = h->next;
        if (a->hook)
            a->hook(a->hook_ctx, h, a->alloc_size, 0);
        a->allocator->free(a->allocator->ctx, h, a->alloc_size);
        h = next;
    }
    a->allocator->free(a->allocator->ctx, a, sizeof(cc_arena));
}

#endif /* CC_ARENA_MALLOC_PER_BLOCK */
