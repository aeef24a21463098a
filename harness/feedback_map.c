/* feedback_map: puts a trial's features into AFL++'s coverage map. Each key owns one case of a switch, and each
 * case is its own basic block, so the instrumentation gives every key its own map slot: AFL++ then sees a
 * new feature exactly as it sees a new edge. Compiled at -O0 (see CMakeLists.txt) so
 * no optimizer folds the cases into a table. This avoids touching __afl_area_ptr, which AFL++ 4.04c's
 * pass defines itself, and needs no room made in a map sized to the edge count. */
#include "feedback.h"

static volatile unsigned feedback_sink;

#define FB_CASE(n)                                                                                       \
    case (n):                                                                                            \
        feedback_sink += (n);                                                                            \
        break;
#define FB_C2(n) FB_CASE(n) FB_CASE((n) + 1)
#define FB_C4(n) FB_C2(n) FB_C2((n) + 2)
#define FB_C8(n) FB_C4(n) FB_C4((n) + 4)
#define FB_C16(n) FB_C8(n) FB_C8((n) + 8)
#define FB_C32(n) FB_C16(n) FB_C16((n) + 16)
#define FB_C64(n) FB_C32(n) FB_C32((n) + 32)
#define FB_C128(n) FB_C64(n) FB_C64((n) + 64)
#define FB_C256(n) FB_C128(n) FB_C128((n) + 128)
#define FB_C512(n) FB_C256(n) FB_C256((n) + 256)
#define FB_C1024(n) FB_C512(n) FB_C512((n) + 512)
#define FB_C2048(n) FB_C1024(n) FB_C1024((n) + 1024)

_Static_assert(FEEDBACK_KEYS == 2048, "feedback_map has one case per key");
_Static_assert(FB_END <= FEEDBACK_KEYS, "feature ranges fit the keys");
/* AFL++'s last count class starts at 128: the default case, run for every absent key, stays in it */
_Static_assert(FEEDBACK_KEYS - FB_END >= 128, "at least 128 keys are never features");

/* The case of `key`, or the default for FEEDBACK_KEYS ("not this one"). */
static void hit(unsigned key)
{
    switch (key) {
        FB_C2048(0)
    default:
        break;
    }
}

void feedback_map_put(const unsigned char present[FEEDBACK_KEYS])
{
    /* Every key is visited, present or not, so that the blocks every visit shares (this loop, hit()'s
     * entry and its switch) run the same number of times whatever the trial did: only the present keys'
     * own cases vary, and the default runs at least 2048 - FB_END times, within one of AFL++'s count
     * classes. Called once per input with the features one by one, those shared blocks counted the
     * features, and AFL++ saw them as unstable edges whenever a real QEMU's trial had one more or one
     * fewer. */
    for (unsigned k = 0; k < FEEDBACK_KEYS; k++)
        hit(present[k] ? k : FEEDBACK_KEYS);
}
