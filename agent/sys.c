/* sandbox86 guest agent: post-restore system state (clock, entropy, network). */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int refuse(const struct frame *f)
{
    if (g_no_system) {
        send_error(f->stream, EPERM, "system changes disabled (--no-system)");
        return 1;
    }
    return 0;
}

void sys_set_clock(const struct frame *f)
{
    uint64_t ns = 0;
    int have = 0;
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    while (tlv_next(&t) > 0) {
        if (t.tag == T_TIME_NS) {
            ns = tlv_uint(&t);
            have = 1;
        }
    }
    if (!have) {
        send_error(f->stream, EINVAL, "set-clock needs a time");
        return;
    }
    if (refuse(f)) {
        return;
    }
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    if (clock_settime(CLOCK_REALTIME, &ts) < 0) {
        send_error(f->stream, errno, "clock_settime: %s", strerror(errno));
        return;
    }
    send_ok(f->stream);
}

void sys_reseed(const struct frame *f)
{
    const uint8_t *data = NULL;
    uint32_t len = 0;
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    while (tlv_next(&t) > 0) {
        if (t.tag == T_DATA) {
            data = t.val;
            len = t.len;
        }
    }
    if (data == NULL || len == 0 || len > 4096) {
        send_error(f->stream, EINVAL, "reseed needs 1..4096 bytes");
        return;
    }
    if (refuse(f)) {
        return;
    }
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        send_error(f->stream, errno, "/dev/urandom: %s", strerror(errno));
        return;
    }
    struct rand_pool_info *info = malloc(sizeof *info + len + 4);
    int credited = 0;
    if (info != NULL) {
        info->entropy_count = (int)len * 8;
        info->buf_size = (int)len;
        memcpy(info->buf, data, len);
        /* RNDADDENTROPY credits the pool (a restored snapshot must not repeat its randomness). */
        credited = ioctl(fd, RNDADDENTROPY, info) == 0;
        free(info);
    }
    int ok = credited;
    if (!credited) {
        /* Without CAP_SYS_ADMIN a plain write still mixes the bytes in, just uncredited. */
        ok = write(fd, data, len) == (ssize_t)len;
    }
    int e = errno;
    close(fd);
    if (!ok) {
        send_error(f->stream, e, "reseed: %s", strerror(e));
        return;
    }
    send_ok(f->stream);
}

static int set_addr(int s, const char *ifname, unsigned long req, uint32_t addr_be)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = addr_be;
    return ioctl(s, req, &ifr);
}

void sys_net_config(const struct frame *f)
{
    char ifname[IFNAMSIZ] = "eth0";
    uint32_t addr = 0, gw = 0, prefix = 24, mtu = 0;
    uint32_t dns[4];
    int ndns = 0, have_addr = 0, have_gw = 0, have_mac = 0;
    uint8_t mac[6];
    struct tlv t = { f->payload, f->payload + f->len, 0, 0, 0 };
    int r;
    while ((r = tlv_next(&t)) > 0) {
        switch (t.tag) {
        case T_IFNAME:
            if (t.len > 0 && t.len < IFNAMSIZ) {
                memcpy(ifname, t.val, t.len);
                ifname[t.len] = 0;
            }
            break;
        case T_ADDR: if (t.len == 4) { memcpy(&addr, t.val, 4); have_addr = 1; } break;
        case T_PREFIX: prefix = (uint32_t)tlv_uint(&t); break;
        case T_GATEWAY: if (t.len == 4) { memcpy(&gw, t.val, 4); have_gw = 1; } break;
        case T_DNS: if (t.len == 4 && ndns < 4) { memcpy(&dns[ndns++], t.val, 4); } break;
        case T_MAC: if (t.len == 6) { memcpy(mac, t.val, 6); have_mac = 1; } break;
        case T_MTU: mtu = (uint32_t)tlv_uint(&t); break;
        default: break;
        }
    }
    if (r < 0 || prefix > 32 || strchr(ifname, '/') != NULL) {
        send_error(f->stream, EINVAL, "malformed network config");
        return;
    }
    if (refuse(f)) {
        return;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        send_error(f->stream, errno, "socket: %s", strerror(errno));
        return;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    const char *step = NULL;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        step = "get flags";
    }
    if (!step && have_mac) {
        /* The MAC can only change while the link is down. */
        struct ifreq down = ifr;
        down.ifr_flags &= ~IFF_UP;
        struct ifreq hw;
        memset(&hw, 0, sizeof hw);
        snprintf(hw.ifr_name, IFNAMSIZ, "%s", ifname);
        hw.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
        memcpy(hw.ifr_hwaddr.sa_data, mac, 6);
        if (ioctl(s, SIOCSIFFLAGS, &down) < 0 || ioctl(s, SIOCSIFHWADDR, &hw) < 0) {
            step = "set mac";
        }
    }
    if (!step && mtu) {
        struct ifreq m = ifr;
        m.ifr_mtu = (int)mtu;
        if (ioctl(s, SIOCSIFMTU, &m) < 0) {
            step = "set mtu";
        }
    }
    if (!step && have_addr) {
        uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
        if (set_addr(s, ifname, SIOCSIFADDR, addr) < 0 || set_addr(s, ifname, SIOCSIFNETMASK, mask) < 0) {
            step = "set address";
        }
    }
    if (!step) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
            step = "link up";
        }
    }
    if (!step && have_gw) {
        struct rtentry rt;
        memset(&rt, 0, sizeof rt);
        ((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
        ((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
        ((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
        ((struct sockaddr_in *)&rt.rt_gateway)->sin_addr.s_addr = gw;
        rt.rt_flags = RTF_UP | RTF_GATEWAY;
        rt.rt_dev = ifname;
        /* Replace any old default route: delete until none is left, then add. */
        for (int i = 0; i < 8 && ioctl(s, SIOCDELRT, &rt) == 0; i++) {
        }
        if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
            step = "default route";
        }
    }
    int e = errno;
    close(s);
    if (step) {
        send_error(f->stream, e, "%s %s: %s", ifname, step, strerror(e));
        return;
    }
    if (ndns > 0) {
        const char *tmp = "/etc/resolv.conf.sbx86";
        FILE *rf = fopen(tmp, "we");
        int ok = rf != NULL;
        for (int i = 0; ok && i < ndns; i++) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &dns[i], a, sizeof a);
            ok = fprintf(rf, "nameserver %s\n", a) > 0;
        }
        if (rf != NULL && fclose(rf) != 0) {
            ok = 0;
        }
        if (!ok || rename(tmp, "/etc/resolv.conf") < 0) {
            e = errno;
            unlink(tmp);
            send_error(f->stream, e, "resolv.conf: %s", strerror(e));
            return;
        }
    }
    send_ok(f->stream);
}
