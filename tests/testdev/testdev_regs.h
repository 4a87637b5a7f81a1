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
 * Checked before any data moves: first EINVAL, then ENOENT, EFAULT and
 * EPERM for the source, then the same for the destination:
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
#define TESTDEV_LOG_OFFSET 0xf000u /* in BAR1 */
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

/* ---- Reset ------------------------------------------------------------------
 *
 * DEVICE_RESET returns every BAR0 register (the DMA engine to IDLE with all
 * its registers and counters 0, the interrupt hooks to 0), the MSI-X table
 * and config space to their power-on values. It keeps what belongs to the
 * client's setup: DMA maps (and the server's record of the pages it wrote
 * through them), IRQ eventfds, the doorbell ioeventfd and the INTx mask
 * and pending state. BAR1 keeps its contents, except for its last page,
 * the write log, which is cleared. A disconnection releases maps, eventfds
 * (the doorbell's too) and masks, but the registers and the write log keep
 * their values for the next client.
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
