/* wire: QEMU's first bytes on a migration channel (see wire.h). */
#include "wire.h"

#include <string.h>

#include "vocab.h"

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

size_t wire_main_header(uint8_t *buf)
{
    put_be32(buf, WIRE_QEVM_MAGIC);
    put_be32(buf + 4, WIRE_QEVM_VERSION);
    return WIRE_MAIN_HEADER_LEN;
}

size_t wire_multifd_init(uint8_t *buf, uint8_t id, const uint8_t *uuid)
{
    memset(buf, 0, WIRE_MULTIFD_INIT_LEN);
    put_be32(buf, WIRE_MULTIFD_MAGIC);
    put_be32(buf + 4, WIRE_MULTIFD_VERSION);
    if (uuid)
        memcpy(buf + WIRE_MULTIFD_UUID_AT, uuid, WIRE_MULTIFD_UUID_LEN);
    buf[WIRE_MULTIFD_ID_AT] = id;
    return WIRE_MULTIFD_INIT_LEN;
}

int wire_identify(const uint8_t *b, size_t n, int *chan)
{
    if (n < 4)
        return 0;
    uint32_t magic = get_be32(b);
    if (magic == WIRE_QEVM_MAGIC) {
        *chan = CHAN_MAIN;
        return 1;
    }
    if (magic != WIRE_MULTIFD_MAGIC)
        return -1;
    if (n < WIRE_IDENTIFY_LEN)
        return 0;
    *chan = b[WIRE_MULTIFD_ID_AT];
    return 1;
}
