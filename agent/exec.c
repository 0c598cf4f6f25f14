/* sandbox86 guest agent: processes (exec, stdin/stdout/stderr streaming, timeouts, reaping). */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_EXECS 64
#define READ_CHUNK 16384
#define DEFAULT_WINDOW (256 * 1024)
#define DRAIN_GRACE_MS 2000

struct exec {
    int used;
    uint32_t stream;
    pid_t pid;
    int out_fd, err_fd, in_fd;  /* err_fd is -1 for a pty: everything arrives on out_fd */
    int pty;
    int64_t credit;
    uint64_t cap, produced;
    int truncated, timed_out, exited, status;
    int stdin_eof;
    uint64_t deadline, exit_at;
    uint8_t *inq;
    size_t inq_len, inq_cap;
};

static struct exec g_execs[MAX_EXECS];
static uint8_t g_chunk[READ_CHUNK];

static struct exec *find(uint32_t stream)
{
    for (int i = 0; i < MAX_EXECS; i++) {
        if (g_execs[i].used && g_execs[i].stream == stream) {
            return &g_execs[i];
        }
    }
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* user is "name", "uid" or "uid:gid"; names come from /etc/passwd directly because NSS does not
   work in a static binary. The account's passwd line (by name, or by uid for a number) also gives
   the name and home that HOME, USER and LOGNAME get, as login(1) and E2B's envd set them. */
struct account {
    uid_t uid;
    gid_t gid;
    char name[64];
    char home[256];
};

/* Splits one passwd line into its fields in place; 0 when it has the seven fields. */
static int passwd_fields(char *line, char *field[7])
{
    line[strcspn(line, "\n")] = 0;
    for (int i = 0; i < 7; i++) {
        field[i] = line;
        char *colon = strchr(line, ':');
        if (colon == NULL) {
            return i == 6 ? 0 : -1;
        }
        *colon = 0;
        line = colon + 1;
    }
    return -1; /* more than seven fields */
}

static void copy_field(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = 0; /* an oversized field is ignored rather than truncated into a wrong path */
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}

static int resolve_user(const char *user, struct account *a)
{
    char *end;
    unsigned long u = strtoul(user, &end, 10);
    int numeric = end != user && (*end == 0 || *end == ':');
    a->name[0] = 0;
    a->home[0] = 0;
    if (numeric) {
        a->uid = (uid_t)u;
        a->gid = (gid_t)u;
        if (*end == ':') {
            a->gid = (gid_t)strtoul(end + 1, NULL, 10);
        }
    }
    FILE *f = fopen("/etc/passwd", "re");
    if (f == NULL) {
        return numeric ? 0 : -1;
    }
    char line[1024];
    int found = numeric ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        char *field[7];
        if (passwd_fields(line, field) < 0) {
            continue;
        }
        char *uend;
        unsigned long luid = strtoul(field[2], &uend, 10);
        if (uend == field[2] || *uend != 0) {
            continue;
        }
        if (numeric ? luid == (unsigned long)a->uid : strcmp(field[0], user) == 0) {
            if (!numeric) {
                char *gend;
                unsigned long lgid = strtoul(field[3], &gend, 10);
                if (gend == field[3] || *gend != 0) {
                    break;
                }
                a->uid = (uid_t)luid;
                a->gid = (gid_t)lgid;
                found = 0;
            }
            copy_field(a->name, sizeof a->name, field[0]);
            copy_field(a->home, sizeof a->home, field[5]);
            break;
        }
    }
    fclose(f);
    return found;
}

/* For file commits: the owner a user string names, as resolve_user sees it. */
int lookup_owner(const char *user, uid_t *uid, gid_t *gid)
{
    struct account a;
    if (resolve_user(user, &a) < 0) {
        return -1;
    }
    *uid = a.uid;
    *gid = a.gid;
    return 0;
}

enum { STAGE_SETUP = 1, STAGE_EXEC = 2 };

static void child_fail(int errpipe, int stage, const char *what)
{
    int msg[2] = { stage, errno };
    char buf[300];
    snprintf(buf, sizeof buf, "%s", what);
    (void)!write(errpipe, msg, sizeof msg);
    (void)!write(errpipe, buf, strlen(buf));
    _exit(127);
}

static void free_exec(struct exec *e)
{
    close_fd(&e->out_fd);
    close_fd(&e->err_fd);
    close_fd(&e->in_fd);
    free(e->inq);
    memset(e, 0, sizeof *e);
    e->out_fd = e->err_fd = e->in_fd = -1;
}

void exec_start(const struct frame *f)
{
    static struct pbuf b;
    if (f->stream == 0 || find(f->stream)) {
        send_error(f->stream, EEXIST, "stream id in use");
        return;
    }
    struct exec *e = NULL;
    for (int i = 0; i < MAX_EXECS; i++) {
        if (!g_execs[i].used) {
            e = &g_execs[i];
            break;
        }
    }
    if (e == NULL) {
        send_error(f->stream, EAGAIN, "too many processes (max %d)", MAX_EXECS);
        return;
    }

    enum { MAX_ARGS = 4096 };
    char **argv = calloc(MAX_ARGS + 4, sizeof *argv);
    char **env = calloc(MAX_ARGS + 1, sizeof *env);
    int argc = 0, envc = 0, env_replace = 0, want_stdin = 0, bad = 0;
    char *shell = NULL, *cwd = NULL, *user = NULL;
    uint32_t timeout = 0, rows = 0, cols = 0, window = DEFAULT_WINDOW;
    uint64_t cap = 0;
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    int r = 0;
    while (argv && env && (r = tlv_next(&t)) > 0) {
        char *s;
        switch (t.tag) {
        case T_ARGV:
            if (argc >= MAX_ARGS || (s = tlv_strdup(&t)) == NULL) { bad = 1; break; }
            argv[argc++] = s;
            break;
        case T_ENV:
            if (envc >= MAX_ARGS || (s = tlv_strdup(&t)) == NULL || strchr(s, '=') == NULL) { bad = 1; break; }
            env[envc++] = s;
            break;
        case T_SHELL: free(shell); shell = tlv_strdup(&t); bad |= shell == NULL; break;
        case T_CWD: free(cwd); cwd = tlv_strdup(&t); bad |= cwd == NULL; break;
        case T_USER: free(user); user = tlv_strdup(&t); bad |= user == NULL; break;
        case T_ENV_REPLACE: env_replace = tlv_uint(&t) != 0; break;
        case T_STDIN: want_stdin = tlv_uint(&t) != 0; break;
        case T_TIMEOUT_MS: timeout = (uint32_t)tlv_uint(&t); break;
        case T_PTY_ROWS: rows = (uint32_t)tlv_uint(&t); break;
        case T_PTY_COLS: cols = (uint32_t)tlv_uint(&t); break;
        case T_OUTPUT_CAP: cap = tlv_uint(&t); break;
        case T_WINDOW: window = (uint32_t)tlv_uint(&t); break;
        default: break; /* unknown tags are skipped: newer hosts may send more */
        }
    }
    int err = 0;
    struct account acct = { 0, 0, "", "" };
    if (argv == NULL || env == NULL) {
        send_error(f->stream, ENOMEM, "out of memory");
        err = 1;
    } else if (r < 0 || bad) {
        send_error(f->stream, EINVAL, "malformed exec request");
        err = 1;
    } else if (shell == NULL && argc == 0) {
        send_error(f->stream, EINVAL, "exec needs argv or shell");
        err = 1;
    } else if (user && resolve_user(user, &acct) < 0) {
        send_error(f->stream, ESRCH, "unknown user '%s'", user);
        err = 1;
    }
    if (shell && !err) {
        for (int i = 0; i < argc; i++) {
            free(argv[i]);
            argv[i] = NULL;
        }
        argv[0] = strdup("/bin/sh");
        argv[1] = strdup("-c");
        argv[2] = shell;
        shell = NULL;
        argc = 3;
    }

    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, perrc[2] = { -1, -1 };
    int master = -1;
    char *slave_name = NULL;
    if (!err) {
        int ok = pipe2(perrc, O_CLOEXEC) == 0;
        if (ok && rows && cols) {
            master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
            ok = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 &&
                 (slave_name = ptsname(master)) != NULL;
            if (ok) {
                slave_name = strdup(slave_name);
            }
        } else if (ok) {
            ok = pipe2(pout, O_CLOEXEC) == 0 && pipe2(perr, O_CLOEXEC) == 0 &&
                 (!want_stdin || pipe2(pin, O_CLOEXEC) == 0);
        }
        if (!ok) {
            send_error(f->stream, errno, "cannot create pipes: %s", strerror(errno));
            err = 1;
        }
    }
    pid_t pid = -1;
    pid_t agent_pid = getpid();
    if (!err) {
        pid = fork();
        if (pid < 0) {
            send_error(f->stream, errno, "fork: %s", strerror(errno));
            err = 1;
        }
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        /* Own session and process group: kill(-pid) reaches every descendant that stays in it. */
        setsid();
        if (master >= 0) {
            int s = open(slave_name, O_RDWR);
            if (s < 0) {
                child_fail(perrc[1], STAGE_SETUP, "open pty");
            }
            ioctl(s, TIOCSCTTY, 0);
            struct winsize ws = { (unsigned short)rows, (unsigned short)cols, 0, 0 };
            ioctl(s, TIOCSWINSZ, &ws);
            dup2(s, 0);
            dup2(s, 1);
            dup2(s, 2);
            if (s > 2) {
                close(s);
            }
        } else {
            int in = want_stdin ? pin[0] : open("/dev/null", O_RDONLY);
            dup2(in, 0);
            dup2(pout[1], 1);
            dup2(perr[1], 2);
        }
        if (user) {
            if (setgroups(1, &acct.gid) < 0 && errno != EPERM) {
                child_fail(perrc[1], STAGE_SETUP, "setgroups");
            }
            if (setgid(acct.gid) < 0 || setuid(acct.uid) < 0) {
                child_fail(perrc[1], STAGE_SETUP, "switch user");
            }
        }
        /* If the agent dies, nobody could ever stop this command; take the leader down with it.
           Set after the user switch, which clears it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != agent_pid) {
            _exit(125); /* the agent died before the signal was armed */
        }
        if (cwd && chdir(cwd) < 0) {
            child_fail(perrc[1], STAGE_SETUP, cwd);
        }
        if (env_replace) {
            clearenv();
        }
        /* Before the request's own variables, which may override them. */
        if (user && acct.home[0]) {
            setenv("HOME", acct.home, 1);
        }
        if (user && acct.name[0]) {
            setenv("USER", acct.name, 1);
            setenv("LOGNAME", acct.name, 1);
        }
        for (int i = 0; i < envc; i++) {
            putenv(env[i]);
        }
        if (getenv("PATH") == NULL) {
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
        }
        execvp(argv[0], argv);
        child_fail(perrc[1], STAGE_EXEC, argv[0]);
    }

    int fail_stage = 0, fail_errno = 0;
    char fail_what[300] = "";
    if (pid > 0) {
        close_fd(&perrc[1]);
        int msg[2];
        ssize_t n;
        /* The child closes this pipe at exec (CLOEXEC) or writes why it could not get there. */
        do {
            n = read(perrc[0], msg, sizeof msg);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof msg) {
            fail_stage = msg[0];
            fail_errno = msg[1];
            n = read(perrc[0], fail_what, sizeof fail_what - 1);
            fail_what[n > 0 ? n : 0] = 0;
        }
    }
    close_fd(&perrc[0]);
    close_fd(&perrc[1]);
    close_fd(&pin[0]);
    close_fd(&pout[1]);
    close_fd(&perr[1]);

    for (int i = 0; argv && i < argc; i++) {
        free(argv[i]);
    }
    free(argv);
    if (!(pid == 0)) {
        /* env strings were handed to putenv only in the child; the parent owns them. */
        for (int i = 0; env && i < envc; i++) {
            free(env[i]);
        }
    }
    free(env);
    free(shell);
    free(cwd);
    free(user);
    free(slave_name);

    if (err) {
        close_fd(&pin[1]);
        close_fd(&pout[0]);
        close_fd(&perr[0]);
        close_fd(&master);
        return;
    }

    memset(e, 0, sizeof *e);
    e->used = 1;
    e->stream = f->stream;
    e->pid = pid;
    e->pty = master >= 0;
    e->out_fd = master >= 0 ? master : pout[0];
    e->err_fd = master >= 0 ? -1 : perr[0];
    e->in_fd = master >= 0 ? dup(master) : pin[1];
    if (master >= 0) {
        fcntl(e->in_fd, F_SETFD, FD_CLOEXEC);
    }
    e->credit = window;
    e->cap = cap;
    e->deadline = timeout ? now_ms() + timeout : 0;
    if (e->in_fd >= 0) {
        fcntl(e->in_fd, F_SETFL, fcntl(e->in_fd, F_GETFL) | O_NONBLOCK);
    }
    fcntl(e->out_fd, F_SETFL, fcntl(e->out_fd, F_GETFL) | O_NONBLOCK);
    if (e->err_fd >= 0) {
        fcntl(e->err_fd, F_SETFL, fcntl(e->err_fd, F_GETFL) | O_NONBLOCK);
    }

    if (fail_stage) {
        /* Shell semantics: 127 not found, 126 not executable, 125 could not set up. */
        int code = fail_stage == STAGE_EXEC ? (fail_errno == ENOENT ? 127 : 126) : 125;
        char msg[400];
        int n = snprintf(msg, sizeof msg, "sandbox86-agent: %s: %s\n", fail_what, strerror(fail_errno));
        send_frame(M_STDERR, e->stream, msg, (uint32_t)n);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        pb_reset(&b);
        pb_i32(&b, T_EXIT_CODE, code);
        pb_i32(&b, T_ERRNO, fail_errno);
        send_frame(M_EXIT, e->stream, b.data, b.len);
        free_exec(e);
        return;
    }
    pb_reset(&b);
    pb_u32(&b, T_PID, (uint32_t)pid);
    send_frame(M_STARTED, e->stream, b.data, b.len);
}

static int queue_stdin(struct exec *e, const uint8_t *p, size_t n)
{
    if (e->inq_len + n > e->inq_cap) {
        size_t cap = e->inq_cap ? e->inq_cap : 16384;
        while (cap < e->inq_len + n) {
            cap *= 2;
        }
        uint8_t *q = realloc(e->inq, cap);
        if (q == NULL) {
            return -1;
        }
        e->inq = q;
        e->inq_cap = cap;
    }
    memcpy(e->inq + e->inq_len, p, n);
    e->inq_len += n;
    return 0;
}

static void flush_stdin(struct exec *e)
{
    while (e->in_fd >= 0 && e->inq_len > 0) {
        ssize_t n = write(e->in_fd, e->inq, e->inq_len);
        if (n > 0) {
            memmove(e->inq, e->inq + n, e->inq_len - (size_t)n);
            e->inq_len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            /* Reader gone (EPIPE): the child closed stdin; discard like a shell pipeline would. */
            e->inq_len = 0;
            close_fd(&e->in_fd);
            return;
        }
    }
    if (e->inq_len == 0 && e->stdin_eof && e->in_fd >= 0) {
        if (e->pty) {
            /* Closing a pty master hangs the session up; send the EOF character instead. */
            uint8_t eot = 4;
            (void)!write(e->in_fd, &eot, 1);
        }
        close_fd(&e->in_fd);
    }
}

void exec_stdin(const struct frame *f, int eof)
{
    struct exec *e = find(f->stream);
    if (e == NULL || e->stdin_eof) {
        return; /* late input for a finished process is not an error */
    }
    if (!eof && f->len > 0 && e->in_fd >= 0 && queue_stdin(e, f->payload, f->len) < 0) {
        send_error(f->stream, ENOMEM, "stdin queue full");
    }
    if (eof) {
        e->stdin_eof = 1;
    }
    flush_stdin(e);
}

void exec_kill(const struct frame *f)
{
    struct exec *e = find(f->stream);
    if (e == NULL || e->exited) {
        return;
    }
    int sig = f->len >= 4 ? (int)(f->payload[0] | f->payload[1] << 8) : SIGKILL;
    if (sig <= 0 || sig >= 65) {
        sig = SIGKILL;
    }
    kill(-e->pid, sig);
}

void exec_resize(const struct frame *f)
{
    struct exec *e = find(f->stream);
    if (e == NULL || !e->pty || f->len < 4 || e->out_fd < 0) {
        return;
    }
    struct winsize ws = { (unsigned short)(f->payload[0] | f->payload[1] << 8),
                          (unsigned short)(f->payload[2] | f->payload[3] << 8), 0, 0 };
    ioctl(e->out_fd, TIOCSWINSZ, &ws);
}

void exec_credit(uint32_t stream, uint32_t delta)
{
    struct exec *e = find(stream);
    if (e != NULL && e->credit < (int64_t)1 << 40) {
        e->credit += delta;
    }
}

size_t exec_stdin_queued(void)
{
    size_t total = 0;
    for (int i = 0; i < MAX_EXECS; i++) {
        total += g_execs[i].used ? g_execs[i].inq_len : 0;
    }
    return total;
}

int exec_fill_pollfds(struct pollfd *pfds, int max, int *owners)
{
    int n = 0;
    int room = out_pending() < OUT_HIGH_WATER;
    for (int i = 0; i < MAX_EXECS; i++) {
        struct exec *e = &g_execs[i];
        if (!e->used) {
            continue;
        }
        /* Past the cap we keep draining (and discarding) so the child never blocks on output. */
        int can_read = room && (e->credit > 0 || (e->cap && e->produced >= e->cap));
        if (n + 3 > max) {
            break;
        }
        if (e->out_fd >= 0 && can_read) {
            pfds[n] = (struct pollfd){ e->out_fd, POLLIN, 0 };
            owners[n++] = i * 4 + 0;
        }
        if (e->err_fd >= 0 && can_read) {
            pfds[n] = (struct pollfd){ e->err_fd, POLLIN, 0 };
            owners[n++] = i * 4 + 1;
        }
        if (e->in_fd >= 0 && e->inq_len > 0) {
            pfds[n] = (struct pollfd){ e->in_fd, POLLOUT, 0 };
            owners[n++] = i * 4 + 2;
        }
    }
    return n;
}

static void pump_output(struct exec *e, int *fd, uint8_t type)
{
    size_t want = READ_CHUNK;
    int discarding = e->cap && e->produced >= e->cap;
    if (!discarding && (int64_t)want > e->credit) {
        want = (size_t)e->credit;
    }
    if (want == 0) {
        return;
    }
    ssize_t n = read(*fd, g_chunk, want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        /* EOF, or EIO from a pty master once the last slave holder is gone. */
        close_fd(fd);
        if (e->pty) {
            close_fd(&e->in_fd);
        }
        return;
    }
    size_t send = (size_t)n;
    int truncated_now = 0;
    if (e->cap) {
        uint64_t left = e->produced >= e->cap ? 0 : e->cap - e->produced;
        if (send > left) {
            send = (size_t)left;
            truncated_now = !e->truncated;
            e->truncated = 1;
        }
    }
    e->produced += send;
    if (send > 0) {
        e->credit -= (int64_t)send;
        send_frame(type, e->stream, g_chunk, (uint32_t)send);
    }
    if (truncated_now) {
        /* The marker follows the last byte that was kept. */
        send_frame(M_TRUNCATED, e->stream, NULL, 0);
    }
}

void exec_handle_poll(struct pollfd *pfds, int n, const int *owners)
{
    for (int i = 0; i < n; i++) {
        if (pfds[i].revents == 0) {
            continue;
        }
        struct exec *e = &g_execs[owners[i] / 4];
        if (!e->used) {
            continue;
        }
        switch (owners[i] % 4) {
        case 0: pump_output(e, &e->out_fd, M_STDOUT); break;
        case 1: pump_output(e, &e->err_fd, M_STDERR); break;
        case 2: flush_stdin(e); break;
        }
    }
}

void exec_reap(void)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }
        if (console_reaped(pid)) {
            continue;
        }
        for (int i = 0; i < MAX_EXECS; i++) {
            struct exec *e = &g_execs[i];
            if (e->used && !e->exited && e->pid == pid) {
                e->exited = 1;
                e->status = status;
                e->exit_at = now_ms();
                /* The command is over: whatever it left running in its group goes with it. */
                kill(-pid, SIGKILL);
            }
        }
    }
}

static void finish(struct exec *e)
{
    static struct pbuf b;
    int code = 0, sig = 0;
    if (WIFEXITED(e->status)) {
        code = WEXITSTATUS(e->status);
    } else if (WIFSIGNALED(e->status)) {
        sig = WTERMSIG(e->status);
        code = 128 + sig;
    }
    if (e->timed_out) {
        code = 124;
    }
    pb_reset(&b);
    pb_i32(&b, T_EXIT_CODE, code);
    pb_i32(&b, T_SIGNAL, sig);
    pb_u32(&b, T_TIMED_OUT, (uint32_t)e->timed_out);
    pb_u32(&b, T_TRUNCATED, (uint32_t)e->truncated);
    send_frame(M_EXIT, e->stream, b.data, b.len);
    free_exec(e);
}

void exec_tick(void)
{
    uint64_t now = now_ms();
    for (int i = 0; i < MAX_EXECS; i++) {
        struct exec *e = &g_execs[i];
        if (!e->used) {
            continue;
        }
        if (!e->exited && e->deadline && now >= e->deadline && !e->timed_out) {
            e->timed_out = 1;
            kill(-e->pid, SIGKILL);
        }
        if (e->exited && (e->out_fd >= 0 || e->err_fd >= 0) && now >= e->exit_at + DRAIN_GRACE_MS) {
            /* Something outside the group still holds the pipes; stop waiting for EOF. */
            close_fd(&e->out_fd);
            close_fd(&e->err_fd);
        }
        if (e->exited && e->out_fd < 0 && e->err_fd < 0) {
            finish(e);
        }
    }
}

int exec_next_timeout_ms(void)
{
    uint64_t now = now_ms();
    int64_t best = -1;
    for (int i = 0; i < MAX_EXECS; i++) {
        struct exec *e = &g_execs[i];
        if (!e->used) {
            continue;
        }
        uint64_t at = 0;
        if (!e->exited && e->deadline && !e->timed_out) {
            at = e->deadline;
        } else if (e->exited) {
            at = e->exit_at + DRAIN_GRACE_MS;
        }
        if (at) {
            int64_t d = at > now ? (int64_t)(at - now) : 0;
            if (best < 0 || d < best) {
                best = d;
            }
        }
    }
    return (int)best;
}

void exec_kill_all(void)
{
    for (int i = 0; i < MAX_EXECS; i++) {
        if (g_execs[i].used && !g_execs[i].exited) {
            kill(-g_execs[i].pid, SIGKILL);
        }
    }
}
