/*
 * probe_event.h: the events the kernel side of the probe (probe.bpf.c)
 * sends to cxrec run (probe.c) through a BPF ring buffer.  Included by
 * both, so plain fixed-size types only; the two are always built together.
 */
#ifndef CX_PROBE_EVENT_H
#define CX_PROBE_EVENT_H

enum cxp_type {
	CXP_CONNECT = 1,        /* a TCP connection established (client side) */
	CXP_EXEC = 2,           /* a process executed a program */
	CXP_EXIT = 3,           /* a process (its thread group) ended */
};

#define CXP_COMM_LEN    16
#define CXP_FILE_LEN    256
#define CXP_ARGS_LEN    1024    /* argv as NUL-separated strings, cut */

struct cxp_event {
	unsigned int            type;
	unsigned int            pid;            /* thread group */
	unsigned int            tid;
	unsigned int            ppid;           /* exec: the parent's tgid */
	unsigned long long      ts;             /* CLOCK_MONOTONIC ns */
	char                    comm[CXP_COMM_LEN];         /* the process's */
	char                    tcomm[CXP_COMM_LEN];        /* the thread's */
	/* connect: addresses in network order, ports in host order */
	unsigned short          family;         /* AF_INET, AF_INET6 */
	unsigned short          sport;
	unsigned short          dport;
	unsigned short          pad;
	unsigned char           saddr[16];
	unsigned char           daddr[16];
	/* exit */
	int                     exit_code;      /* wait status */
	/* exec; the other events end here (CXP_SHORT_SIZE) */
	unsigned int            args_len;       /* bytes of args used */
	char                    filename[CXP_FILE_LEN];
	char                    args[CXP_ARGS_LEN];
};

#define CXP_SHORT_SIZE  __builtin_offsetof(struct cxp_event, filename)
#define CXP_EXEC_SIZE   sizeof(struct cxp_event)

#endif
