// SPDX-License-Identifier: GPL-2.0
/*
 * kpinj: make a kernel function fail on purpose, through kprobes, on kernels built without fail_function
 * (Debian's stock kernels have neither CONFIG_FUNCTION_ERROR_INJECTION nor bpf_override_return).
 *
 * Three independent probes, each armed only when its symbol is given:
 *   func=SYM retval=V interval=N skip=S times=T [filt_arg=A filt_min=M]
 *       on entry to SYM, return V without running the body: on every N-th eligible call after the first S,
 *       at most T times (T < 0: no limit). Eligible = argument A (1..6, x86-64 calling convention) >= M, when
 *       A is set. interval=0 only counts calls (proves the function is reached and not inlined).
 *   noop=SYM noop_ret=V
 *       SYM always returns V at once (positive control: e.g. iommu_unmap as a no-op = "cleanup forgotten").
 *   proof=SYM
 *       kretprobe counting the calls of SYM during which this task had an injection: evidence that the code the
 *       fix changes ran with the error in hand (proof_count), and what it returned then (proof_ret0/proof_retnz).
 * Counters are read-only module parameters under /sys/module/kpinj/parameters/.
 *
 * Overriding works like bpf_override_return(): the pre-handler sets the return register and points the
 * instruction pointer at a bare "ret", so the caller sees the error and the function body never runs.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/atomic.h>
#include <linux/sched.h>
#include <asm/linkage.h>
#include <linux/objtool.h>

static char func[KSYM_NAME_LEN];
module_param_string(func, func, sizeof(func), 0444);
static long retval = -12;
module_param(retval, long, 0444);
static int interval = 1;
module_param(interval, int, 0444);
static int skip;
module_param(skip, int, 0444);
static int times = -1;
module_param(times, int, 0444);
static int filt_arg;
module_param(filt_arg, int, 0444);
static unsigned long filt_min;
module_param(filt_min, ulong, 0444);

static char noop[KSYM_NAME_LEN];
module_param_string(noop, noop, sizeof(noop), 0444);
static long noop_ret;
module_param(noop_ret, long, 0444);

static char proof[KSYM_NAME_LEN];
module_param_string(proof, proof, sizeof(proof), 0444);

static atomic_t hits = ATOMIC_INIT(0);
static atomic_t injected = ATOMIC_INIT(0);
static atomic_t noop_hits = ATOMIC_INIT(0);
static atomic_t proof_hits = ATOMIC_INIT(0);
static atomic_t proof_count = ATOMIC_INIT(0);
static atomic_t proof_ret0 = ATOMIC_INIT(0);
static atomic_t proof_retnz = ATOMIC_INIT(0);
static int proof_missed;
module_param_named(hits, hits.counter, int, 0444);
module_param_named(injected, injected.counter, int, 0444);
module_param_named(noop_hits, noop_hits.counter, int, 0444);
module_param_named(proof_hits, proof_hits.counter, int, 0444);
module_param_named(proof_count, proof_count.counter, int, 0444);
module_param_named(proof_ret0, proof_ret0.counter, int, 0444);
module_param_named(proof_retnz, proof_retnz.counter, int, 0444);
module_param(proof_missed, int, 0444);

/*
 * Which task got the last injections: lets the proof kretprobe tell "an injection happened inside THIS call"
 * from one on another CPU. A ring is enough: a proof call spans a handful of injections at most.
 */
#define INJ_RING 64
static struct task_struct *inj_task[INJ_RING];

void kpinj_just_return(void);
asm(
	".text\n"
	".type kpinj_just_return, @function\n"
	".globl kpinj_just_return\n"
	ASM_FUNC_ALIGN
	"kpinj_just_return:\n"
		ANNOTATE_NOENDBR "\n"
		ASM_RET
	".size kpinj_just_return, .-kpinj_just_return\n"
);

static void override_return(struct pt_regs *regs, long value)
{
	regs->ax = (unsigned long)value;
	instruction_pointer_set(regs, (unsigned long)&kpinj_just_return);
}

static bool argument_eligible(struct pt_regs *regs)
{
	unsigned long args[7] = { 0, regs->di, regs->si, regs->dx, regs->cx, regs->r8, regs->r9 };

	if (!filt_arg)
		return true;
	return filt_arg >= 1 && filt_arg <= 6 && args[filt_arg] >= filt_min;
}

static int inject_pre(struct kprobe *p, struct pt_regs *regs)
{
	int n, seq;

	if (!argument_eligible(regs))
		return 0;
	n = atomic_inc_return(&hits);
	if (interval <= 0 || n <= skip || (n - skip) % interval)
		return 0;
	if (times >= 0 && atomic_read(&injected) >= times)
		return 0;
	seq = atomic_inc_return(&injected);
	WRITE_ONCE(inj_task[seq % INJ_RING], current);
	override_return(regs, retval);
	return 1;	/* the IP changed: no single-step */
}

static int noop_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&noop_hits);
	override_return(regs, noop_ret);
	return 1;
}

struct proof_frame {
	int seq_at_entry;
};

static int proof_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct proof_frame *f = (struct proof_frame *)ri->data;

	f->seq_at_entry = atomic_read(&injected);
	atomic_inc(&proof_hits);
	return 0;
}

static int proof_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct proof_frame *f = (struct proof_frame *)ri->data;
	int now = atomic_read(&injected), s;

	for (s = now; s > f->seq_at_entry && now - s < INJ_RING; s--) {
		if (READ_ONCE(inj_task[s % INJ_RING]) != current)
			continue;
		atomic_inc(&proof_count);
		if (regs_return_value(regs))
			atomic_inc(&proof_retnz);
		else
			atomic_inc(&proof_ret0);
		break;
	}
	return 0;
}

static struct kprobe inject_kp = { .pre_handler = inject_pre };
static struct kprobe noop_kp = { .pre_handler = noop_pre };
static struct kretprobe proof_krp = {
	.entry_handler = proof_entry,
	.handler = proof_return,
	.data_size = sizeof(struct proof_frame),
	.maxactive = 64,
};

static int arm_kprobe(struct kprobe *kp, const char *sym, const char *what)
{
	int ret;

	kp->symbol_name = sym;
	ret = register_kprobe(kp);
	if (ret)
		pr_err("kpinj: cannot probe %s %s: %d\n", what, sym, ret);
	else
		pr_info("kpinj: %s armed on %s (%px, ftrace=%d)\n", what, sym, kp->addr, kprobe_ftrace(kp));
	return ret;
}

static int __init kpinj_init(void)
{
	int ret;

	if (!func[0] && !noop[0] && !proof[0]) {
		pr_err("kpinj: nothing to do: give func=, noop= and/or proof=\n");
		return -EINVAL;
	}
	if (func[0]) {
		ret = arm_kprobe(&inject_kp, func, "inject");
		if (ret)
			return ret;
		pr_info("kpinj: retval=%ld interval=%d skip=%d times=%d filt_arg=%d filt_min=%lu\n",
			retval, interval, skip, times, filt_arg, filt_min);
	}
	if (noop[0]) {
		ret = arm_kprobe(&noop_kp, noop, "noop");
		if (ret)
			goto out_inject;
	}
	if (proof[0]) {
		proof_krp.kp.symbol_name = proof;
		ret = register_kretprobe(&proof_krp);
		if (ret) {
			pr_err("kpinj: cannot probe proof %s: %d\n", proof, ret);
			goto out_noop;
		}
		pr_info("kpinj: proof armed on %s\n", proof);
	}
	return 0;

out_noop:
	if (noop[0])
		unregister_kprobe(&noop_kp);
out_inject:
	if (func[0])
		unregister_kprobe(&inject_kp);
	return ret;
}

static void __exit kpinj_exit(void)
{
	if (proof[0]) {
		unregister_kretprobe(&proof_krp);
		proof_missed = proof_krp.nmissed;
	}
	if (noop[0])
		unregister_kprobe(&noop_kp);
	if (func[0])
		unregister_kprobe(&inject_kp);
	pr_info("kpinj: %s hits=%d injected=%d noop_hits=%d proof_hits=%d proof_count=%d\n", func,
		atomic_read(&hits), atomic_read(&injected), atomic_read(&noop_hits),
		atomic_read(&proof_hits), atomic_read(&proof_count));
}
module_init(kpinj_init);
module_exit(kpinj_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("stablebot: kprobe-based error injection and proof counters for error-path tests");
