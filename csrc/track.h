/*
 * track.h -- internal: tell AddressSanitizer / valgrind which arena blocks are live.
 *
 * A slab is one big allocation as far as the tools know, so without these
 * annotations a use-after-free or an overrun inside a slab goes unseen. Free blocks
 * are kept unaddressable; the freelist link that lives inside a free block is
 * opened around each read and write (cc_track_open_link / cc_track_close_link).
 * After mimalloc's track.h. Every macro is a no-op when no tool is compiled in.
 *
 * valgrind support needs <valgrind/memcheck.h> at build time (define CC_NO_VALGRIND
 * to leave it out). The arena is a valgrind "mempool": destroying the pool drops
 * every block still live, so destroying an arena with live blocks is not a leak.
 *
 * cc_track_active() says whether annotating is worth doing. Under ASan it is a
 * constant 1. For valgrind it asks at run time (RUNNING_ON_VALGRIND), and the arena
 * asks once, at creation: a client request costs little on its own but, issued on
 * every alloc and free, it was measured to slow a cache-missing random alloc/free
 * loop by ~40% outside valgrind.
 */
#ifndef CC_TRACK_H
#define CC_TRACK_H

#if defined(__SANITIZE_ADDRESS__)
#define CC_TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CC_TRACK_ASAN 1
#endif
#endif

/* ASan and valgrind do not run together, so compile in at most one of them. */
#if !defined(CC_TRACK_ASAN) && !defined(CC_NO_VALGRIND) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#define CC_TRACK_VALGRIND 1
#endif
#endif

#if defined(CC_TRACK_ASAN)
#include <sanitizer/asan_interface.h>
#define cc_track_active() 1
#define cc_track_pool_create(pool) ((void)0)
#define cc_track_pool_destroy(pool) ((void)0)
#define cc_track_hide(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define cc_track_unhide(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define cc_track_block_alloc(pool, p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define cc_track_block_free(pool, p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define cc_track_open_link(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define cc_track_close_link(p, n) ASAN_POISON_MEMORY_REGION((p), (n))

#elif defined(CC_TRACK_VALGRIND)
#include <valgrind/memcheck.h>
#define cc_track_active() (RUNNING_ON_VALGRIND != 0)
#define cc_track_pool_create(pool) VALGRIND_CREATE_MEMPOOL((pool), 0, 0)
#define cc_track_pool_destroy(pool) VALGRIND_DESTROY_MEMPOOL(pool)
#define cc_track_hide(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define cc_track_unhide(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define cc_track_block_alloc(pool, p, n) VALGRIND_MEMPOOL_ALLOC((pool), (p), (n))
#define cc_track_block_free(pool, p, n) \
    do { (void)(n); VALGRIND_MEMPOOL_FREE((pool), (p)); } while (0)
#define cc_track_open_link(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define cc_track_close_link(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))

#else
#define cc_track_active() 0
#define cc_track_pool_create(pool) ((void)0)
#define cc_track_pool_destroy(pool) ((void)0)
#define cc_track_hide(p, n) ((void)0)
#define cc_track_unhide(p, n) ((void)0)
#define cc_track_block_alloc(pool, p, n) ((void)0)
#define cc_track_block_free(pool, p, n) ((void)0)
#define cc_track_open_link(p, n) ((void)0)
#define cc_track_close_link(p, n) ((void)0)
#endif

#endif /* CC_TRACK_H */
