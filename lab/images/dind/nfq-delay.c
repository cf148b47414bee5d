/*
 * nfq-delay: netem-like delay/jitter/loss in userspace, for kernels without
 * sch_netem. Packets are steered here by an iptables NFQUEUE rule, e.g.
 *
 *   iptables -t raw -I PREROUTING -s 10.0.0.2 -j NFQUEUE --queue-num 7 --queue-bypass
 *
 * Prefer ingress hooks (PREROUTING/INPUT/FORWARD). A locally generated skb
 * held in OUTPUT/POSTROUTING still counts against its socket's send budget
 * (TCP small queues, SO_SNDBUF), so a local TCP sender gets only ~2-3
 * segments per delay period through: ~40 KB/s at 100 ms. netem avoids this
 * by orphaning the skb; NFQUEUE cannot. Ingress skbs are already orphaned.
 *
 * Each packet is given a release time (now + delay +/- uniform jitter) and
 * kept in a min-heap; when it is due we give the kernel an NF_ACCEPT verdict
 * for its id, which re-injects it where it was taken from. Loss is an
 * immediate NF_DROP. Only metadata is copied to userspace (NFQNL_COPY_META):
 * the packet itself stays in the kernel until the verdict. With --corrupt
 * the packets are copied too (NFQNL_COPY_PACKET), and a chosen one is
 * released with one bit flipped past its IP header (as netem does, checksums
 * are left alone, so the receiver normally discards it).
 *
 * Duplication is NOT offered: a verdict can only accept/drop/repeat the one
 * queued skb; cloning would need the payload re-sent through a raw socket,
 * which re-enters the hooks (and this queue) as a new local packet.
 *
 * Build: gcc -O2 -Wall -o nfq-delay nfq-delay.c -lnetfilter_queue
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>          /* NF_ACCEPT, NF_DROP */
#include <libnetfilter_queue/libnetfilter_queue.h>

/* ---- packet heap, ordered by (release time, arrival sequence) ---- */

struct pkt {
	uint64_t due_ns, seq;
	uint32_t id;
	uint32_t len;           /* replacement payload (corrupted copy), or */
	unsigned char *data;    /* NULL: release the packet unchanged */
};

static struct pkt *heap;
static size_t heap_len, heap_cap;

static int pkt_before(const struct pkt *a, const struct pkt *b)
{
	/* seq breaks ties so equal release times keep arrival order */
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static int heap_push(struct pkt p)
{
	if (heap_len == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 1024;
		struct pkt *n = realloc(heap, cap * sizeof *n);
		if (!n)
			return -1;
		heap = n;
		heap_cap = cap;
	}
	size_t i = heap_len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!pkt_before(&p, &heap[parent]))
			break;
		heap[i] = heap[parent];
		i = parent;
	}
	heap[i] = p;
	return 0;
}

static struct pkt heap_pop(void)
{
	struct pkt top = heap[0], last = heap[--heap_len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && pkt_before(&heap[c + 1], &heap[c]))
			c++;
		if (!pkt_before(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_len)
		heap[i] = last;
	return top;
}

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static uint64_t rng_state;

static double rand01(void)   /* splitmix64 -> [0,1) */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (z >> 11) * (1.0 / 9007199254740992.0);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* ---- configuration and counters ---- */

static double delay_ms, jitter_ms, loss_pct, corrupt_pct;
static int no_reorder;
static int closing;             /* set once we are shutting down */
static uint64_t seq, last_due;
static uint32_t last_id;
static struct nfq_q_handle *qh;

static uint64_t n_recv, n_accept, n_loss, n_corrupt, n_enobufs,
		n_verdict_err, n_exit_accept, max_depth;

static void verdict(uint32_t id, int v, uint32_t len, unsigned char *data)
{
	if (nfq_set_verdict(qh, id, v, len, data) < 0)
		n_verdict_err++;
	free(data);
}

/* A copy of the packet with one random bit flipped after the IP header. */
static unsigned char *corrupted_copy(struct nfq_data *nfa, uint32_t *len)
{
	unsigned char *pl;
	int n = nfq_get_payload(nfa, &pl);
	if (n <= 0)
		return NULL;
	int l3 = (pl[0] >> 4) == 4 ? (pl[0] & 0x0f) * 4 : 40;   /* IPv4 / IPv6 */
	if (n <= l3)
		return NULL;
	unsigned char *c = malloc(n);
	if (!c)
		return NULL;
	memcpy(c, pl, n);
	size_t off = l3 + (size_t)(rand01() * (n - l3));
	c[off] ^= (unsigned char)(1u << (int)(rand01() * 8));
	*len = (uint32_t)n;
	return c;
}

/* called by nfq_handle_packet() for each queued packet */
static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg,
		     struct nfq_data *nfa, void *data)
{
	(void)q; (void)msg; (void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	last_id = id;
	n_recv++;

	if (closing) {   /* queued before fail-open took effect: the final */
		n_exit_accept++;   /* batch verdict in main() releases it */
		return 0;
	}

	if (loss_pct > 0 && rand01() * 100.0 < loss_pct) {
		n_loss++;
		verdict(id, NF_DROP, 0, NULL);
		return 0;
	}

	double d = delay_ms;
	if (jitter_ms > 0)
		d += (rand01() * 2.0 - 1.0) * jitter_ms;   /* uniform, like netem */
	if (d < 0)
		d = 0;
	uint64_t due = now_ns() + (uint64_t)(d * 1e6);
	/* With jitter, later packets may get earlier release times and overtake
	 * earlier ones (netem does the same). --no-reorder forbids that. */
	if (no_reorder && due < last_due)
		due = last_due;
	last_due = due;

	struct pkt p = { due, seq++, id, 0, NULL };
	if (corrupt_pct > 0 && rand01() * 100.0 < corrupt_pct &&
	    (p.data = corrupted_copy(nfa, &p.len)) != NULL)
		n_corrupt++;
	if (heap_push(p) < 0) {          /* out of memory: don't hold it */
		verdict(id, NF_ACCEPT, p.len, p.data);
		n_accept++;
		return 0;
	}
	if (heap_len > max_depth)
		max_depth = heap_len;
	return 0;
}

/* Read up to max queued packet messages without blocking. */
static void drain(struct nfq_handle *h, int fd, int max)
{
	static char buf[65536] __attribute__((aligned));
	for (int i = 0; i < max; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			nfq_handle_packet(h, buf, (int)n);
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			/* the socket overran and the kernel dropped packet(s) it
			 * could not deliver; nothing to undo, keep going */
			n_enobufs++;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			perror("recv");
		break;
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --queue N --delay-ms D [--jitter-ms J] [--loss PCT]\n"
		"          [--corrupt PCT] [--seed S] [--no-reorder] [--limit PKTS]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long queue = -1;
	long limit = 10000;          /* kernel-side queue length, like netem's limit */
	uint64_t seed = 0;
	int have_seed = 0;
	static const struct option opts[] = {
		{ "queue",      required_argument, 0, 'q' },
		{ "delay-ms",   required_argument, 0, 'd' },
		{ "jitter-ms",  required_argument, 0, 'j' },
		{ "loss",       required_argument, 0, 'l' },
		{ "corrupt",    required_argument, 0, 'c' },
		{ "seed",       required_argument, 0, 's' },
		{ "no-reorder", no_argument,       0, 'r' },
		{ "limit",      required_argument, 0, 'L' },
		{ 0, 0, 0, 0 }
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': queue = strtol(optarg, NULL, 10); break;
		case 'd': delay_ms = strtod(optarg, NULL); break;
		case 'j': jitter_ms = strtod(optarg, NULL); break;
		case 'l': loss_pct = strtod(optarg, NULL); break;
		case 'c': corrupt_pct = strtod(optarg, NULL); break;
		case 's': seed = strtoull(optarg, NULL, 10); have_seed = 1; break;
		case 'r': no_reorder = 1; break;
		case 'L': limit = strtol(optarg, NULL, 10); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || queue < 0 || queue > 65535 || delay_ms < 0 ||
	    jitter_ms < 0 || loss_pct < 0 || loss_pct > 100 || corrupt_pct < 0 ||
	    corrupt_pct > 100 || limit < 1)
		usage(argv[0]);
	rng_state = have_seed ? seed : (now_ns() ^ ((uint64_t)getpid() << 32));

	struct nfq_handle *h = nfq_open();
	if (!h) { perror("nfq_open"); return 1; }
	/* no-ops on kernels >= 3.8, needed on older ones; failures are harmless */
	nfq_unbind_pf(h, AF_INET);
	nfq_bind_pf(h, AF_INET);
	qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
	if (!qh) {
		fprintf(stderr, "nfq-delay: cannot bind queue %ld: %s "
			"(already bound by another process?)\n", queue, strerror(errno));
		return 1;
	}
	/* corruption needs the bytes; plain delay/loss only the packet id */
	if (nfq_set_mode(qh, corrupt_pct > 0 ? NFQNL_COPY_PACKET : NFQNL_COPY_META,
			 0xffff) < 0) {
		perror("nfq_set_mode"); return 1;
	}
	if (nfq_set_queue_maxlen(qh, (uint32_t)limit) < 0)
		perror("nfq_set_queue_maxlen (continuing)");
	/* F_GSO: unless corrupting, we never look at the payload, so let the
	 * kernel hand us GSO/GRO super-packets whole instead of segmenting them
	 * first; the verdict then applies to the whole burst. When corrupting,
	 * leave it off so a flipped bit hits one wire-sized packet. */
	if (corrupt_pct == 0 &&
	    nfq_set_queue_flags(qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0)
		perror("nfq_set_queue_flags GSO (continuing)");
	/* Each held packet costs one netlink message until we read it; a big
	 * receive buffer avoids ENOBUFS (=kernel dropped a packet) on bursts.
	 * SO_RCVBUFFORCE (needs CAP_NET_ADMIN) lifts the rmem_max cap. */
	int fd = nfq_fd(h);
	int rcvbuf = 16 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

	/* SIGTERM/SIGINT are blocked except inside ppoll(), so a signal can't
	 * slip in between checking `stop` and going to sleep. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("nfq-delay: queue %ld, delay %g ms, jitter %g ms", queue, delay_ms,
	       jitter_ms);
	if (loss_pct > 0)
		printf(", loss %g%%", loss_pct);
	if (corrupt_pct > 0)
		printf(", corrupt %g%%", corrupt_pct);
	printf("\n");
	fflush(stdout);

	while (!stop) {
		/* sleep until the socket is readable or the earliest packet is due */
		struct timespec ts, *tsp = NULL;
		if (heap_len) {
			uint64_t now = now_ns();
			uint64_t wait = heap[0].due_ns > now ? heap[0].due_ns - now : 0;
			ts.tv_sec = wait / 1000000000u;
			ts.tv_nsec = wait % 1000000000u;
			tsp = &ts;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = ppoll(&pfd, 1, tsp, &waitmask);
		if (pr < 0 && errno != EINTR) { perror("ppoll"); break; }

		/* read what is queued, but bounded so a flood can't starve releases */
		if (pr > 0)
			drain(h, fd, 256);

		uint64_t now = now_ns();
		while (heap_len && heap[0].due_ns <= now) {
			struct pkt p = heap_pop();
			verdict(p.id, NF_ACCEPT, p.len, p.data);
			n_accept++;
		}
	}

	/* Shutdown without losing packets. Destroying the queue makes the kernel
	 * DROP whatever is still queued, so first stop new packets from being
	 * queued: with FAIL_OPEN and a max length of 0 the kernel accepts them
	 * itself. (Note these config calls wait for an ack and may run
	 * on_packet() meanwhile; `closing` makes it only count.) Then read what
	 * was queued before that, and release all of it with one batch verdict.
	 * The kernel walks its queue (oldest first) accepting entries until one
	 * is "after" maxid, i.e. (int32)(maxid - id) < 0. So maxid must be ahead
	 * of the newest id but less than 2^31 ahead of the oldest held one:
	 * last_id + 2^30 covers everything (at most `limit` are queued). */
	closing = 1;
	if (nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0 ||
	    nfq_set_queue_maxlen(qh, 0) < 0)
		perror("nfq-delay: cannot switch queue to fail-open at exit");
	drain(h, fd, INT_MAX);
	n_exit_accept += heap_len;
	if (nfq_set_verdict_batch(qh, last_id + (1u << 30), NF_ACCEPT) < 0) {
		n_verdict_err++;
		while (heap_len) {             /* fall back to one by one */
			struct pkt p = heap_pop();
			verdict(p.id, NF_ACCEPT, p.len, p.data);
		}
	}
	while (heap_len)      /* released unchanged by the batch; free copies */
		free(heap_pop().data);
	n_accept += n_exit_accept;

	nfq_destroy_queue(qh);
	nfq_close(h);
	fprintf(stderr, "nfq-delay: exit: received %" PRIu64 ", accepted %" PRIu64
		" (%" PRIu64 " at exit), lost %" PRIu64 ", corrupted %" PRIu64
		", max held %" PRIu64
		", enobufs %" PRIu64 ", verdict errors %" PRIu64 "\n",
		n_recv, n_accept, n_exit_accept, n_loss, n_corrupt, max_depth, n_enobufs,
		n_verdict_err);
	return 0;
}
