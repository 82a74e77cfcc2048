// SPDX-License-Identifier: GPL-2.0
/*
 * probe.bpf.c: the kernel side of cxrec's probe (see probe_event.h, probe.c).
 *
 * Only the traced command's process tree is reported: `traced` holds its
 * thread-group ids, seeded by cxrec run with the command's pid and grown
 * at every fork of a traced process.  Raw tracepoints only (no tracefs, no
 * kprobes, no BTF-typed programs needed):
 *   sched_process_fork   a traced process's child becomes traced
 *   sched_process_exec   report the program, parent, arguments
 *   sched_process_exit   report the end of a traced process
 *   inet_sock_set_state  a traced task's TCP socket goes to SYN_SENT: note
 *                        who; when that socket is ESTABLISHED (possibly in
 *                        another context), report its 4-tuple with them.
 * An event that finds the ring buffer full is counted in `lost`.  Events
 * wake nobody: the reader drains the buffer every CX_PROBE_POLL_MS (a
 * wakeup per event would cost the traced program a context switch per
 * connection on a small machine).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "probe_event.h"

#define AF_INET         2
#define AF_INET6        10
#define IPPROTO_TCP     6
/* include/net/tcp_states.h */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT    2

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

struct who {
	__u32           pid;
	__u32           tid;
	char            comm[CXP_COMM_LEN];     /* the thread group leader's */
	char            tcomm[CXP_COMM_LEN];    /* the thread's own */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);             /* the struct sock's address */
	__type(value, struct who);
} connecting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline int
is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

/*
 * An event in the ring buffer, its fixed part zeroed, or NULL, counted,
 * when the buffer is full.  Only an exec event has room for the program
 * and its arguments (CXP_EXEC_SIZE; the others are CXP_SHORT_SIZE), and
 * writes them; the reader trusts only their lengths and terminators.
 */
static __always_inline struct cxp_event *
reserve(__u32 type, __u64 size)
{
	struct cxp_event *e = bpf_ringbuf_reserve(&events, size, 0);

	if (e == NULL) {
		__u32 k = 0;
		__u64 *n = bpf_map_lookup_elem(&lost, &k);

		if (n != NULL)
			__sync_fetch_and_add(n, 1);
		return NULL;
	}
	__builtin_memset(e, 0, CXP_SHORT_SIZE);
	e->type = type;
	e->ts = bpf_ktime_get_ns();
	return e;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid);
	__u32 cpid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ppid == cpid || !is_traced(ppid))
		return 0;               /* a thread, or not ours */
	bpf_map_update_elem(&traced, &cpid, &one, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
    struct linux_binprm *bprm)
{
	__u32 pid = BPF_CORE_READ(p, tgid);
	struct cxp_event *e;
	unsigned long start, end;
	__u64 len;

	if (!is_traced(pid))
		return 0;
	if ((e = reserve(CXP_EXEC, CXP_EXEC_SIZE)) == NULL)
		return 0;
	e->pid = pid;
	e->tid = BPF_CORE_READ(p, pid);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
	    BPF_CORE_READ(bprm, filename));
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > CXP_ARGS_LEN)
		len = CXP_ARGS_LEN;
	if (len > 0 && bpf_probe_read_user(e->args, len & (CXP_ARGS_LEN - 1 |
	    CXP_ARGS_LEN), (const void *)start) == 0)
		e->args_len = len;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid);
	struct cxp_event *e;

	if (BPF_CORE_READ(p, pid) != pid || !is_traced(pid))
		return 0;               /* a thread, or not ours */
	bpf_map_delete_elem(&traced, &pid);
	if ((e = reserve(CXP_EXIT, CXP_SHORT_SIZE)) == NULL)
		return 0;
	e->pid = pid;
	e->tid = pid;
	/* A process that forked without exec is known from here on. */
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->exit_code = BPF_CORE_READ(p, exit_code);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(on_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct task_struct *task;
	struct cxp_event *e;
	struct who *w, nw;
	__u16 family;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		__u64 id = bpf_get_current_pid_tgid();

		__builtin_memset(&nw, 0, sizeof(nw));
		nw.pid = id >> 32;
		nw.tid = (__u32)id;
		if (!is_traced(nw.pid))
			return 0;
		bpf_get_current_comm(nw.tcomm, sizeof(nw.tcomm));
		task = (struct task_struct *)bpf_get_current_task();
		BPF_CORE_READ_STR_INTO(&nw.comm, task, group_leader, comm);
		bpf_map_update_elem(&connecting, &key, &nw, BPF_ANY);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	if ((w = bpf_map_lookup_elem(&connecting, &key)) == NULL)
		return 0;
	if (newstate != TCP_ESTABLISHED ||
	    (e = reserve(CXP_CONNECT, CXP_SHORT_SIZE)) == NULL) {
		bpf_map_delete_elem(&connecting, &key);
		return 0;
	}
	e->pid = w->pid;
	e->tid = w->tid;
	__builtin_memcpy(e->comm, w->comm, sizeof(e->comm));
	__builtin_memcpy(e->tcomm, w->tcomm, sizeof(e->tcomm));
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_map_delete_elem(&connecting, &key);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
