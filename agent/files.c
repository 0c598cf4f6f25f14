/* sandbox86 guest agent: file operations (atomic write, streamed read, stat, list, remove, mkdir). */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MAX_FILES 32
#define READ_CHUNK 32768
#define DEFAULT_WINDOW (256 * 1024)

struct fwrite_s {
    int used;
    uint32_t stream;
    int fd;
    mode_t mode;
    char *path, *tmp;
};

struct fread_s {
    int used;
    uint32_t stream;
    int fd;
    int64_t credit;
    uint64_t sent;
};

static struct fwrite_s g_w[MAX_FILES];
static struct fread_s g_r[MAX_FILES];
static struct pbuf g_pb;
static uint8_t g_chunk[READ_CHUNK];

struct req {
    char *path;
    uint32_t mode;
    int parents, recursive, has_mode;
    uint32_t window;
};

/* Parses the common request fields; reports and returns -1 when the request is unusable. */
static int parse_req(const struct frame *f, struct req *q)
{
    memset(q, 0, sizeof *q);
    q->window = DEFAULT_WINDOW;
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    int r;
    while ((r = tlv_next(&t)) > 0) {
        switch (t.tag) {
        case T_PATH: free(q->path); q->path = tlv_strdup(&t); break;
        case T_MODE: q->mode = (uint32_t)tlv_uint(&t); q->has_mode = 1; break;
        case T_PARENTS: q->parents = tlv_uint(&t) != 0; break;
        case T_RECURSIVE: q->recursive = tlv_uint(&t) != 0; break;
        case T_WINDOW: q->window = (uint32_t)tlv_uint(&t); break;
        default: break;
        }
    }
    if (r < 0 || q->path == NULL || q->path[0] == 0) {
        send_error(f->stream, EINVAL, "malformed request: path required");
        free(q->path);
        q->path = NULL;
        return -1;
    }
    return 0;
}

int mkdir_parents(const char *path, mode_t mode, int include_last)
{
    char *p = strdup(path);
    if (p == NULL) {
        errno = ENOMEM;
        return -1;
    }
    size_t len = strlen(p);
    int rc = 0;
    for (size_t i = 1; i <= len && rc == 0; i++) {
        if (p[i] == '/' || (i == len && include_last)) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, mode) < 0) {
                struct stat st;
                if (errno != EEXIST) {
                    rc = -1;
                } else if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                    errno = ENOTDIR;
                    rc = -1;
                }
            }
            p[i] = c;
        }
    }
    int e = errno;
    free(p);
    errno = e;
    return rc;
}

static struct fwrite_s *find_w(uint32_t stream)
{
    for (int i = 0; i < MAX_FILES; i++) {
        if (g_w[i].used && g_w[i].stream == stream) {
            return &g_w[i];
        }
    }
    return NULL;
}

static void drop_w(struct fwrite_s *w, int unlink_tmp)
{
    if (w->fd >= 0) {
        close(w->fd);
    }
    if (unlink_tmp && w->tmp) {
        unlink(w->tmp);
    }
    free(w->path);
    free(w->tmp);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

void file_write_open(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    struct fwrite_s *w = NULL;
    for (int i = 0; i < MAX_FILES && w == NULL; i++) {
        w = g_w[i].used ? NULL : &g_w[i];
    }
    if (find_w(f->stream) || w == NULL) {
        send_error(f->stream, EBUSY, "too many open writes or stream in use");
        free(q.path);
        return;
    }
    if (q.parents) {
        char *slash = strrchr(q.path, '/');
        if (slash && slash != q.path) {
            *slash = 0;
            int rc = mkdir_parents(q.path, 0755, 1);
            int e = errno;
            *slash = '/';
            if (rc < 0) {
                send_error(f->stream, e, "mkdir for %s: %s", q.path, strerror(e));
                free(q.path);
                return;
            }
        }
    }
    size_t n = strlen(q.path) + 48;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        send_error(f->stream, ENOMEM, "out of memory");
        free(q.path);
        return;
    }
    /* Temp file beside the target so rename() is atomic (same filesystem). */
    snprintf(tmp, n, "%s.sbx86-%d-%u", q.path, (int)getpid(), f->stream);
    mode_t mode = q.has_mode ? (mode_t)(q.mode & 07777) : 0644;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
        free(q.path);
        free(tmp);
        return;
    }
    *w = (struct fwrite_s){ 1, f->stream, fd, mode, q.path, tmp };
}

void file_write_data(const struct frame *f)
{
    struct fwrite_s *w = find_w(f->stream);
    if (w == NULL) {
        return; /* already failed and reported */
    }
    const uint8_t *p = f->payload;
    uint32_t left = f->len;
    while (left > 0) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            send_error(f->stream, e, "write %s: %s", w->path, strerror(e));
            drop_w(w, 1);
            return;
        }
        p += n;
        left -= (uint32_t)n;
    }
}

void file_write_end(const struct frame *f, int abort)
{
    struct fwrite_s *w = find_w(f->stream);
    if (w == NULL) {
        return;
    }
    if (abort) {
        drop_w(w, 1);
        return;
    }
    /* fchmod after the fact: the mode must not depend on the agent's umask. */
    if (fchmod(w->fd, w->mode) < 0 || close(w->fd) < 0) {
        int e = errno;
        w->fd = -1;
        send_error(f->stream, e, "%s: %s", w->path, strerror(e));
        drop_w(w, 1);
        return;
    }
    w->fd = -1;
    if (rename(w->tmp, w->path) < 0) {
        int e = errno;
        send_error(f->stream, e, "rename to %s: %s", w->path, strerror(e));
        drop_w(w, 1);
        return;
    }
    drop_w(w, 0);
    send_ok(f->stream);
}

void file_read_start(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    struct fread_s *r = NULL;
    for (int i = 0; i < MAX_FILES && r == NULL; i++) {
        r = g_r[i].used ? NULL : &g_r[i];
    }
    if (r == NULL) {
        send_error(f->stream, EBUSY, "too many open reads");
        free(q.path);
        return;
    }
    int fd = open(q.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        e = EISDIR;
    }
    if (e) {
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
        if (fd >= 0) {
            close(fd);
        }
        free(q.path);
        return;
    }
    free(q.path);
    *r = (struct fread_s){ 1, f->stream, fd, q.window, 0 };
}

void file_read_abort(uint32_t stream)
{
    for (int i = 0; i < MAX_FILES; i++) {
        if (g_r[i].used && g_r[i].stream == stream) {
            close(g_r[i].fd);
            memset(&g_r[i], 0, sizeof g_r[i]);
        }
    }
}

int file_credit(uint32_t stream, uint32_t delta)
{
    for (int i = 0; i < MAX_FILES; i++) {
        if (g_r[i].used && g_r[i].stream == stream) {
            g_r[i].credit += delta;
            return 1;
        }
    }
    return 0;
}

int file_pump(void)
{
    int more = 0;
    for (int i = 0; i < MAX_FILES; i++) {
        struct fread_s *r = &g_r[i];
        if (!r->used || r->credit <= 0) {
            continue;
        }
        size_t want = r->credit < READ_CHUNK ? (size_t)r->credit : READ_CHUNK;
        ssize_t n = read(r->fd, g_chunk, want);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            more = 1;
            continue;
        }
        if (n > 0) {
            r->credit -= n;
            r->sent += (uint64_t)n;
            send_frame(M_FDATA, r->stream, g_chunk, (uint32_t)n);
            more |= r->credit > 0;
            continue;
        }
        if (n < 0) {
            send_error(r->stream, errno, "read: %s", strerror(errno));
        } else {
            pb_reset(&g_pb);
            pb_u64(&g_pb, T_SIZE, r->sent);
            send_frame(M_FEOF, r->stream, g_pb.data, g_pb.len);
        }
        close(r->fd);
        memset(r, 0, sizeof *r);
    }
    return more;
}

static void put_stat(struct pbuf *b, const struct stat *st)
{
    pb_u32(b, T_MODE, (uint32_t)st->st_mode);
    pb_u64(b, T_SIZE, (uint64_t)st->st_size);
    pb_u64(b, T_MTIME_NS, (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec);
    pb_u32(b, T_UID, (uint32_t)st->st_uid);
    pb_u32(b, T_GID, (uint32_t)st->st_gid);
}

void file_stat(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    struct stat st;
    if (lstat(q.path, &st) < 0) {
        int e = errno;
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        pb_reset(&g_pb);
        put_stat(&g_pb, &st);
        send_frame(M_STAT_RESULT, f->stream, g_pb.data, g_pb.len);
    }
    free(q.path);
}

void file_list(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    DIR *d = opendir(q.path);
    if (d == NULL) {
        int e = errno;
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
        free(q.path);
        return;
    }
    pb_reset(&g_pb);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            memset(&st, 0, sizeof st);
        }
        /* Entries are flushed in frames well below the payload limit; T_NAME starts an entry. */
        if (g_pb.len > MAX_PAYLOAD - 1024) {
            send_frame(M_LIST_ENTRIES, f->stream, g_pb.data, g_pb.len);
            pb_reset(&g_pb);
        }
        pb_str(&g_pb, T_NAME, de->d_name);
        put_stat(&g_pb, &st);
    }
    closedir(d);
    if (g_pb.len > 0) {
        send_frame(M_LIST_ENTRIES, f->stream, g_pb.data, g_pb.len);
    }
    send_ok(f->stream);
    free(q.path);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return rc < 0 && errno != ENOENT ? -1 : 0;
}

void file_remove(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    struct stat st;
    int rc;
    if (lstat(q.path, &st) < 0) {
        rc = -1;
    } else if (S_ISDIR(st.st_mode)) {
        rc = q.recursive ? nftw(q.path, rm_one, 32, FTW_DEPTH | FTW_PHYS) : rmdir(q.path);
    } else {
        rc = unlink(q.path);
    }
    if (rc < 0) {
        int e = errno ? errno : EIO;
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        send_ok(f->stream);
    }
    free(q.path);
}

void file_mkdir(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    mode_t mode = q.has_mode ? (mode_t)(q.mode & 07777) : 0755;
    int rc = q.parents ? mkdir_parents(q.path, mode, 1) : mkdir(q.path, mode);
    if (rc < 0) {
        int e = errno;
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        send_ok(f->stream);
    }
    free(q.path);
}

/* ---- the bulk path: the host moves file bytes through v86's 9p tree, the agent keeps the guest coherent ----
 * The root filesystem is v86's own 9p tree, which the host can read and write without the guest (v86's
 * filesystem API). Writes land in a new inode under a name the guest has never looked up, so no cached
 * page or dentry can be stale; the agent then gives it owner and mode and renames it over the target,
 * the same atomic commit as FWRITE_END. Reads are preceded by fsync, so the tree holds what the guest's
 * page cache held. Anything not on that tree answers EXDEV and the host uses the channel instead. */

#define V9FS_MAGIC 0x01021997
#define STAGE_PREFIX ".sbx86-"

/* 1 when st (of path or fd) lives on the 9p root filesystem the host can see. */
static int on_root_tree(const struct stat *st, const struct statfs *sf)
{
    struct stat root;
    return stat("/", &root) == 0 && st->st_dev == root.st_dev && (unsigned long)sf->f_type == V9FS_MAGIC;
}

/* Canonical directory of a target path (which need not exist); NULL with errno set on failure. */
static char *canonical_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || slash == NULL || slash[1] == 0) {
        errno = EINVAL;
        return NULL;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = strndup(path, n);
    if (dir == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    char *canon = realpath(dir, NULL);
    int e = errno;
    free(dir);
    errno = e;
    return canon;
}

void file_stage(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    char *canon = NULL;
    int e = 0;
    if (q.path[0] != '/') {
        e = EINVAL;
    } else if (q.parents) {
        char *slash = strrchr(q.path, '/');
        if (slash && slash != q.path) {
            *slash = 0;
            if (mkdir_parents(q.path, 0755, 1) < 0) {
                e = errno;
            }
            *slash = '/';
        }
    }
    if (e == 0 && (canon = canonical_parent(q.path)) == NULL) {
        e = errno;
    }
    struct stat st;
    struct statfs sf;
    if (e == 0 && (stat(canon, &st) < 0 || statfs(canon, &sf) < 0)) {
        e = errno;
    }
    if (e == 0 && !S_ISDIR(st.st_mode)) {
        e = ENOTDIR;
    }
    if (e == 0 && !on_root_tree(&st, &sf)) {
        e = EXDEV;
    }
    if (e == 0 && lstat(q.path, &st) == 0 && S_ISDIR(st.st_mode)) {
        e = EISDIR;
    }
    if (e) {
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        pb_reset(&g_pb);
        pb_str(&g_pb, T_PATH, canon);
        send_frame(M_FPATH, f->stream, g_pb.data, g_pb.len);
    }
    free(canon);
    free(q.path);
}

void file_commit(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    char *name = NULL, *user = NULL;
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    while (tlv_next(&t) > 0) {
        if (t.tag == T_NAME) {
            free(name);
            name = tlv_strdup(&t);
        } else if (t.tag == T_USER) {
            free(user);
            user = tlv_strdup(&t);
        }
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    mode_t mode = q.has_mode ? (mode_t)(q.mode & 07777) : 0644;
    char *canon = NULL, *staged = NULL;
    int e = 0, fd = -1;
    /* Only a name the host made: never a path, never something else of the guest's. */
    if (name == NULL || strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX)) != 0 || strchr(name, '/') || strlen(name) > 128) {
        e = EINVAL;
    } else if ((canon = canonical_parent(q.path)) == NULL) {
        e = errno;
    } else if ((staged = malloc(strlen(canon) + strlen(name) + 2)) == NULL) {
        e = ENOMEM;
    } else if (sprintf(staged, "%s/%s", strcmp(canon, "/") == 0 ? "" : canon, name), user && lookup_owner(user, &uid, &gid) < 0) {
        e = EINVAL; /* no such user: refused before anything is renamed */
    } else {
        fd = open(staged, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            e = errno;
        } else if (!S_ISREG(st.st_mode)) {
            e = EINVAL;
        } else if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
            /* Owned by the agent's user as FWRITE does, or by the user asked for (`chown USER:` semantics:
               that account's primary group), the mode exactly as asked (no umask), before it is visible. */
            e = errno;
        } else if (rename(staged, q.path) < 0) {
            e = errno;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    if (e) {
        if (staged) {
            unlink(staged); /* only ever our own random name in that directory */
        }
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        send_ok(f->stream);
    }
    free(staged);
    free(canon);
    free(name);
    free(user);
    free(q.path);
}

void file_export(const struct frame *f)
{
    struct req q;
    if (parse_req(f, &q) < 0) {
        return;
    }
    int e = 0;
    char *canon = NULL;
    struct stat st, again;
    struct statfs sf;
    int fd = open(q.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0) {
        e = errno;
    } else if (S_ISDIR(st.st_mode)) {
        e = EISDIR;
    } else if (!S_ISREG(st.st_mode) || !on_root_tree(&st, &sf)) {
        e = EXDEV; /* FIFOs, devices, tmpfs: the channel reads those */
    } else if (fsync(fd) < 0 && errno != EINVAL) {
        e = errno;
    } else if ((canon = realpath(q.path, NULL)) == NULL) {
        e = errno;
    } else if (stat(canon, &again) < 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
        e = EXDEV; /* renamed under us, or reached through a bind mount: the tree path is not this file */
    } else if (fstat(fd, &st) < 0) {
        e = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (e) {
        send_error(f->stream, e, "%s: %s", q.path, strerror(e));
    } else {
        pb_reset(&g_pb);
        pb_str(&g_pb, T_PATH, canon);
        pb_u64(&g_pb, T_SIZE, (uint64_t)st.st_size);
        send_frame(M_FPATH, f->stream, g_pb.data, g_pb.len);
    }
    free(canon);
    free(q.path);
}
