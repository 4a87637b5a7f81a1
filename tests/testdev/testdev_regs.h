/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file testdev_regs.h
 * Register map of vuc-testdev, the vfio-user test device server.
 *
 * Tests include this header so that they never hard-code an offset or an
 * identity value; if the device changes, they change with it. It needs only
 * the preprocessor, so any test (C or not) can use it.
 *
 * All registers and config-space fields are little-endian.
 */
#ifndef VUC_TESTDEV_REGS_H
#define VUC_TESTDEV_REGS_H

/* ---- Regions (VFIO PCI region indexes) ----------------------------------- */

#define TESTDEV_BAR0_SIZE 0x1000u   /* registers, trapped */
#define TESTDEV_BAR1_SIZE 0x10000u  /* memory, memfd-backed */
#define TESTDEV_CONFIG_SIZE 0x1000u /* PCI Express config space */
/* BAR1: the first page is trapped (messages only), the rest may be mmap()ed;
 * this is the one area of its sparse mmap capability. */
#define TESTDEV_BAR1_MMAP_OFFSET 0x1000u
#define TESTDEV_BAR1_MMAP_SIZE (TESTDEV_BAR1_SIZE - TESTDEV_BAR1_MMAP_OFFSET)
/* BAR2: 64-bit prefetchable memory (BAR2 and BAR3 in config space; region
 * 3 has size 0), trapped: every write reaches the device as a message and is
 * logged in BAR2's last page (see "BAR2 write log"). Plain memory that
 * keeps its contents across DEVICE_RESET and a disconnection; it is not part
 * of the migration data (a migration destination starts with it zeroed). */
#define TESTDEV_BAR2_SIZE 0x10000u

#define TESTDEV_NUM_REGIONS 9u
#define TESTDEV_NUM_IRQS 5u
#define TESTDEV_INTX_COUNT 1u
#define TESTDEV_MSI_COUNT 1u
#define TESTDEV_MSIX_COUNT 16u
#define TESTDEV_ERR_COUNT 1u
#define TESTDEV_REQ_COUNT 1u

/* Limits of the test hooks and of what the server negotiates by default. */
#define TESTDEV_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u)
#define TESTDEV_DEFAULT_MAX_MSG_FDS 8u
#define TESTDEV_DEFAULT_MAX_DMA_MAPS 65535u
#define TESTDEV_PGSIZES 4096u

/* ---- BAR0 registers (32-bit) --------------------------------------------- */

/* Any access width and any length works; registers not listed read back
 * what was last written (plain memory). */
#define TESTDEV_REG_MAGIC 0x000u    /* RO */
#define TESTDEV_MAGIC 0x56554344u   /* 'VUCD' */
#define TESTDEV_REG_VERSION 0x004u  /* RO */
#define TESTDEV_VERSION 0x00010000u /* 1.0 */
/* RO: BAR0 accesses since power-on or the last DEVICE_RESET (mod 2^32):
 * one per BAR0 REGION_READ or REGION_WRITE message, one per BAR0 entry of a
 * REGION_WRITE_MULTI, and one per DMA_CTRL write made by a doorbell signal
 * (see "Doorbell ioeventfd"). A read returns the count *before* the read
 * itself, so the first BAR0 access after a reset reads 0. Rejected messages
 * do not count. */
#define TESTDEV_REG_ACCESS_COUNT 0x008u
/* RO: low 32 bits (little-endian, zero-extended) of the data of the most
 * recent BAR0 write applied (a REGION_WRITE, a REGION_WRITE_MULTI entry or
 * a doorbell's DMA_CTRL write), whatever its offset. 0 after reset. */
#define TESTDEV_REG_LAST_WRITE 0x00cu
#define TESTDEV_REG_SCRATCH0 0x010u /* RW, 8 registers */
#define TESTDEV_NUM_SCRATCH 8u
#define TESTDEV_REG_SCRATCH(n) (TESTDEV_REG_SCRATCH0 + 4u * (n))
/* WO, reads 0: sleep this many milliseconds before handling the next
 * message received after this write, whatever it is (provokes client
 * timeouts). The write itself is answered at once. Values are capped at
 * TESTDEV_STALL_MS_MAX; a disconnection cancels a pending stall. */
#define TESTDEV_REG_STALL_MS 0x030u
#define TESTDEV_STALL_MS_MAX 60000u
/* WO, reads 0: writing TESTDEV_CRASH_MAGIC closes the client connection
 * at once, without replying to that write (the "server vanishes
 * mid-request" case). Other values are ignored. */
#define TESTDEV_REG_CRASH 0x034u
#define TESTDEV_CRASH_MAGIC 0xdeadu
/* Reads 0; every write that touches any of its bytes is refused with
 * errno TESTDEV_REJECT_ERRNO (EIO) as an invalid access, like a write past
 * the end of the region: nothing of that message is applied, counted or
 * logged (for a REGION_WRITE_MULTI: none of its entries). It gives a client
 * a well-formed write that the server fails, e.g. a posted one, and the
 * outcome does not depend on how the client groups its writes into
 * messages. EIO tells it apart from the EINVAL of a malformed request. */
#define TESTDEV_REG_REJECT 0x038u
#define TESTDEV_REJECT_ERRNO 5u

/*
 * Write semantics shared by every register with behaviour: an access of any
 * width or alignment is split into bytes. A write that covers part of a
 * read-write (RW) register changes only the bytes written; a write-only
 * (WO) register takes the bytes not written as 0; writes to read-only (RO)
 * registers are dropped. A write that covers several registers applies
 * them in address order, so one REGION_WRITE may program the whole DMA
 * engine and ring its doorbell, or select a vector and fire it.
 */

/* ---- DMA engine (0x100..0x1ff) --------------------------------------------
 *
 * Copies DMA_LEN bytes of client memory from IOVA DMA_SRC to IOVA DMA_DST.
 * Writing DMA_CTRL with START set rings the doorbell: the server first
 * replies to that REGION_WRITE (the doorbell never blocks the client), then
 * runs the job to completion before it handles any further message from the
 * client. A message sent after the doorbell write therefore always sees the
 * job finished (DMA_STATUS 2 or 3). The same holds for a doorbell rung by a
 * REGION_WRITE_MULTI entry (the job runs before the next entry is applied,
 * or after the reply when the entry is the last) and by the doorbell
 * ioeventfd (see "Doorbell ioeventfd" for its ordering).
 *
 * Each side of the copy is reached on its own terms:
 *  - directly, through the server's mapping, when the DMA map holding the
 *    range came with an fd and DMA_CTRL_FORCE_MSG is clear;
 *  - otherwise with VFIO_USER_DMA_READ (source) or VFIO_USER_DMA_WRITE
 *    (destination) messages of at most the client's max_data_xfer_size
 *    (1 MiB when its VERSION did not say), each waiting for the client's
 *    reply: on the twin socket in twin-socket mode, else on the main socket.
 *    Client commands that arrive on the main socket meanwhile are queued and
 *    handled in order once the job has ended; so are a DMA_UNMAP or a
 *    DEVICE_RESET sent mid-job. A client that queues more than 1024
 *    commands, 64 MiB of payload or 512 fds during one wait is dropped. In
 *    twin-socket mode the main socket is not read during a job, and a
 *    command on the twin socket drops the client. The server waits for
 *    each reply without a time limit (until the reply, a disconnection or
 *    SIGTERM).
 * The whole source is read before the destination is written, so
 * overlapping ranges copy like memmove().
 *
 * A DMA_READ reply must be the exact {address, count} echo of the request
 * followed by count bytes; a DMA_WRITE reply the 16-byte echo (the 12-byte
 * layout with a 32-bit count is accepted too). A reply carrying fds, with
 * the wrong command or id, or of any other size fails the job with EIO; the
 * stream stays in step (a late reply to a request given up is dropped).
 */
#define TESTDEV_REG_DMA_SRC_LO 0x100u /* RW: source IOVA, bits 31..0 */
#define TESTDEV_REG_DMA_SRC_HI 0x104u /* RW: source IOVA, bits 63..32 */
#define TESTDEV_REG_DMA_DST_LO 0x108u /* RW: destination IOVA, bits 31..0 */
#define TESTDEV_REG_DMA_DST_HI 0x10cu /* RW: destination IOVA, bits 63..32 */
/* RW: bytes to copy, 1..TESTDEV_DMA_MAX_LEN. */
#define TESTDEV_REG_DMA_LEN 0x110u
#define TESTDEV_DMA_MAX_LEN (16u * 1024u * 1024u)
/* RW: control. Reads back the last value written with START clear; the
 * bits not defined here are kept but have no effect. The job uses the value
 * of the doorbell write itself. Also the address of the doorbell ioeventfd
 * (see "Doorbell ioeventfd"). */
#define TESTDEV_REG_DMA_CTRL 0x114u
#define TESTDEV_DMA_CTRL_START (1u << 0) /* doorbell: run a job */
/* Use DMA_READ/DMA_WRITE messages even where the map came with an fd. */
#define TESTDEV_DMA_CTRL_FORCE_MSG (1u << 1)
/* When the job ends (done or error), raise MSI-X vector
 * TESTDEV_DMA_CTRL_VECTOR once, exactly as one IRQ_FIRE of 1 would (same
 * rules and counters; see the interrupt hooks). A vector of
 * TESTDEV_MSIX_COUNT or more raises nothing. */
#define TESTDEV_DMA_CTRL_IRQ (1u << 2)
#define TESTDEV_DMA_CTRL_VECTOR_SHIFT 8u
#define TESTDEV_DMA_CTRL_VECTOR_MASK 0xff00u
#define TESTDEV_DMA_CTRL_VECTOR(v)                                             \
    (((v)&0xffu) << TESTDEV_DMA_CTRL_VECTOR_SHIFT)
/* RO: state of the engine. BUSY is the state while a job runs; since no
 * client message is handled during a job, a client never reads it. */
#define TESTDEV_REG_DMA_STATUS 0x118u
#define TESTDEV_DMA_STATUS_IDLE 0u /* no job since power-on or reset */
#define TESTDEV_DMA_STATUS_BUSY 1u
#define TESTDEV_DMA_STATUS_DONE 2u  /* the last job succeeded */
#define TESTDEV_DMA_STATUS_ERROR 3u /* the last job failed: see DMA_ERRNO */
/*
 * RO: the (Linux) errno of the last job, 0 after a success or a reset.
 * Checked before any data moves: first EBUSY, then EINVAL, then ENOENT,
 * EFAULT and EPERM for the source, then the same for the destination:
 *   EBUSY (16)   the device is not running: its migration state is not
 *                RUNNING or PRE_COPY (see "Migration"); no completion
 *                interrupt either;
 *   EINVAL (22)  DMA_LEN is 0 or above TESTDEV_DMA_MAX_LEN;
 *   ENOENT (2)   no DMA map holds the first byte of the range;
 *   EFAULT (14)  the map holding the first byte ends before the range does
 *                (ranges never span maps, even adjacent ones);
 *   EPERM (1)    the source's map lacks VFIO_USER_F_DMA_REGION_READ, or
 *                the destination's lacks VFIO_USER_F_DMA_REGION_WRITE.
 * During the copy (the destination may then be partly written):
 *   ENOMEM (12)  the server ran out of memory (before the destination is
 *                touched);
 *   the errno of the client's error reply to a DMA message (EIO for an
 *                error reply with errno 0 or above 4095);
 *   EIO (5)      a reply that breaks the rules above;
 *   EFAULT (14)  a direct access faulted (the client shrank the file of an
 *                unsealed map under the server's mapping);
 *   ECONNRESET (104) the client disconnected, or was dropped (broken
 *                framing, queue limits, a command on the twin socket)
 *                mid-job; the connection is closed and the next client
 *                sees this.
 */
#define TESTDEV_REG_DMA_ERRNO 0x11cu
/* RO: jobs completed successfully since power-on or reset (mod 2^32). */
#define TESTDEV_REG_DMA_DONE_COUNT 0x120u
/* RO: DMA_CTRL writes made by doorbell ioeventfd signals since power-on or
 * reset (mod 2^32); see "Doorbell ioeventfd". REGION_WRITEs of DMA_CTRL do
 * not count here. */
#define TESTDEV_REG_DOORBELL_COUNT 0x12cu

/* ---- Interrupt hooks (0x200..0x2ff) ---------------------------------------
 *
 * Raise any interrupt vector on demand. A fire does what the device does
 * when it raises that vector (irq indexes are the VFIO PCI ones: 0 INTx,
 * 1 MSI, 2 MSI-X, 3 ERR, 4 REQ):
 *  - if the vector is masked (only INTx can be: SET_IRQS ACTION_MASK, or
 *    its automask), the fire is latched as pending -- one latch however
 *    many fires -- and nothing is signalled; a later SET_IRQS
 *    ACTION_UNMASK of that vector clears the latch and raises it once more
 *    by these same rules (so with an eventfd: signalled once, and INTx,
 *    being automasked, masked again);
 *  - else, if no eventfd is assigned to the vector, the fire is dropped;
 *  - else 1 is written to the eventfd (delivered), and INTx then masks
 *    itself (VFIO_USER_IRQ_INFO_AUTOMASKED) until the client unmasks it.
 * MSI, MSI-X, ERR and REQ are not maskable here (the MSI-X table and PBA
 * are plain memory, not modelled), so their fires are delivered whenever
 * an eventfd is assigned. Eventfd counters add up: N delivered fires read
 * as N from the eventfd.
 *
 * So IRQ_FIRE = N on an unmasked INTx with an eventfd delivers 1 (eventfd
 * reads 1, IRQ_DELIVERED + 1), masks INTx and latches the other N - 1 as
 * one pending interrupt; the client's UNMASK then signals once more. On an
 * already masked INTx, N fires deliver nothing and leave it pending.
 */
/* RW: the vector IRQ_FIRE raises: (irq index << 16) | vector. */
#define TESTDEV_REG_IRQ_SELECT 0x200u
#define TESTDEV_IRQ_SELECT(index, vector) (((index) << 16) | (vector))
/* WO: writing N in 1..TESTDEV_IRQ_FIRE_MAX fires the selected vector N
 * times before the write is answered (when REGION_WRITE completes, the
 * eventfd already holds every delivered signal). Other values, and a
 * selected index or vector the device does not have, do nothing.
 * RO: fires performed since power-on or reset, by IRQ_FIRE and by DMA
 * completion interrupts, all vectors (mod 2^32). Should an eventfd write
 * fail (its counter saturated), the burst stops after that fire. */
#define TESTDEV_REG_IRQ_FIRE 0x204u
#define TESTDEV_IRQ_FIRE_MAX 1000000u
/* RO: of those fires, the ones that signalled the eventfd at the time of
 * the fire (not latched, dropped or failed). An UNMASK that later delivers
 * a pending latch does not count here. */
#define TESTDEV_REG_IRQ_DELIVERED 0x208u

/* The other bytes of 0x100..0x2ff are plain memory. */

/* ---- Posted writes: No_reply and REGION_WRITE_MULTI -----------------------
 *
 * A command with No_reply is never answered, whether it succeeds or fails,
 * unless the server runs with --reply-errors-on-noreply: then a No_reply
 * command that FAILS gets its error reply all the same (the request's
 * msg_id and cmd, the Error flag and the errno), so that a client can tell
 * which posted write failed; a successful one still gets none. This covers
 * every command, REGION_WRITE and REGION_WRITE_MULTI included.
 *
 * VERSION: when the client's capabilities hold "write_multiple", the reply
 * holds it too, true when the client proposed true and the server does not
 * run with --no-write-multiple, false otherwise; a "write_multiple" that is
 * not a boolean fails the negotiation (EINVAL). When it was not negotiated
 * to true, REGION_WRITE_MULTI is refused with EINVAL.
 *
 * REGION_WRITE_MULTI (command 15): the payload is a u64 wr_cnt, 1 ..
 * VFIO_USER_MULTI_MAX (200), then exactly wr_cnt 24-byte entries
 * {u64 offset, u32 region, u32 count, u8 data[8]} (payload size exactly
 * 8 + 24 * wr_cnt). Each entry must be a valid REGION_WRITE of count
 * (1..8) bytes: the region exists and is writable, and [offset, +count) is
 * inside it. Validation is all-or-nothing: every entry is checked before
 * any is applied, so a bad one (or a bad wr_cnt or size) applies none of
 * them and gets EINVAL, or EIO when an entry touches the REJECT register.
 * Data bytes past count are ignored. The entries are then applied in
 * order, each exactly as a REGION_WRITE of the same bytes would be: same
 * register side effects, ACCESS_COUNT + 1 and a write-log entry for each
 * BAR0 entry. A DMA doorbell (DMA_CTRL with START) in an entry runs its
 * job before the next entry is applied, or after the reply when it is the
 * last entry, so that N entries behave as N REGION_WRITEs; a job that
 * breaks the connection (ECONNRESET in DMA_ERRNO) ends it with the
 * remaining entries unapplied and no reply. A CRASH entry closes the
 * connection at once: later entries are not applied. The reply is the u64
 * wr_cnt alone.
 */

/* ---- Doorbell ioeventfd (DEVICE_GET_REGION_IO_FDS) ------------------------
 *
 * For BAR0 the server offers one ioeventfd sub-region: offset
 * TESTDEV_DOORBELL_OFFSET (DMA_CTRL), size TESTDEV_DOORBELL_SIZE, flags
 * VFIO_USER_IOEVENTFD_FLAG_DATAMATCH, datamatch TESTDEV_DOORBELL_DATA
 * (DMA_CTRL with only START set), fd_index 0. The reply is the 16-byte
 * head {argsz, flags 0, index, count} and count 40-byte entries
 * (struct vfio_user_sub_region_io_fd, right after the head), with the
 * eventfd as the reply's only fd. The eventfd is the server's own
 * (non-blocking, not a semaphore), made at the connection's first request
 * for BAR0, passed again by later requests and closed when the client
 * disconnects.
 *
 * Every other region that exists (size > 0: BAR1 and config space) has no
 * sub-regions: count 0, argsz 16, no fd; so has BAR0 when the client's
 * max_msg_fds is 0, as it could not take the fd. A region that does not
 * exist (size 0, or index 9 and up) gets EINVAL, and so does a request
 * that is not exactly 16 bytes, has flags or count other than 0, or has
 * argsz below 16. With --no-io-fds, a valid request gets ENOTSUP instead
 * ("this device does not offer io fds", like --no-reset for
 * DEVICE_RESET).
 *
 * argsz: when the client's argsz is below 16 + count * 40, the reply is
 * the head alone, with argsz the size needed and count the full count, and
 * carries no fd; the client asks again with a larger argsz.
 *
 * Each signal acts exactly as one REGION_WRITE of TESTDEV_DOORBELL_DATA
 * (4 bytes) to DMA_CTRL: the write is applied (ACCESS_COUNT + 1,
 * LAST_WRITE 1, a write-log entry, DOORBELL_COUNT + 1) and the job runs to
 * completion at once, with DMA_CTRL's value 1 (no FORCE_MSG, no IRQ). N
 * signals that coalesce in the eventfd's counter (read as N) act as N such
 * writes, N jobs one after the other; a counter above
 * TESTDEV_DOORBELL_BURST_MAX performs only that many (the rest is dropped
 * and logged) so that a client cannot keep the server busy for ever.
 *
 * Ordering: the eventfd is not the socket. The server reads it when idle
 * and again just before it handles each client message (after any
 * STALL_MS sleep), but never during a DMA job. Hence:
 *  - a signal made before the client sent a message is handled before that
 *    message: a REGION_READ sent after the eventfd write() returned sees
 *    the doorbell's write and its job done;
 *  - a signal can overtake messages sent BEFORE it that the server has not
 *    handled yet (still in the socket, queued during a DMA job, or waiting
 *    out a STALL_MS): e.g. posted writes that program DMA_SRC, still in
 *    flight when the eventfd is signalled, are applied after the job ran.
 * That is why a client may use a doorbell only once it knows its earlier
 * writes were processed (a fence) or where it takes ordering upon itself.
 */
#define TESTDEV_DOORBELL_OFFSET TESTDEV_REG_DMA_CTRL
#define TESTDEV_DOORBELL_SIZE 4u
#define TESTDEV_DOORBELL_DATA TESTDEV_DMA_CTRL_START
#define TESTDEV_DOORBELL_BURST_MAX 1024u

/* ---- Write log (the last page of BAR1) ------------------------------------
 *
 * Every BAR0 write the device applies -- a REGION_WRITE, each BAR0 entry of
 * a REGION_WRITE_MULTI, each doorbell signal's DMA_CTRL write -- is
 * appended to a log kept in BAR1 at TESTDEV_LOG_OFFSET..+TESTDEV_LOG_SIZE,
 * which lies inside BAR1's mmap()able sparse area: a client sees the order
 * in which the device applied its writes through its mapping, without
 * sending a message. Writes that are rejected are not logged; accepted
 * writes are, even to read-only registers (whose bytes are dropped).
 *
 *   LOG_COUNT  (u32) writes logged since power-on or reset, mod 2^32;
 *   LOG_SEQ    (u32) reserved, 0; so are the 8 bytes after it;
 *   entries    TESTDEV_LOG_RING entries of 16 bytes, a ring: the write
 *              numbered n (0 for the first since reset) is in entry
 *              n % TESTDEV_LOG_RING, so the newest is entry
 *              TESTDEV_LOG_NEWEST(LOG_COUNT) and the log holds the last
 *              min(LOG_COUNT, TESTDEV_LOG_RING) writes;
 *   entry      {u32 offset in BAR0, u32 count (bytes written), u64 value:
 *              the first min(count, 8) bytes written, little-endian,
 *              zero-extended}.
 * (Should LOG_COUNT wrap past 2^32 the newest is still entry
 * TESTDEV_LOG_NEWEST(LOG_COUNT), computed in u32 arithmetic.)
 *
 * The server writes an entry completely before it stores the new
 * LOG_COUNT, with a release store; a reader that loads LOG_COUNT (acquire)
 * and then reads entries sees them complete. An entry can be overwritten
 * while being read only when more than TESTDEV_LOG_RING - 1 writes follow
 * meanwhile; a reader that cares reads LOG_COUNT again afterwards.
 *
 * DEVICE_RESET clears the whole log page (LOG_COUNT 0); a disconnection
 * keeps it, like the registers. The page is still plain writable memory
 * to the client, but the server never reads it back: an append overwrites
 * the entry and LOG_COUNT with the server's own values. (Until the log
 * existed this page was plain memory like the rest of BAR1.)
 */
/* BAR2 write log: the same layout at the same offset in BAR2, for every
 * BAR2 write the device applies (a REGION_WRITE, each BAR2 entry of a
 * REGION_WRITE_MULTI), with offsets in BAR2. It lets a test see how a
 * client's writes to a prefetchable BAR travelled: one entry per message
 * (or per REGION_WRITE_MULTI entry), its count the bytes it carried.
 * DEVICE_RESET clears it; a client reads it with REGION_READ. */
#define TESTDEV_LOG_OFFSET 0xf000u /* in BAR1, and in BAR2 */
#define TESTDEV_LOG_SIZE 0x1000u
#define TESTDEV_LOG_COUNT (TESTDEV_LOG_OFFSET + 0x0u)
#define TESTDEV_LOG_SEQ (TESTDEV_LOG_OFFSET + 0x4u)
#define TESTDEV_LOG_ENTRIES (TESTDEV_LOG_OFFSET + 0x10u)
#define TESTDEV_LOG_ENTRY_SIZE 16u
#define TESTDEV_LOG_RING 255u
/* BAR1 offset of entry i (0 .. TESTDEV_LOG_RING - 1). */
#define TESTDEV_LOG_ENTRY(i)                                                   \
    (TESTDEV_LOG_ENTRIES + TESTDEV_LOG_ENTRY_SIZE * (i))
/* Field offsets inside an entry. */
#define TESTDEV_LOG_E_OFFSET 0u /* u32 */
#define TESTDEV_LOG_E_COUNT 4u  /* u32 */
#define TESTDEV_LOG_E_VALUE 8u  /* u64 */
/* Index of the newest entry for a LOG_COUNT of @p count (>= 1), in u32. */
#define TESTDEV_LOG_NEWEST(count)                                              \
    ((unsigned int)(((count)-1u) & 0xffffffffu) % TESTDEV_LOG_RING)

/* ---- Migration (DEVICE_FEATURE, MIG_DATA_READ, MIG_DATA_WRITE) -------------
 *
 * The device migrates as "VFIO_USER_DEVICE_FEATURE" describes, unless the
 * server runs with --no-migration.
 *
 * VERSION: when the client's capabilities hold "migration", the reply holds
 * "migration": {"pgsize": TESTDEV_MIG_PGSIZE}. The proposal must be an
 * object, and its "pgsize", if present, an integer that is a power of two
 * of at least 4096 and, as in libvfio-user, exactly TESTDEV_MIG_PGSIZE;
 * anything else fails the negotiation (EINVAL). Other keys in it are
 * ignored. With --no-migration the reply leaves "migration" out (the
 * proposal must still be an object with an integer "pgsize", of any
 * value). The features below do not depend on the capability: a client
 * that did not propose it may use them all the same.
 *
 * DEVICE_FEATURE (command 16), all features: the payload is {u32 argsz,
 * u32 flags, data}, flags the feature index (bits 0..15) | GET (1 << 16)
 * | SET (1 << 17) | PROBE (1 << 18). EINVAL for a payload under 8 bytes,
 * other flag bits, no operation bit, GET and SET together without PROBE,
 * a feature index not listed here (this device has 1, 2, 6, 7 and 8), a
 * feature the server's options turn off, and an operation (GET or SET)
 * that the feature does not have -- with PROBE too: a PROBE succeeds only
 * if the feature has every operation it names; PROBE alone succeeds for
 * any feature the device offers.
 *  - PROBE and SET are answered with the request's payload, byte for byte
 *    (argsz unchanged), which argsz must cover (argsz >= the payload's
 *    size, else EINVAL). PROBE ignores the data.
 *  - GET is answered with {u32 argsz = 8 + D, u32 flags (the request's),
 *    D bytes of data}; the request's argsz must be at least 8 + D (else
 *    EINVAL, and the GET has no effect: no clear-on-read).
 *
 * MIGRATION (1): GET only, no request data (payload exactly 8). Data: u64
 * VFIO_USER_MIGRATION_STOP_COPY | VFIO_USER_MIGRATION_PRE_COPY, or
 * STOP_COPY alone with --no-pre-copy.
 *
 * MIG_DEVICE_STATE (2):
 *  - GET, no request data: data {u32 device_state, u32 data_fd = 0}.
 *  - SET, data exactly {u32 device_state, u32 data_fd (ignored)}: moves the
 *    device along ONE arc of "Direct State Transitions", completed before
 *    the reply:
 *        RUNNING  -> STOP, PRE_COPY      STOP      -> RUNNING, STOP_COPY,
 *        PRE_COPY -> RUNNING, STOP_COPY                RESUMING
 *        STOP_COPY -> STOP               RESUMING  -> STOP
 *    (no PRE_COPY arcs with --no-pre-copy). Asking for the current state
 *    succeeds and does nothing. Anything else is EINVAL and changes
 *    nothing: paths of two arcs or more (a client walks them one arc at a
 *    time), STOP_COPY -> PRE_COPY, the targets ERROR, RUNNING_P2P,
 *    PRE_COPY_P2P and values of 8 and up, and every SET in ERROR.
 *  - ERROR is entered only when RESUMING -> STOP finds the data invalid.
 *    Only DEVICE_RESET leaves it (to RUNNING); with --no-reset only a
 *    disconnection does.
 *  - DEVICE_RESET and a disconnection return the device to RUNNING from any
 *    state, ending any data session (its buffers are dropped).
 *
 * Operation by state: the device operates in RUNNING and PRE_COPY. In
 * STOP, STOP_COPY, RESUMING and ERROR it is quiescent: a DMA doorbell (any
 * kind) runs no job -- DMA_STATUS ERROR, DMA_ERRNO EBUSY (16), no data
 * moved, no completion interrupt, DMA_DONE_COUNT unchanged -- and IRQ_FIRE
 * writes fire nothing (IRQ_FIRE's count does not move). Everything else
 * works in every state: region reads and writes (registers, counters and
 * the write log included), SET_IRQS (an UNMASK still signals a pending
 * INTx), DMA_MAP/UNMAP, dirty page logging, DEVICE_RESET.
 *
 * The migration data stream, when saving:
 *  - RUNNING -> PRE_COPY takes an image of BAR1, an IMAGE section: the
 *    pre-copy data that MIG_DATA_READ hands out in PRE_COPY;
 *  - STOP -> STOP_COPY and PRE_COPY -> STOP_COPY take the rest of the
 *    state, a DEVICE section, and append it to the stream: reads in
 *    STOP_COPY go on where the reads in PRE_COPY stopped, so IMAGE bytes
 *    not read yet come first;
 *  - STOP_COPY -> STOP and PRE_COPY -> RUNNING end the session and drop
 *    what was not read.
 * So a session's data is what its reads return, concatenated in order:
 * [IMAGE] DEVICE. What changes after a section was taken (a region write
 * in STOP_COPY, say) is not in it.
 *
 * MIG_DATA_READ (command 17): request exactly {u32 argsz, u32 size}, size
 * 1 .. the client's max_data_xfer_size (1 MiB when its VERSION did not
 * say), argsz >= 8 + size, the state PRE_COPY or STOP_COPY; else EINVAL.
 * Reply {u32 argsz = 8 + n, u32 size = n, n bytes}, n = min(size, bytes
 * left): no padding. n < size means the end: of the whole stream in
 * STOP_COPY, of the pre-copy data in PRE_COPY (further reads there return
 * 0 bytes).
 *
 * When resuming: STOP -> RESUMING starts with an empty buffer. MIG_DATA_WRITE
 * (command 18) {u32 argsz, u32 size, size bytes} appends to it: size must
 * be the payload's size - 8 and at most the server's max_data_xfer_size,
 * the state RESUMING, and the buffer must stay within
 * TESTDEV_MIG_RESUME_MAX bytes; else EINVAL and nothing is appended. argsz
 * is not checked (the reply has no payload). The reply is empty.
 * RESUMING -> STOP checks the whole buffer against the format below and
 * loads it; data that fails any check fails the SET with EINVAL (the log
 * names the check) and puts the device in ERROR, with nothing loaded. The
 * buffer is dropped either way.
 *
 * A load restores all that the device saves, so that through BAR0, BAR1
 * and config space it cannot be told from the device saved: every BAR0
 * register, counter and plain byte (MSI-X table and PBA included), the
 * DMA engine and interrupt hook registers, the write log and LOG_COUNT,
 * all of BAR1, config space, and the INTx mask and pending latch. Not part
 * of the device state, so neither saved nor touched by a load: DMA maps,
 * eventfds, the doorbell ioeventfd, dirty page logging, and the STALL_MS
 * and CRASH test hooks.
 *
 * Stream format, little-endian. A stream is a sequence of sections:
 *   u32 magic    TESTDEV_MIG_MAGIC
 *   u16 version  TESTDEV_MIG_VERSION
 *   u16 type     TESTDEV_MIG_SEC_IMAGE or TESTDEV_MIG_SEC_DEVICE
 *   u32 length   bytes of payload
 *   payload
 *   u32 crc      CRC-32 (IEEE 802.3, as zlib's crc32()) of the 12 header
 *                bytes and the payload
 * A valid stream is at most one IMAGE section, first, then one DEVICE
 * section, last: nothing else, nothing after it, nothing cut short.
 * IMAGE payload: the TESTDEV_BAR1_SIZE bytes of BAR1.
 * DEVICE payload (TESTDEV_MIG_D_* offsets):
 *   0x0000 u32 BAR1 pages present: bit i means 4 KiB page i of BAR1 is at
 *          the end. Must be TESTDEV_MIG_BAR1_ALL without an IMAGE; after
 *          one, the pages present replace its pages. A save through
 *          PRE_COPY holds the pages that differ from its IMAGE.
 *   0x0004 u32 LOG_COUNT (the server's count, see "Write log")
 *   0x0008 u32 ACCESS_COUNT          0x000c u32 LAST_WRITE
 *   0x0010 u32 x 10: DMA_SRC_LO, DMA_SRC_HI, DMA_DST_LO, DMA_DST_HI,
 *          DMA_LEN, DMA_CTRL, DMA_STATUS (IDLE, DONE or ERROR), DMA_ERRNO,
 *          DMA_DONE_COUNT, DOORBELL_COUNT
 *   0x0038 u32 x 3: IRQ_SELECT, IRQ_FIRE's count, IRQ_DELIVERED
 *   0x0044 u8 INTx masked (0 or 1), u8 INTx pending (0 or 1); zeros up to
 *          0x0080
 *   0x0080 BAR0's backing, TESTDEV_BAR0_SIZE bytes: what plain BAR0 bytes,
 *          the MSI-X table and PBA read (the bytes under registers with
 *          behaviour are unused)
 *   0x1080 config space, TESTDEV_CONFIG_SIZE bytes: every bit a write
 *          cannot change must have its power-on value (so another
 *          device's data is refused), and the PM state must be D0 or D3hot
 *   0x2080 the BAR1 pages present, in ascending order, 4 KiB each
 * length = TESTDEV_MIG_DEVICE_SIZE(number of pages present).
 */
#define TESTDEV_MIG_PGSIZE 4096u
#define TESTDEV_MIG_RESUME_MAX (16u * 1024u * 1024u)
#define TESTDEV_MIG_MAGIC 0x4d445456u /* "VTDM" */
#define TESTDEV_MIG_VERSION 1u
#define TESTDEV_MIG_SEC_IMAGE 1u
#define TESTDEV_MIG_SEC_DEVICE 2u
#define TESTDEV_MIG_HDR_SIZE 12u /* magic, version, type, length */
#define TESTDEV_MIG_CRC_SIZE 4u
/* Header offsets. */
#define TESTDEV_MIG_H_MAGIC 0u   /* u32 */
#define TESTDEV_MIG_H_VERSION 4u /* u16 */
#define TESTDEV_MIG_H_TYPE 6u    /* u16 */
#define TESTDEV_MIG_H_LENGTH 8u  /* u32 */
/* DEVICE payload offsets. */
#define TESTDEV_MIG_D_BAR1_PAGES 0x0000u
#define TESTDEV_MIG_D_LOG_COUNT 0x0004u
#define TESTDEV_MIG_D_ACCESS_COUNT 0x0008u
#define TESTDEV_MIG_D_LAST_WRITE 0x000cu
#define TESTDEV_MIG_D_DMA 0x0010u
#define TESTDEV_MIG_D_IRQ 0x0038u
#define TESTDEV_MIG_D_INTX_MASKED 0x0044u
#define TESTDEV_MIG_D_INTX_PENDING 0x0045u
#define TESTDEV_MIG_D_BAR0 0x0080u
#define TESTDEV_MIG_D_CONFIG 0x1080u
#define TESTDEV_MIG_D_PAGES 0x2080u
#define TESTDEV_MIG_BAR1_PAGE_SIZE 4096u
#define TESTDEV_MIG_BAR1_NPAGES (TESTDEV_BAR1_SIZE / TESTDEV_MIG_BAR1_PAGE_SIZE)
#define TESTDEV_MIG_BAR1_ALL ((1u << TESTDEV_MIG_BAR1_NPAGES) - 1u)
/* Payload size of a DEVICE section with @p npages BAR1 pages. */
#define TESTDEV_MIG_DEVICE_SIZE(npages)                                        \
    (TESTDEV_MIG_D_PAGES + TESTDEV_MIG_BAR1_PAGE_SIZE * (npages))
/* Bytes on the wire of a section with a payload of @p len bytes. */
#define TESTDEV_MIG_SECTION(len)                                               \
    (TESTDEV_MIG_HDR_SIZE + (len) + TESTDEV_MIG_CRC_SIZE)
/* The pre-copy data (an IMAGE section), and the data of a save from STOP
 * (a DEVICE section with every page). */
#define TESTDEV_MIG_PRECOPY_BYTES TESTDEV_MIG_SECTION(TESTDEV_BAR1_SIZE)
#define TESTDEV_MIG_FULL_SAVE_BYTES                                            \
    TESTDEV_MIG_SECTION(TESTDEV_MIG_DEVICE_SIZE(TESTDEV_MIG_BAR1_NPAGES))

/* ---- Dirty page logging ---------------------------------------------------
 *
 * The device logs the pages its DMA engine writes THROUGH ITS OWN MAPPING
 * of a DMA map that came with an fd. Pages it writes with DMA_WRITE
 * messages (maps without an fd, or DMA_CTRL_FORCE_MSG) are never in its
 * bitmaps: the specification leaves those to the client, which sends the
 * replies. The server records 4 KiB pages; reports are clear-on-read.
 * Logging and its records survive DEVICE_RESET and migration states; a
 * disconnection stops logging (like the maps it logs).
 *
 * By default logging is done with the DMA logging features of
 * DEVICE_FEATURE (the rules of "Migration" above apply) and
 * VFIO_USER_DIRTY_PAGES gets ENOSYS. With --legacy-dirty it is done with
 * the 0.9.1 VFIO_USER_DIRTY_PAGES command instead, and the DMA logging
 * features fail with EINVAL (PROBE included). With --no-dirty there is no
 * logging: features EINVAL, command 14 ENOSYS.
 *
 * DMA_LOGGING_START (6), SET only. Data exactly {u64 page_size, u32
 * num_ranges, u32 reserved = 0, num_ranges x {u64 iova, u64 length}}.
 * page_size must be a power of two >= 4096 and is used as given (the
 * reply echoes it). num_ranges may be 0 (log everything) up to
 * TESTDEV_DIRTY_MAX_RANGES (E2BIG above); each range must have length >= 1
 * and not wrap, and no two may overlap (EINVAL). Ranges need not be
 * mapped. Only writes to pages that overlap a range are logged. Starting
 * empties every record. While logging runs, a START with the same
 * page_size succeeds and changes nothing (ranges and records stay); one
 * with another page_size gets EBUSY.
 *
 * DMA_LOGGING_STOP (7), SET only. Data empty, or shaped as START's
 * (ignored). Stops logging and forgets every record; succeeds when
 * logging is off too.
 *
 * DMA_LOGGING_REPORT (8), GET only. Request data exactly {u64 iova,
 * u64 length, u64 page_size}. EINVAL when logging is off, page_size is not
 * a power of two >= 4096, length is 0, iova or length is not a multiple of
 * page_size, the range wraps, some byte of it is in no DMA map (a range
 * may span adjacent maps; maps without an fd report zeros), the bitmap
 * exceeds the client's max_data_xfer_size (or 64 MiB), or argsz < 32 + B.
 * Reply {argsz = 32 + B, the request's flags, the 24 request bytes, a
 * bitmap of B = 8 * ceil(ceil(length / page_size) / 64) bytes}: bit i (of
 * u64 word i / 64, bit i % 64) is set when a logged page inside [iova +
 * i * page_size, + page_size) was written since logging started or since
 * it was last reported. The pages reported are forgotten (clear-on-read);
 * pages outside the range stay.
 *
 * VFIO_USER_DIRTY_PAGES (14), --legacy-dirty only. {u32 argsz, u32 flags},
 * flags exactly one of START (1), STOP (2), GET_BITMAP (4), else EINVAL.
 *  - START, STOP: payload and argsz exactly 8; the reply is empty. START
 *    logs everything at 4096 and empties every record (a START while
 *    logging runs succeeds and changes nothing); STOP as DMA_LOGGING_STOP.
 *  - GET_BITMAP: then struct vfio_user_bitmap_range {u64 iova, u64 size,
 *    u64 pgsize, u64 bitmap_size}, 32 bytes as in libvfio-user (the 0.9.1
 *    text's 40-byte table is not followed): payload exactly 40. The checks
 *    of DMA_LOGGING_REPORT apply (size, pgsize for length, page_size),
 *    bitmap_size must be exactly its B, and argsz >= 40 + B. Reply
 *    {argsz = 40 + B, flags GET_BITMAP, the 32-byte range, the bitmap},
 *    clear-on-read as a REPORT.
 *
 * DMA_UNMAP with VFIO_USER_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, --legacy-dirty
 * only (ENOTSUP otherwise): the 24-byte entry is followed by struct
 * vfio_user_bitmap {u64 pgsize, u64 size}: payload exactly 40. Logging
 * must run, pgsize be a power of two >= 4096 that divides the map's
 * address and size, size exactly the B of the map's size at pgsize, and
 * argsz >= 40 + size; else EINVAL and nothing is unmapped. The reply is
 * the entry, the bitmap header and the bitmap of the whole map (as a
 * REPORT of it), then the map is gone.
 */
#define TESTDEV_DIRTY_MAX_RANGES 1024u

/* ---- Reset ------------------------------------------------------------------
 *
 * DEVICE_RESET returns every BAR0 register (the DMA engine to IDLE with all
 * its registers and counters 0, the interrupt hooks to 0), the MSI-X table
 * and config space to their power-on values, and the migration state to
 * RUNNING (ending any data session). It keeps what belongs to the client's
 * setup: DMA maps (and dirty page logging with its records), IRQ eventfds,
 * the doorbell ioeventfd and the INTx mask and pending state. BAR1 keeps
 * its contents, except for its last page, the write log, which is cleared.
 * A disconnection releases maps (and stops logging), eventfds (the
 * doorbell's too) and masks, and returns the migration state to RUNNING,
 * but the registers and the write log keep their values for the next
 * client.
 */

/* MSI-X table (16 entries of 16 bytes) and pending bit array, in BAR0 as
 * the MSI-X capability says. Plain memory. */
#define TESTDEV_MSIX_TABLE_OFFSET 0x800u
#define TESTDEV_MSIX_ENTRY_SIZE 16u
#define TESTDEV_MSIX_PBA_OFFSET 0xc00u

/* ---- PCI configuration space --------------------------------------------- */

#define TESTDEV_PCI_VENDOR_ID 0x1b36u /* Red Hat */
#define TESTDEV_PCI_DEVICE_ID 0x0005u /* QEMU PCI Test Device */
#define TESTDEV_PCI_SUBSYS_VENDOR_ID 0x1af4u
#define TESTDEV_PCI_SUBSYS_ID 0x1100u
#define TESTDEV_PCI_REVISION 0x01u
#define TESTDEV_PCI_CLASS_CODE 0x00ff00u /* 24-bit, at config 0x09 */
#define TESTDEV_PCI_INTERRUPT_PIN 0x01u  /* INTA# */

/* Writable command register bits: I/O, memory, bus master, INTx disable. */
#define TESTDEV_PCI_COMMAND_WMASK 0x0407u
/* Status bits that are write-1-to-clear (error bits 8 and 11..15). */
#define TESTDEV_PCI_STATUS_W1C 0xf900u

/* BAR register values after sizing (write all ones, read back): size mask
 * plus type bits (32-bit, non-prefetchable memory). */
#define TESTDEV_PCI_BAR0_SIZE_MASK 0xfffff000u
#define TESTDEV_PCI_BAR1_SIZE_MASK 0xffff0000u
/* BAR2 (low half): size mask | 64-bit (0x4) | prefetchable (0x8); BAR3 (the
 * high half) sizes to 0xffffffff. */
#define TESTDEV_PCI_BAR2_SIZE_MASK 0xffff000cu

/* Capability list, starting at the pointer at config 0x34. */
#define TESTDEV_PCI_CAP_PTR 0x40u
#define TESTDEV_PCI_CAP_PM 0x40u   /* ID 0x01, next MSI */
#define TESTDEV_PCI_CAP_MSI 0x50u  /* ID 0x05, 64-bit, 1 vector, next MSI-X */
#define TESTDEV_PCI_CAP_MSIX 0x70u /* ID 0x11, 16 vectors, next PCIe */
#define TESTDEV_PCI_CAP_EXP 0x90u  /* ID 0x10, v2 endpoint, last */
/* Extended capability list, from 0x100. */
#define TESTDEV_PCI_ECAP_DSN 0x100u /* ID 0x0003, version 1, last */
#define TESTDEV_PCI_DSN 0x1b36000556554344ull

#endif /* VUC_TESTDEV_REGS_H */
