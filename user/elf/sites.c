// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "elf/sites.h"

/* Capstone is loaded only while a function is decoded: mapped for good,
 * its relocated tables for every architecture would keep about 5 MB of
 * the daemon resident. */
#define SITES_CAPSTONE "libcapstone.so.4"

struct disasm {
	void *lib;
	csh cs;
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	cs_err (*option)(csh handle, cs_opt_type type, size_t value);
	cs_err (*close)(csh *handle);
	size_t (*disasm)(csh handle, const uint8_t *code, size_t size, uint64_t address, size_t count, cs_insn **insn);
	bool (*disasm_iter)(csh handle, const uint8_t **code, size_t *size, uint64_t *address, cs_insn *insn);
	cs_insn *(*malloc)(csh handle);
	void (*free)(cs_insn *insn, size_t count);
	bool (*insn_group)(csh handle, const cs_insn *insn, unsigned int group_id);
	cs_err (*regs_access)(csh handle, const cs_insn *insn, cs_regs regs_read, uint8_t *regs_read_count,
			      cs_regs regs_write, uint8_t *regs_write_count);
};

/* A reference held across a file's decodes: then each decode's own
 * dlopen finds the library loaded. */
static void *held;

void sites_hold(void)
{
	if (!held)
		held = dlopen(SITES_CAPSTONE, RTLD_NOW | RTLD_LOCAL);
}

void sites_release(void)
{
	if (held)
		dlclose(held);
	held = NULL;
}

static void disasm_close(struct disasm *d)
{
	if (d->cs)
		d->close(&d->cs);
	if (d->lib)
		dlclose(d->lib);
}

/* Loads capstone and opens an x86-64 decoder with instruction details. */
static int disasm_open(struct disasm *d)
{
	memset(d, 0, sizeof(*d));
	d->lib = dlopen(SITES_CAPSTONE, RTLD_NOW | RTLD_LOCAL);
	if (!d->lib)
		return -ENOENT;
	*(void **)&d->open = dlsym(d->lib, "cs_open");
	*(void **)&d->option = dlsym(d->lib, "cs_option");
	*(void **)&d->close = dlsym(d->lib, "cs_close");
	*(void **)&d->disasm = dlsym(d->lib, "cs_disasm");
	*(void **)&d->disasm_iter = dlsym(d->lib, "cs_disasm_iter");
	*(void **)&d->malloc = dlsym(d->lib, "cs_malloc");
	*(void **)&d->free = dlsym(d->lib, "cs_free");
	*(void **)&d->insn_group = dlsym(d->lib, "cs_insn_group");
	*(void **)&d->regs_access = dlsym(d->lib, "cs_regs_access");
	if (!d->open || !d->option || !d->close || !d->disasm || !d->disasm_iter || !d->malloc || !d->free ||
	    !d->insn_group || !d->regs_access || d->open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
		d->cs = 0;
		disasm_close(d);
		return -ENOENT;
	}
	d->option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

/* Instructions looked at before the function's first call. */
#define SITES_WALK_MAX 16
#define SITES_CODE_MAX 96
/* The longest function whose returns are found. */
#define SITES_FUNC_MAX 65536

bool sites_emulated(const uint8_t *code, size_t n)
{
	if (!n)
		return false;
	/* push r8-r15 carries REX.B. */
	if (n >= 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57)
		return true;
	if ((code[0] >= 0x50 && code[0] <= 0x57) || code[0] == 0x90)
		return true;
	/* call rel32, jmp rel32, jmp rel8, jcc rel8. */
	if (code[0] == 0xe8 || code[0] == 0xe9 || code[0] == 0xeb || (code[0] >= 0x70 && code[0] <= 0x7f))
		return true;
	/* nopl and jcc rel32. */
	return n >= 2 && code[0] == 0x0f && (code[1] == 0x1f || (code[1] >= 0x80 && code[1] <= 0x8f));
}

/* Whether insn writes the low part or all of an argument register. */
static bool writes_argument(const struct disasm *d, const cs_insn *insn)
{
	static const uint16_t args[] = {
		X86_REG_RDI, X86_REG_EDI, X86_REG_DI,  X86_REG_DIL, X86_REG_RSI, X86_REG_ESI,
		X86_REG_SI,  X86_REG_SIL, X86_REG_RDX, X86_REG_EDX, X86_REG_DX,	 X86_REG_DL,
		X86_REG_DH,  X86_REG_RCX, X86_REG_ECX, X86_REG_CX,  X86_REG_CL,	 X86_REG_CH,
	};
	cs_regs read, written;
	uint8_t nread, nwritten;

	if (d->regs_access(d->cs, insn, read, &nread, written, &nwritten))
		return true;
	for (uint8_t i = 0; i < nwritten; i++)
		for (size_t k = 0; k < sizeof(args) / sizeof(args[0]); k++)
			if (written[i] == args[k])
				return true;
	return false;
}

/* "push r13": what the log shows of an instruction, cut to fit. */
static void describe(const cs_insn *insn, char out[64])
{
	snprintf(out, 64, "%.15s%s%.46s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
}

/* The first instruction at vaddr, decoded; 0 or -EIO. */
static int first_insn(const struct disasm *d, sites_read_fn read, void *arg, uint64_t vaddr, uint8_t *code, size_t *n,
		      cs_insn **insn)
{
	ssize_t got = read(arg, vaddr, code, SITES_CODE_MAX);

	if (got <= 0)
		return -EIO;
	*n = (size_t)got;
	return d->disasm(d->cs, code, *n, vaddr, 1, insn) == 1 ? 0 : -EIO;
}

/* The function the code at vaddr calls first, its arguments untouched;
 * 0 and its address in *target, or -ENOENT. */
static int first_callee(const struct disasm *d, const uint8_t *code, size_t n, uint64_t vaddr, uint64_t *target)
{
	cs_insn *insn = d->malloc(d->cs);
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	int ret = -ENOENT;

	if (!insn)
		return -ENOMEM;
	for (int i = 0; i < SITES_WALK_MAX && d->disasm_iter(d->cs, &p, &n, &addr, insn); i++) {
		const cs_x86 *x = &insn->detail->x86;

		if (insn->id == X86_INS_CALL) {
			if (insn->bytes[0] == 0xe8 && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
				*target = (uint64_t)x->operands[0].imm;
				ret = 0;
			}
			break;
		}
		if (d->insn_group(d->cs, insn, CS_GRP_JUMP) || d->insn_group(d->cs, insn, CS_GRP_RET) ||
		    d->insn_group(d->cs, insn, CS_GRP_INT) || d->insn_group(d->cs, insn, CS_GRP_IRET) ||
		    writes_argument(d, insn))
			break;
	}
	d->free(insn, 1);
	return ret;
}

/* Whether insn leaves every argument register alone, in C's ABI and Go's:
 * a compare, or a lea into r12 or r13 (Go's stack check starts with one
 * when the frame is large). */
static bool keeps_arguments(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (insn->id == X86_INS_CMP || insn->id == X86_INS_TEST)
		return true;
	return insn->id == X86_INS_LEA && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	       (x->operands[0].reg == X86_REG_R12 || x->operands[0].reg == X86_REG_R13);
}

/* Go's prologue compares the stack pointer with the goroutine's limit and
 * branches: the branch, which the kernel emulates, sees the arguments as
 * the entry did. 0 with the site in out, or -ENOENT. */
static int past_stack_check(const struct disasm *d, const uint8_t *code, size_t n, uint64_t vaddr, struct site *out)
{
	cs_insn *insn = d->malloc(d->cs);
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	int ret = -ENOENT;

	if (!insn)
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		uint64_t at = addr;
		size_t left = n;
		const uint8_t *here = p;

		if (!d->disasm_iter(d->cs, &p, &n, &addr, insn))
			break;
		if (i && sites_emulated(here, left)) {
			out->vaddr = at;
			out->kind = SITE_EMULATED;
			describe(insn, out->insn);
			ret = 0;
			break;
		}
		if (!keeps_arguments(insn))
			break;
	}
	d->free(insn, 1);
	return ret;
}

int sites_find(sites_read_fn read, void *arg, uint64_t vaddr, struct site *out)
{
	uint8_t code[SITES_CODE_MAX], callee_code[SITES_CODE_MAX];
	cs_insn *insn = NULL, *callee = NULL;
	size_t n, callee_n;
	uint64_t target;
	struct disasm d;
	int ret;

	memset(out, 0, sizeof(*out));
	if (disasm_open(&d)) {
		/* No decoder: the entry itself, told apart by its first bytes. */
		ssize_t got = read(arg, vaddr, code, SITES_CODE_MAX);

		if (got <= 0)
			return -EIO;
		out->vaddr = vaddr;
		out->kind = sites_emulated(code, (size_t)got) ? SITE_EMULATED : SITE_SINGLE_STEPPED;
		snprintf(out->insn, sizeof(out->insn), "(%s not loaded)", SITES_CAPSTONE);
		return 0;
	}
	ret = first_insn(&d, read, arg, vaddr, code, &n, &insn);
	if (ret)
		goto out;
	out->vaddr = vaddr;
	out->kind = SITE_SINGLE_STEPPED;
	describe(insn, out->insn);
	if (sites_emulated(code, n)) {
		out->kind = SITE_EMULATED;
		goto out;
	}
	if (!past_stack_check(&d, code, n, vaddr, out))
		goto out;
	if (first_callee(&d, code, n, vaddr, &target) ||
	    first_insn(&d, read, arg, target, callee_code, &callee_n, &callee) ||
	    !sites_emulated(callee_code, callee_n))
		goto out;
	out->vaddr = target;
	out->kind = SITE_EMULATED;
	out->followed = true;
	describe(callee, out->insn);
out:
	if (insn)
		d.free(insn, 1);
	if (callee)
		d.free(callee, 1);
	disasm_close(&d);
	return ret;
}

bool sites_calls(sites_read_fn read, void *arg, uint64_t vaddr, uint64_t target)
{
	uint8_t code[SITES_CODE_MAX];
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	bool found = false;
	struct disasm d;
	cs_insn *insn;
	ssize_t got;
	size_t n;

	got = read(arg, vaddr, code, sizeof(code));
	if (got <= 0 || disasm_open(&d))
		return false;
	insn = d.malloc(d.cs);
	n = (size_t)got;
	for (int i = 0; insn && !found && i < 2 * SITES_WALK_MAX && d.disasm_iter(d.cs, &p, &n, &addr, insn); i++) {
		const cs_x86 *x = &insn->detail->x86;

		if (d.insn_group(d.cs, insn, CS_GRP_RET))
			break;
		found = insn->id == X86_INS_CALL && x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
			(uint64_t)x->operands[0].imm == target;
	}
	if (insn)
		d.free(insn, 1);
	disasm_close(&d);
	return found;
}

int sites_returns(sites_read_fn read, void *arg, uint64_t vaddr, uint64_t size, uint64_t *out, size_t max)
{
	uint8_t code[SITES_FUNC_MAX];
	const uint8_t *p = code;
	uint64_t addr = vaddr;
	struct disasm d;
	cs_insn *insn;
	size_t n, found = 0;
	ssize_t got;
	int ret = 0;

	if (!size || size > sizeof(code))
		return -E2BIG;
	got = read(arg, vaddr, code, (size_t)size);
	if (got != (ssize_t)size)
		return -EIO;
	if (disasm_open(&d))
		return -ENOENT;
	insn = d.malloc(d.cs);
	n = (size_t)size;
	while (insn && !ret && n) {
		if (!d.disasm_iter(d.cs, &p, &n, &addr, insn)) {
			/* Padding between functions ends the code. */
			if (*p == 0xcc)
				break;
			ret = -EBADMSG;
		} else if (d.insn_group(d.cs, insn, CS_GRP_RET)) {
			if (found == max)
				ret = -E2BIG;
			else
				out[found++] = insn->address;
		}
	}
	if (!insn)
		ret = -ENOMEM;
	if (insn)
		d.free(insn, 1);
	disasm_close(&d);
	return ret ? ret : (int)found;
}
