/* sandbox86 guest agent: shared declarations. See PROTOCOL.md for the wire format. */
#ifndef SANDBOX86_AGENT_H
#define SANDBOX86_AGENT_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <poll.h>

#define PROTO_VERSION 1
#define AGENT_VERSION "0.1.0"

#define MAGIC0 0xA5
#define MAGIC1 0x86
#define HDR_LEN 16
#define MAX_PAYLOAD 65536

/* Host->guest window: the kernel side holds 16 virtio buffers of 4 KiB plus the tty flip
   buffer, so 16 KiB in flight leaves ample slack even if the guest has not run at all. */
#define HOST_WINDOW 16384

enum msg_type {
    /* host -> agent */
    M_HELLO_REQ = 0x01, M_PING = 0x02, M_CREDIT = 0x03,
    M_EXEC = 0x10, M_STDIN = 0x11, M_STDIN_EOF = 0x12, M_KILL = 0x13, M_RESIZE = 0x14,
    M_FWRITE_OPEN = 0x20, M_FWRITE_DATA = 0x21, M_FWRITE_END = 0x22, M_FREAD = 0x23,
    M_STAT = 0x24, M_LIST = 0x25, M_REMOVE = 0x26, M_MKDIR = 0x27, M_ABORT = 0x28,
    M_FSTAGE = 0x29, M_FCOMMIT = 0x2A, M_FEXPORT = 0x2B,
    M_SET_CLOCK = 0x30, M_RESEED = 0x31, M_NET_CONFIG = 0x32,
    /* agent -> host */
    M_HELLO = 0x81, M_PONG = 0x82, M_CHAN_CREDIT = 0x83, M_ERROR = 0x84, M_OK = 0x85,
    M_STARTED = 0x90, M_STDOUT = 0x91, M_STDERR = 0x92, M_EXIT = 0x93, M_TRUNCATED = 0x94,
    M_FDATA = 0xA1, M_FEOF = 0xA2, M_STAT_RESULT = 0xA4, M_LIST_ENTRIES = 0xA5, M_FPATH = 0xA6,
};

enum tag {
    T_ARGV = 1, T_SHELL = 2, T_ENV = 3, T_ENV_REPLACE = 4, T_CWD = 5, T_USER = 6, T_STDIN = 7,
    T_TIMEOUT_MS = 8, T_PTY_ROWS = 9, T_PTY_COLS = 10, T_OUTPUT_CAP = 11, T_WINDOW = 12,
    T_PATH = 20, T_MODE = 21, T_PARENTS = 22, T_RECURSIVE = 23,
    T_ERRNO = 30, T_MESSAGE = 31, T_PID = 32, T_EXIT_CODE = 33, T_SIGNAL = 34, T_TIMED_OUT = 35,
    T_TRUNCATED = 36, T_SIZE = 37, T_MTIME_NS = 38, T_UID = 39, T_GID = 40, T_NAME = 41,
    T_PROTO = 42, T_AGENT_VERSION = 43, T_UNAME = 44, T_KIND = 45, T_TIME_NS = 46, T_DATA = 47,
    T_IFNAME = 50, T_ADDR = 51, T_PREFIX = 52, T_GATEWAY = 53, T_DNS = 54, T_MAC = 55, T_MTU = 56,
};

struct frame {
    uint8_t type;
    uint32_t stream;
    const uint8_t *payload;
    uint32_t len;
};

/* TLV reader over one payload: tag u8, len u32 LE, value. */
struct tlv {
    const uint8_t *p, *end;
    uint8_t tag;
    const uint8_t *val;
    uint32_t len;
};
int tlv_next(struct tlv *t);               /* 1 = field, 0 = end, -1 = malformed */
uint64_t tlv_uint(const struct tlv *t);
char *tlv_strdup(const struct tlv *t);     /* NUL-terminated copy; NULL if value holds a NUL */

/* Outgoing payload builder (bounded by MAX_PAYLOAD). */
struct pbuf {
    uint8_t data[MAX_PAYLOAD];
    uint32_t len;
    int overflow;
};
void pb_reset(struct pbuf *b);
void pb_bytes(struct pbuf *b, uint8_t tag, const void *v, uint32_t n);
void pb_str(struct pbuf *b, uint8_t tag, const char *s);
void pb_u32(struct pbuf *b, uint8_t tag, uint32_t v);
void pb_u64(struct pbuf *b, uint8_t tag, uint64_t v);
void pb_i32(struct pbuf *b, uint8_t tag, int32_t v);

/* Channel output. */
void send_frame(uint8_t type, uint32_t stream, const void *payload, uint32_t len);
void send_error(uint32_t stream, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void send_ok(uint32_t stream);
size_t out_pending(void);
#define OUT_HIGH_WATER (512 * 1024)

uint64_t now_ms(void);
uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n);
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern int g_no_system;

/* exec.c */
void exec_start(const struct frame *f);
void exec_stdin(const struct frame *f, int eof);
void exec_kill(const struct frame *f);
void exec_resize(const struct frame *f);
void exec_credit(uint32_t stream, uint32_t delta);
int exec_fill_pollfds(struct pollfd *pfds, int max, int *owners);
void exec_handle_poll(struct pollfd *pfds, int n, const int *owners);
void exec_reap(void);
void exec_tick(void);
int exec_next_timeout_ms(void);
size_t exec_stdin_queued(void);
void exec_kill_all(void);

/* console.c: the optional login shell on the console (sandbox86.console=DEV) */
void console_init(void);
int console_reaped(pid_t pid);   /* 1 when pid was the console shell */
int console_tick(void);          /* spawns when due; ms until the next spawn, -1 if none pending */

/* files.c */
void file_write_open(const struct frame *f);
void file_write_data(const struct frame *f);
void file_write_end(const struct frame *f, int abort);
void file_read_start(const struct frame *f);
void file_read_abort(uint32_t stream);
int file_credit(uint32_t stream, uint32_t delta);
int file_pump(void);                        /* 1 if more data can be sent without waiting */
void file_stat(const struct frame *f);
void file_list(const struct frame *f);
void file_remove(const struct frame *f);
void file_mkdir(const struct frame *f);
int lookup_owner(const char *user, uid_t *uid, gid_t *gid); /* exec.c: name, uid or uid:gid */
void file_stage(const struct frame *f);
void file_commit(const struct frame *f);
void file_export(const struct frame *f);
int mkdir_parents(const char *path, mode_t mode, int include_last);

/* sys.c */
void sys_set_clock(const struct frame *f);
void sys_reseed(const struct frame *f);
void sys_net_config(const struct frame *f);

#endif
