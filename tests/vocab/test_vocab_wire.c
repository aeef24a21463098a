/* wire: the headers are QEMU's bytes exactly (written out here by hand, from migration/savevm.c and
 * migration/multifd.c, so the proxy, the sim and the test sources cannot agree on a wrong value among
 * themselves), and a channel is known from its magic and, for multifd, its id, however few bytes have
 * come; anything else is not QEMU's. */
#include <string.h>

#include "check.h"
#include "vocab.h"
#include "wire.h"

int main(void)
{
    uint8_t b[WIRE_MULTIFD_INIT_LEN];
    static const uint8_t qevm[8] = {'Q', 'E', 'V', 'M', 0, 0, 0, 3};
    CHECK_INT(wire_main_header(b), 8);
    CHECK(memcmp(b, qevm, sizeof qevm) == 0);

    uint8_t uuid[16];
    for (int i = 0; i < 16; i++)
        uuid[i] = (uint8_t)(0xa0 + i);
    memset(b, 0xff, sizeof b);
    CHECK_INT(wire_multifd_init(b, 7, uuid), 64);
    static const uint8_t mf[8] = {0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1};
    CHECK(memcmp(b, mf, sizeof mf) == 0);
    CHECK(memcmp(b + 8, uuid, 16) == 0);
    CHECK_INT(b[24], 7);
    bool rest_zero = true;
    for (int i = 25; i < 64; i++)
        rest_zero = rest_zero && b[i] == 0;
    CHECK(rest_zero);
    memset(b, 0xff, sizeof b);
    wire_multifd_init(b, 0, NULL);
    bool uuid_zero = true;
    for (int i = 8; i < 24; i++)
        uuid_zero = uuid_zero && b[i] == 0;
    CHECK(uuid_zero);

    /* the main stream: known from its 4 magic bytes on */
    int chan = 99;
    uint8_t h[WIRE_MULTIFD_INIT_LEN];
    wire_main_header(h);
    for (size_t n = 0; n < 4; n++)
        CHECK_INT(wire_identify(h, n, &chan), 0);
    CHECK_INT(wire_identify(h, 4, &chan), 1);
    CHECK_INT(chan, CHAN_MAIN);

    /* multifd: the magic alone is not enough; the id at byte 24 decides */
    wire_multifd_init(h, 200, uuid);
    chan = 99;
    for (size_t n = 0; n < 25; n++)
        CHECK_INT(wire_identify(h, n, &chan), 0);
    CHECK_INT(chan, 99);
    CHECK_INT(wire_identify(h, 25, &chan), 1);
    CHECK_INT(chan, 200);
    CHECK_INT(wire_identify(h, 64, &chan), 1);

    /* not QEMU: decided as soon as the first word is in */
    const uint8_t *junk = (const uint8_t *)"GET / HTTP/1.1\r\n";
    CHECK_INT(wire_identify(junk, 3, &chan), 0);
    CHECK_INT(wire_identify(junk, 4, &chan), -1);
    return check_exit();
}
