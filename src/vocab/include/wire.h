/* wire: the first bytes QEMU writes on each migration channel, the only part of the migration stream
 * qmprace reads or writes. The fault proxy reads them to tell channels apart (a fault aimed at
 * `multifd1` must hit the channel whose header says 1, whatever order the channels connected in), the
 * simulated VMM writes them as QEMU would, and the tests' fake sources write them too; all three use
 * this one definition, so they cannot drift apart.
 *
 * Where QEMU (7.2) defines them:
 *  - the main stream: qemu_savevm_state_header() in migration/savevm.c writes QEMU_VM_FILE_MAGIC
 *    (0x5145564d, "QEVM") and QEMU_VM_FILE_VERSION (3), each a big-endian 32-bit word;
 *  - each multifd channel: multifd_send_initial_packet() in migration/multifd.c writes a MultiFDInit_t
 *    (packed: uint32 magic, uint32 version, both big-endian; uint8 uuid[16]; uint8 id; uint8
 *    unused1[7]; uint64 unused2[4]: 64 bytes) with MULTIFD_MAGIC (0x11223344) and MULTIFD_VERSION (1),
 *    both defined in migration/multifd.c. */
#ifndef QMPRACE_WIRE_H
#define QMPRACE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_QEVM_MAGIC 0x5145564du   /* QEMU_VM_FILE_MAGIC */
#define WIRE_QEVM_VERSION 3u          /* QEMU_VM_FILE_VERSION */
#define WIRE_MAIN_HEADER_LEN 8        /* magic, version */
#define WIRE_MULTIFD_MAGIC 0x11223344u /* MULTIFD_MAGIC */
#define WIRE_MULTIFD_VERSION 1u       /* MULTIFD_VERSION */
#define WIRE_MULTIFD_UUID_AT 8        /* offset of MultiFDInit_t.uuid */
#define WIRE_MULTIFD_UUID_LEN 16
#define WIRE_MULTIFD_ID_AT 24         /* offset of MultiFDInit_t.id: the multifd channel number */
#define WIRE_MULTIFD_INIT_LEN 64      /* sizeof(MultiFDInit_t) */
/* The most bytes wire_identify() ever needs: up to and including the multifd channel id. */
#define WIRE_IDENTIFY_LEN (WIRE_MULTIFD_ID_AT + 1)

/* Writes the main stream's header into `buf` (WIRE_MAIN_HEADER_LEN bytes); returns its length. */
size_t wire_main_header(uint8_t *buf);

/* Writes multifd channel `id`'s MultiFDInit_t into `buf` (WIRE_MULTIFD_INIT_LEN bytes), with `uuid`
 * (WIRE_MULTIFD_UUID_LEN bytes; NULL: zeros, as QEMU sends without -uuid); returns its length. */
size_t wire_multifd_init(uint8_t *buf, uint8_t id, const uint8_t *uuid);

/* What a channel's first `n` bytes say it is. Only the magic (and, for multifd, the id) decides: the
 * version is not checked, so a newer QEMU's channels are still told apart.
 * Returns 1 and sets *chan (CHAN_MAIN or the multifd channel number) when known; 0 when more bytes
 * are needed (never once n >= WIRE_IDENTIFY_LEN); -1 when the bytes are not QEMU's. */
int wire_identify(const uint8_t *b, size_t n, int *chan);

#endif
