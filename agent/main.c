/* sandbox86 guest agent: channel, framing and the poll() event loop. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

int g_no_system;

static int g_in_fd = -1, g_out_fd = -1, g_sig_fd = -1;

/* Input buffer holds two maximal frames so a whole frame always fits after compaction. */
#define IN_CAP (2 * (HDR_LEN + MAX_PAYLOAD))
static uint8_t g_in[IN_CAP];
static size_t g_in_len;
static uint32_t g_unreported;    /* bytes read from the channel but not yet credited */
static int g_in_eof;
static int g_resyncing;          /* one error report per run of garbage, not one per byte */
static uint64_t g_bad_frames;

static uint8_t *g_out;
static size_t g_out_len, g_out_cap, g_out_off;

static uint32_t g_crc_table[256];

void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sandbox86-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        g_crc_table[i] = c;
    }
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc = g_crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    }
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- TLV ---- */

int tlv_next(struct tlv *t)
{
    if (t->p >= t->end) {
        return 0;
    }
    if (t->end - t->p < 5) {
        return -1;
    }
    t->tag = t->p[0];
    t->len = get32(t->p + 1);
    if (t->len > (uint32_t)(t->end - t->p - 5)) {
        return -1;
    }
    t->val = t->p + 5;
    t->p += 5 + t->len;
    return 1;
}

uint64_t tlv_uint(const struct tlv *t)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < t->len && i < 8; i++) {
        v |= (uint64_t)t->val[i] << (8 * i);
    }
    return v;
}

char *tlv_strdup(const struct tlv *t)
{
    if (memchr(t->val, 0, t->len) != NULL) {
        return NULL;
    }
    char *s = malloc(t->len + 1);
    if (s == NULL) {
        return NULL;
    }
    memcpy(s, t->val, t->len);
    s[t->len] = 0;
    return s;
}

void pb_reset(struct pbuf *b)
{
    b->len = 0;
    b->overflow = 0;
}

void pb_bytes(struct pbuf *b, uint8_t tag, const void *v, uint32_t n)
{
    if (b->overflow || n > MAX_PAYLOAD - 5 || b->len + 5 + n > MAX_PAYLOAD) {
        b->overflow = 1;
        return;
    }
    b->data[b->len] = tag;
    put32(b->data + b->len + 1, n);
    if (n > 0) {
        memcpy(b->data + b->len + 5, v, n);
    }
    b->len += 5 + n;
}

void pb_str(struct pbuf *b, uint8_t tag, const char *s)
{
    pb_bytes(b, tag, s, (uint32_t)strlen(s));
}

void pb_u32(struct pbuf *b, uint8_t tag, uint32_t v)
{
    uint8_t x[4];
    put32(x, v);
    pb_bytes(b, tag, x, 4);
}

void pb_u64(struct pbuf *b, uint8_t tag, uint64_t v)
{
    uint8_t x[8];
    put32(x, (uint32_t)v);
    put32(x + 4, (uint32_t)(v >> 32));
    pb_bytes(b, tag, x, 8);
}

void pb_i32(struct pbuf *b, uint8_t tag, int32_t v)
{
    pb_u32(b, tag, (uint32_t)v);
}

/* ---- output ---- */

size_t out_pending(void)
{
    return g_out_len - g_out_off;
}

static int g_debug_send;

void send_frame(uint8_t type, uint32_t stream, const void *payload, uint32_t len)
{
    if (g_debug_send && type != M_FDATA && type != M_CHAN_CREDIT) {
        logmsg("send type=%02x stream=%u len=%u", type, stream, len);
    }
    if (len > MAX_PAYLOAD) {
        return;
    }
    if (g_out_off > 0 && g_out_off == g_out_len) {
        g_out_off = g_out_len = 0;
    }
    size_t need = g_out_len + HDR_LEN + len;
    if (need > g_out_cap) {
        if (g_out_off > 0) {
            memmove(g_out, g_out + g_out_off, g_out_len - g_out_off);
            g_out_len -= g_out_off;
            g_out_off = 0;
            need = g_out_len + HDR_LEN + len;
        }
        if (need > g_out_cap) {
            size_t cap = g_out_cap ? g_out_cap : 65536;
            while (cap < need) {
                cap *= 2;
            }
            uint8_t *n = realloc(g_out, cap);
            if (n == NULL) {
                logmsg("out of memory; dropping frame");
                return;
            }
            g_out = n;
            g_out_cap = cap;
        }
    }
    uint8_t *h = g_out + g_out_len;
    h[0] = MAGIC0;
    h[1] = MAGIC1;
    h[2] = PROTO_VERSION;
    h[3] = type;
    put32(h + 4, stream);
    put32(h + 8, len);
    uint32_t crc = crc32_update(0, h, 12);
    if (len > 0) {
        memcpy(h + HDR_LEN, payload, len);
        crc = crc32_update(crc, h + HDR_LEN, len);
    }
    put32(h + 12, crc);
    g_out_len += HDR_LEN + len;
}

void send_error(uint32_t stream, int err, const char *fmt, ...)
{
    static struct pbuf b;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pb_reset(&b);
    pb_i32(&b, T_ERRNO, err);
    pb_str(&b, T_MESSAGE, msg);
    send_frame(M_ERROR, stream, b.data, b.len);
}

void send_ok(uint32_t stream)
{
    send_frame(M_OK, stream, NULL, 0);
}

static void flush_out(void)
{
    while (g_out_off < g_out_len) {
        ssize_t n = write(g_out_fd, g_out + g_out_off, g_out_len - g_out_off);
        if (n > 0) {
            g_out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            logmsg("channel write failed: %s", strerror(errno));
            if (errno == EPIPE || errno == EBADF) {
                exit(0);
            }
        }
        break;
    }
    if (g_out_off == g_out_len) {
        g_out_off = g_out_len = 0;
        if (g_out_cap > 4 * 1024 * 1024) {
            /* Give back a burst's worth of memory once it has been written. */
            free(g_out);
            g_out = NULL;
            g_out_cap = 0;
        }
    }
}

static void send_hello(uint32_t stream)
{
    static struct pbuf b;
    struct utsname u;
    char un[400];
    if (uname(&u) == 0) {
        snprintf(un, sizeof un, "%s %s %s %s", u.sysname, u.nodename, u.release, u.machine);
    } else {
        snprintf(un, sizeof un, "unknown");
    }
    pb_reset(&b);
    pb_u32(&b, T_PROTO, PROTO_VERSION);
    pb_str(&b, T_AGENT_VERSION, AGENT_VERSION);
    pb_str(&b, T_UNAME, un);
    pb_u32(&b, T_PID, (uint32_t)getpid());
    pb_u32(&b, T_WINDOW, HOST_WINDOW);
    send_frame(M_HELLO, stream, b.data, b.len);
}

/* ---- dispatch ---- */

static int g_debug;

static void dispatch(const struct frame *f)
{
    if (g_debug) {
        logmsg("recv type=%02x stream=%u len=%u", f->type, f->stream, f->len);
    }
    switch (f->type) {
    case M_HELLO_REQ:
        send_hello(f->stream);
        break;
    case M_PING:
        send_frame(M_PONG, f->stream, f->payload, f->len);
        break;
    case M_CREDIT:
        if (f->len >= 4) {
            uint32_t d = get32(f->payload);
            if (!file_credit(f->stream, d)) {
                exec_credit(f->stream, d);
            }
        }
        break;
    case M_EXEC: exec_start(f); break;
    case M_STDIN: exec_stdin(f, 0); break;
    case M_STDIN_EOF: exec_stdin(f, 1); break;
    case M_KILL: exec_kill(f); break;
    case M_RESIZE: exec_resize(f); break;
    case M_FWRITE_OPEN: file_write_open(f); break;
    case M_FWRITE_DATA: file_write_data(f); break;
    case M_FWRITE_END: file_write_end(f, 0); break;
    case M_ABORT:
        /* The host gave up on a file transfer: discard a partial write, stop a read. */
        file_write_end(f, 1);
        file_read_abort(f->stream);
        break;
    case M_FREAD: file_read_start(f); break;
    case M_STAT: file_stat(f); break;
    case M_LIST: file_list(f); break;
    case M_REMOVE: file_remove(f); break;
    case M_MKDIR: file_mkdir(f); break;
    case M_FSTAGE: file_stage(f); break;
    case M_FCOMMIT: file_commit(f); break;
    case M_FEXPORT: file_export(f); break;
    case M_SET_CLOCK: sys_set_clock(f); break;
    case M_RESEED: sys_reseed(f); break;
    case M_NET_CONFIG: sys_net_config(f); break;
    default:
        send_error(f->stream, ENOSYS, "unknown message type 0x%02x", f->type);
        break;
    }
}

static void bad_frame(const char *why)
{
    g_bad_frames++;
    if (!g_resyncing) {
        g_resyncing = 1;
        send_error(0, EBADMSG, "bad frame (%s); resynchronising, %llu so far",
                   why, (unsigned long long)g_bad_frames);
    }
}

/* Consumes complete frames from g_in; garbage is skipped one byte at a time up to the next magic. */
static void parse_input(void)
{
    size_t pos = 0;
    while (g_in_len - pos >= 2) {
        const uint8_t *p = g_in + pos;
        if (p[0] != MAGIC0 || p[1] != MAGIC1) {
            const uint8_t *m = memchr(p + 1, MAGIC0, g_in_len - pos - 1);
            bad_frame("no magic");
            pos = m ? (size_t)(m - g_in) : g_in_len;
            continue;
        }
        if (g_in_len - pos < HDR_LEN) {
            break;
        }
        uint32_t len = get32(p + 8);
        if (p[2] != PROTO_VERSION || len > MAX_PAYLOAD) {
            bad_frame(p[2] != PROTO_VERSION ? "version" : "length");
            pos++;
            continue;
        }
        if (g_in_len - pos < HDR_LEN + len) {
            break;
        }
        uint32_t crc = crc32_update(crc32_update(0, p, 12), p + HDR_LEN, len);
        if (crc != get32(p + 12)) {
            bad_frame("crc");
            pos++;
            continue;
        }
        g_resyncing = 0;
        struct frame f = { p[3], get32(p + 4), p + HDR_LEN, len };
        pos += HDR_LEN + len;
        if (f.type == M_HELLO_REQ) {
            /* The window restarts right after this frame: count only the bytes already read past it. */
            g_unreported = (uint32_t)(g_in_len - pos);
        }
        dispatch(&f);
    }
    if (pos > 0) {
        memmove(g_in, g_in + pos, g_in_len - pos);
        g_in_len -= pos;
    }
}

static void read_channel(void)
{
    for (;;) {
        if (g_in_len >= IN_CAP) {
            return;
        }
        ssize_t n = read(g_in_fd, g_in + g_in_len, IN_CAP - g_in_len);
        if (n > 0) {
            g_in_len += (size_t)n;
            g_unreported += (uint32_t)n;
            parse_input();
            continue;
        }
        if (n == 0) {
            g_in_eof = 1;
        } else if (errno == EINTR) {
            continue;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            logmsg("channel read failed: %s", strerror(errno));
            g_in_eof = errno != EIO;
        }
        break;
    }
    if (g_unreported > 0) {
        uint8_t d[4];
        put32(d, g_unreported);
        g_unreported = 0;
        send_frame(M_CHAN_CREDIT, 0, d, 4);
    }
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static int open_device(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        /* Raw at once: an echoing or line-editing tty would corrupt frames. */
        cfmakeraw(&t);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: sandbox86-agent [--device PATH | --stdio | --fd N] [--no-system]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *device = NULL;
    int mode_stdio = 0, fd_arg = -1, mode_init = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            device = argv[++i];
        } else if (strcmp(argv[i], "--stdio") == 0) {
            mode_stdio = 1;
        } else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc) {
            fd_arg = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-system") == 0) {
            g_no_system = 1;
        } else if (strcmp(argv[i], "--init") == 0) {
            /* Started by the initramfs as PID 1: same loop; reaping orphans is already our job. */
            mode_init = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("sandbox86-agent %s protocol %d\n", AGENT_VERSION, PROTO_VERSION);
            return 0;
        } else {
            usage();
        }
    }
    crc_init();
    g_debug = g_debug_send = getenv("SANDBOX86_AGENT_DEBUG") != NULL;

    if (mode_stdio) {
        g_in_fd = dup(0);
        g_out_fd = dup(1);
        /* Children must not inherit the channel; they get their own stdio. */
        fcntl(g_in_fd, F_SETFD, FD_CLOEXEC);
        fcntl(g_out_fd, F_SETFD, FD_CLOEXEC);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            close(devnull);
        }
    } else if (fd_arg >= 0) {
        g_in_fd = g_out_fd = fd_arg;
        fcntl(fd_arg, F_SETFD, FD_CLOEXEC);
    } else {
        const char *candidates[] = { device, "/dev/hvc1", "/dev/ttyS1" };
        for (int i = device ? 0 : 1; i < 3 && g_in_fd < 0; i++) {
            g_in_fd = open_device(candidates[i]);
            if (g_in_fd < 0) {
                logmsg("open %s: %s", candidates[i], strerror(errno));
            }
            if (device) {
                break;
            }
        }
        if (g_in_fd < 0) {
            return 1;
        }
        g_out_fd = g_in_fd;
    }
    set_nonblock(g_in_fd);
    set_nonblock(g_out_fd);

    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    g_sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    /* Orphaned grandchildren re-parent to us so they can be reaped, never left as zombies. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    if (mode_init) {
        console_init();
    }
    send_hello(0);

    enum { MAXFD = 256 };
    struct pollfd pfds[MAXFD];
    int owners[MAXFD];
    for (;;) {
        /* Produce file data first so the POLLOUT decision below sees it; otherwise the last chunk
           of a read could sit in the buffer while poll() waits forever. */
        int pumping = out_pending() < OUT_HIGH_WATER && file_pump();
        flush_out();
        int n = 0;
        short chan_in = 0;
        /* Stop reading the channel while stdin queues are large: head-of-line backpressure. */
        if (!g_in_eof && g_in_len < IN_CAP && exec_stdin_queued() < 1024 * 1024) {
            chan_in = POLLIN;
        }
        short chan_out = out_pending() > 0 ? POLLOUT : 0;
        if (g_in_fd == g_out_fd) {
            pfds[n] = (struct pollfd){ g_in_fd, (short)(chan_in | chan_out), 0 };
            owners[n++] = -1;
        } else {
            pfds[n] = (struct pollfd){ chan_in ? g_in_fd : -1, chan_in, 0 };
            owners[n++] = -1;
            pfds[n] = (struct pollfd){ chan_out ? g_out_fd : -1, chan_out, 0 };
            owners[n++] = -2;
        }
        pfds[n] = (struct pollfd){ g_sig_fd, POLLIN, 0 };
        owners[n++] = -3;
        int base = n;
        n += exec_fill_pollfds(pfds + n, MAXFD - n, owners + n);

        int timeout = pumping ? 0 : exec_next_timeout_ms();
        int console_ms = console_tick();
        if (console_ms >= 0 && (timeout < 0 || console_ms < timeout)) {
            timeout = console_ms;
        }
        int r = poll(pfds, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            logmsg("poll: %s", strerror(errno));
            continue;
        }
        if (r > 0) {
            for (int i = 0; i < base; i++) {
                if (pfds[i].revents == 0) {
                    continue;
                }
                if (owners[i] == -3) {
                    struct signalfd_siginfo si;
                    while (read(g_sig_fd, &si, sizeof si) > 0) {
                    }
                    exec_reap();
                } else {
                    if ((pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) && g_in_fd == pfds[i].fd && chan_in) {
                        read_channel();
                    }
                    if (pfds[i].revents & POLLOUT) {
                        flush_out();
                    }
                }
            }
            exec_handle_poll(pfds + base, n - base, owners + base);
        }
        exec_reap();
        exec_tick();
        flush_out();
        if (g_in_eof && out_pending() == 0) {
            /* Host went away: nobody can read results any more. In the VM init restarts us. */
            if (!mode_stdio && fd_arg < 0) {
                /* A tty hangup is transient on hvc; wait and retry instead of spinning. */
                sleep(1);
                g_in_eof = 0;
                continue;
            }
            exec_kill_all();
            return 0;
        }
    }
}
