/* sandbox86 guest agent: the optional console shell. With sandbox86.console=DEV on the kernel command
   line (DEV one of ttyS0..ttyS3, hvc0), PID 1 also keeps a root login shell on /dev/DEV, respawned when
   it exits: the agent replaces init, so no getty runs, and a VM in a web page has only its console.
   Without the switch nothing here runs, so ordinary images and snapshots are unchanged. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static char g_console_dev[32];
static pid_t g_console_pid;
static uint64_t g_console_started, g_console_due;

/* Only a short allow-list: the name becomes a path under /dev. */
static int console_name_ok(const char *name, size_t n)
{
    static const char *const allowed[] = { "ttyS0", "ttyS1", "ttyS2", "ttyS3", "hvc0" };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strlen(allowed[i]) == n && memcmp(allowed[i], name, n) == 0) {
            return 1;
        }
    }
    return 0;
}

void console_init(void)
{
    static const char key[] = "sandbox86.console=";
    char cmdline[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
    close(fd);
    if (n <= 0) {
        return;
    }
    cmdline[n] = 0;
    for (char *p = cmdline; (p = strstr(p, key)) != NULL; p += sizeof key - 1) {
        if (p != cmdline && p[-1] != ' ') {
            continue;
        }
        const char *name = p + sizeof key - 1;
        size_t len = strcspn(name, " \n");
        if (!console_name_ok(name, len)) {
            logmsg("sandbox86.console: unsupported device");
            return;
        }
        snprintf(g_console_dev, sizeof g_console_dev, "/dev/%.*s", (int)len, name);
        g_console_due = now_ms();
        return;
    }
}

/* Root's shell from /etc/passwd (static binary: no NSS), else /bin/sh. */
static void root_shell(char *out, size_t cap)
{
    snprintf(out, cap, "/bin/sh");
    FILE *f = fopen("/etc/passwd", "re");
    if (!f) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "root:", 5) != 0) {
            continue;
        }
        char *shell = strrchr(line, ':');
        if (shell) {
            shell++;
            shell[strcspn(shell, "\r\n")] = 0;
            if (shell[0] == '/' && access(shell, X_OK) == 0) {
                snprintf(out, cap, "%s", shell);
            }
        }
        break;
    }
    fclose(f);
}

static void console_spawn(void)
{
    g_console_started = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        logmsg("console: fork: %s", strerror(errno));
        g_console_due = now_ms() + 1000;
        return;
    }
    if (pid > 0) {
        g_console_pid = pid;
        g_console_due = 0;
        return;
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int fd = open(g_console_dev, O_RDWR);
    if (fd < 0) {
        _exit(127);
    }
    ioctl(fd, TIOCSCTTY, 1);
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        /* A sane cooked line: a previous shell or the kernel may have left it in any mode. */
        t.c_iflag = ICRNL | IXON | IUTF8;
        t.c_oflag = OPOST | ONLCR;
        t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
        tcsetattr(fd, TCSANOW, &t);
    }
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 0) {
        /* A serial line has no size; the page's terminal starts at 80x24 (stty can change it). */
        ws.ws_row = 24;
        ws.ws_col = 80;
        ioctl(fd, TIOCSWINSZ, &ws);
    }
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) {
        close(fd);
    }
    char shell[256];
    root_shell(shell, sizeof shell);
    const char *base = strrchr(shell, '/');
    char argv0[258];
    snprintf(argv0, sizeof argv0, "-%s", base ? base + 1 : shell);
    clearenv();
    setenv("HOME", "/root", 1);
    setenv("USER", "root", 1);
    setenv("LOGNAME", "root", 1);
    setenv("SHELL", shell, 1);
    setenv("TERM", "xterm-256color", 1);
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    if (chdir("/root") < 0 && chdir("/") < 0) {
        _exit(127);
    }
    execl(shell, argv0, (char *)NULL);
    _exit(127);
}

int console_reaped(pid_t pid)
{
    if (pid == 0 || pid != g_console_pid) {
        return 0;
    }
    g_console_pid = 0;
    /* A shell that dies at once (no device, broken rootfs) is retried once a second, not in a loop. */
    g_console_due = now_ms() + (now_ms() - g_console_started < 1000 ? 1000 : 50);
    return 1;
}

int console_tick(void)
{
    if (g_console_due == 0 || g_console_pid != 0) {
        return -1;
    }
    uint64_t now = now_ms();
    if (now >= g_console_due) {
        console_spawn();
        return g_console_due == 0 ? -1 : 1000;
    }
    return (int)(g_console_due - now);
}
