/* harness_null: the yardstick for the schedule harness's speed. Built exactly like it (same compiler, same
 * persistent shared-memory loop, same libraries), it decodes each input and runs nothing: the benchmark
 * compares the two harnesses' execs/s side by side. */
#include "afl_main.h"
#include "schedule.h"

static int one(const uint8_t *buf, size_t len)
{
    schedule_free(schedule_decode(buf, len));
    return 0;
}

int main(int argc, char **argv)
{
    return afl_main_run(argc, argv, "qmprace-harness-null", one);
}
