// SPDX-License-Identifier: GPL-2.0
/*
 * elftab.c - see elftab.h. Split out of symbolize.c, which keeps the maps
 * of processes, the cache and the load-bias math that uses these tables.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elftab.h"

#define MAX_LOADS 64	     /* PT_LOAD segments kept per file */
#define MAX_SYMS  (1u << 24) /* symbols read per table */
#define MAX_NAME  4096	     /* longer names are cut */
#define MAX_WALK  16	     /* sized symbols nested around an address */

static bool src_read(const struct ls_elf_src *in, void *buf, size_t n,
		     uint64_t off)
{
	if (off > in->size || n > in->size - off)
		return false;
	if (in->mem) {
		memcpy(buf, in->mem + off, n);
		return true;
	}
	return pread(in->fd, buf, n, (off_t)off) == (ssize_t)n;
}

static uint64_t rd(const unsigned char *p, unsigned int n, bool be)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[be ? i : n - 1 - i];
	return v;
}

/* Where the header fields are, per ELF class. */
struct elf_layout {
	unsigned int ehsize, word, phoff, shoff, phentsize, phnum, shentsize,
		shnum, shdr, phdr, sh_size, sh_info;
};

static const struct elf_layout layout32 = {
	.ehsize = 52,
	.word = 4,
	.phoff = 28,
	.shoff = 32,
	.phentsize = 42,
	.phnum = 44,
	.shentsize = 46,
	.shnum = 48,
	.shdr = 40,
	.phdr = 32,
	.sh_size = 20,
	.sh_info = 28,
};
static const struct elf_layout layout64 = {
	.ehsize = 64,
	.word = 8,
	.phoff = 32,
	.shoff = 40,
	.phentsize = 54,
	.phnum = 56,
	.shentsize = 58,
	.shnum = 60,
	.shdr = 64,
	.phdr = 56,
	.sh_size = 32,
	.sh_info = 44,
};

static bool table_fits(uint64_t off, uint64_t num, uint64_t entsize,
		       uint64_t want, uint64_t size)
{
	if (!num)
		return true;
	if (entsize != want || off > size)
		return false;
	return num <= (size - off) / entsize;
}

/*
 * Before libelf sees the file: the program and section header tables,
 * counts included (extended numbering too), lie inside it.
 */
static bool elf_tables_fit(const struct ls_elf_src *in)
{
	const struct elf_layout *L;
	unsigned char h[64], s0[64];
	uint64_t phoff, shoff, phnum, shnum;
	bool be;

	if (!src_read(in, h, 52, 0) || memcmp(h, ELFMAG, SELFMAG) ||
	    (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64) ||
	    (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB))
		return false;
	L = h[EI_CLASS] == ELFCLASS64 ? &layout64 : &layout32;
	be = h[EI_DATA] == ELFDATA2MSB;
	if (!src_read(in, h, L->ehsize, 0))
		return false;
	phoff = rd(h + L->phoff, L->word, be);
	shoff = rd(h + L->shoff, L->word, be);
	phnum = rd(h + L->phnum, 2, be);
	shnum = rd(h + L->shnum, 2, be);
	if ((shnum == 0 && shoff) || phnum == PN_XNUM) {
		if (!src_read(in, s0, L->shdr, shoff))
			return false;
		if (shnum == 0)
			shnum = rd(s0 + L->sh_size, L->word, be);
		if (phnum == PN_XNUM)
			phnum = rd(s0 + L->sh_info, 4, be);
	}
	return table_fits(phoff, phnum, rd(h + L->phentsize, 2, be), L->phdr,
			  in->size) &&
	       table_fits(shoff, shnum, rd(h + L->shentsize, 2, be), L->shdr,
			  in->size);
}

static bool in_file(const GElf_Shdr *sh, uint64_t size)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_offset <= size &&
	       sh->sh_size <= size - sh->sh_offset;
}

static int loads_read(struct elfent *e, Elf *elf, uint64_t size)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(elf, &n) || !n)
		return 0;
	e->loads = calloc(n < MAX_LOADS ? n : MAX_LOADS, sizeof(*e->loads));
	if (!e->loads)
		return -ENOMEM;
	for (i = 0; i < n && i < INT_MAX && e->nloads < MAX_LOADS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue; /* truncated file: that part is not there */
		e->loads[e->nloads++] = (struct load){
			.off = ph.p_offset,
			.filesz = ph.p_filesz,
			.vaddr = ph.p_vaddr,
		};
	}
	return 0;
}

/* A symbol before sorting: what choosing among aliases needs. */
struct tsym {
	uint64_t addr, size, secend;
	const char *name;
	unsigned char bind;
};

static int underscores(const char *s)
{
	int n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

static int bind_rank(unsigned char bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/*
 * By address; at one address the preferred alias first: sized, fewest
 * leading underscores (write over __write), global over weak over local,
 * shortest, then alphabetical so the choice is stable.
 */
static int tsym_cmp(const void *a, const void *b)
{
	const struct tsym *x = a, *y = b;
	size_t lx, ly;
	int d;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (!x->size != !y->size)
		return !x->size ? 1 : -1;
	d = underscores(x->name) - underscores(y->name);
	if (!d)
		d = bind_rank(x->bind) - bind_rank(y->bind);
	if (d)
		return d;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * How far symbol @i of the sorted, deduplicated @t reaches: its size, or
 * for a zero-sized one up to the next symbol and at most to the end of its
 * section (one byte if neither is known).
 */
static uint32_t extent(const struct tsym *t, size_t n, size_t i)
{
	uint64_t a = t[i].addr, end;

	if (t[i].size)
		end = a + t[i].size < a ? UINT64_MAX : a + t[i].size;
	else {
		end = i + 1 < n ? t[i + 1].addr : UINT64_MAX;
		if (t[i].secend > a && t[i].secend < end)
			end = t[i].secend;
		if (end == UINT64_MAX)
			end = a + 1;
	}
	return end - a > UINT32_MAX ? UINT32_MAX : (uint32_t)(end - a);
}

/* Sort, keep one symbol per address, copy names out of libelf's buffers. */
static int syms_build(struct elfent *e, struct tsym *t, size_t n)
{
	size_t i, k = 0, total = 0, len;

	qsort(t, n, sizeof(*t), tsym_cmp);
	for (i = 0; i < n; i++)
		if (!k || t[k - 1].addr != t[i].addr)
			t[k++] = t[i];
	for (i = 0; i < k; i++) {
		len = strnlen(t[i].name, MAX_NAME);
		if (total + len + 1 > UINT32_MAX)
			break;
		total += len + 1;
	}
	k = i;
	e->syms = malloc(k * sizeof(*e->syms) + 1);
	e->names = malloc(total + 1);
	if (!e->syms || !e->names)
		return -ENOMEM;
	for (i = 0, total = 0; i < k; i++) {
		len = strnlen(t[i].name, MAX_NAME);
		e->syms[i] = (struct sym){ .addr = t[i].addr,
					   .len = extent(t, k, i),
					   .name = (uint32_t)total };
		memcpy(e->names + total, t[i].name, len);
		e->names[total + len] = 0;
		total += len + 1;
	}
	e->nsyms = k;
	return 0;
}

static bool sym_wanted(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return false;
	if (sym->st_shndx == SHN_UNDEF)
		return false;
	return sym->st_shndx < SHN_LORESERVE || sym->st_shndx == SHN_XINDEX;
}

/* The section headers a symbol table needs, checked against the file. */
struct symtab_ctx {
	Elf *elf;
	uint64_t size;		/* of the file */
	const uint64_t *secend; /* per section: sh_addr + sh_size, or 0 */
	size_t shnum;
};

/* Where a symbol's section ends, 0 if unknown (special or bad index). */
static uint64_t sec_end(const struct symtab_ctx *c, size_t shndx)
{
	if (shndx >= SHN_LORESERVE || shndx >= c->shnum)
		return 0;
	return c->secend[shndx];
}

static Elf_Data *symtab_data(const struct symtab_ctx *c, size_t idx,
			     GElf_Shdr *sh)
{
	Elf_Scn *scn = elf_getscn(c->elf, idx), *str;
	GElf_Shdr ssh;

	if (!scn || !gelf_getshdr(scn, sh) || !in_file(sh, c->size))
		return NULL;
	if (!sh->sh_link || sh->sh_link >= c->shnum)
		return NULL;
	str = elf_getscn(c->elf, sh->sh_link);
	if (!str || !gelf_getshdr(str, &ssh) || ssh.sh_type != SHT_STRTAB ||
	    !in_file(&ssh, c->size))
		return NULL;
	return elf_getdata(scn, NULL);
}

static int symtab_load(struct elfent *e, const struct symtab_ctx *c, size_t idx)
{
	size_t symsz = gelf_fsize(c->elf, ELF_T_SYM, 1, EV_CURRENT), n, i, k;
	struct tsym *t;
	const char *name;
	Elf_Data *d;
	GElf_Shdr sh;
	GElf_Sym sym;
	int err;

	d = symtab_data(c, idx, &sh);
	if (!d || !symsz)
		return -ENOEXEC;
	n = sh.sh_size / symsz;
	n = n < MAX_SYMS ? n : MAX_SYMS;
	t = malloc(n * sizeof(*t) + 1);
	if (!t)
		return -ENOMEM;
	for (i = 1, k = 0; i < n && gelf_getsym(d, (int)i, &sym); i++) {
		if (!sym_wanted(&sym))
			continue;
		name = elf_strptr(c->elf, sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		t[k++] = (struct tsym){
			.addr = sym.st_value,
			.size = sym.st_size,
			.secend = sec_end(c, sym.st_shndx),
			.name = name,
			.bind = GELF_ST_BIND(sym.st_info),
		};
	}
	err = syms_build(e, t, k);
	free(t);
	return err;
}

static void syms_reset(struct elfent *e)
{
	free(e->syms);
	free(e->names);
	e->syms = NULL;
	e->names = NULL;
	e->nsyms = 0;
}

/* Section ends (for zero-sized symbols) and the symbol tables' indexes. */
static void sections_scan(Elf *elf, size_t shnum, uint64_t *secend,
			  size_t *symtab, size_t *dynsym)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	size_t i;

	for (i = 1; i < shnum; i++) {
		scn = elf_getscn(elf, i);
		if (!scn || !gelf_getshdr(scn, &sh))
			continue;
		if ((sh.sh_flags & SHF_ALLOC) &&
		    sh.sh_addr + sh.sh_size > sh.sh_addr)
			secend[i] = sh.sh_addr + sh.sh_size;
		if (sh.sh_type == SHT_SYMTAB && !*symtab)
			*symtab = i;
		if (sh.sh_type == SHT_DYNSYM && !*dynsym)
			*dynsym = i;
	}
}

/* .symtab when it has functions, else .dynsym. Bad tables are skipped. */
static int syms_read(struct elfent *e, Elf *elf, uint64_t size)
{
	struct symtab_ctx c = { .elf = elf, .size = size };
	size_t symtab = 0, dynsym = 0;
	uint64_t *secend;
	int err = 0;

	if (elf_getshdrnum(elf, &c.shnum) || c.shnum < 2)
		return 0;
	secend = calloc(c.shnum, sizeof(*secend));
	if (!secend)
		return -ENOMEM;
	c.secend = secend;
	sections_scan(elf, c.shnum, secend, &symtab, &dynsym);
	if (symtab)
		err = symtab_load(e, &c, symtab);
	if (err != -ENOMEM && !e->nsyms && dynsym) {
		syms_reset(e);
		err = symtab_load(e, &c, dynsym);
	}
	if (err)
		syms_reset(e);
	free(secend);
	return err == -ENOMEM ? err : 0;
}

static int elf_parse(struct elfent *e, Elf *elf, uint64_t size)
{
	GElf_Ehdr eh;
	int err;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	err = loads_read(e, elf, size);
	if (err || !e->nloads)
		return err;
	return syms_read(e, elf, size);
}

int ls_elftab_read(struct elfent *e, const struct ls_elf_src *in)
{
	int err = 0;
	Elf *elf;

	if (!elf_tables_fit(in))
		return -ENOEXEC;
	elf = in->mem ? elf_memory((char *)in->mem, in->size)
		      : elf_begin(in->fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOEXEC;
	err = elf_parse(e, elf, in->size);
	elf_end(elf);
	return err;
}

size_t ls_elftab_bytes(const struct elfent *e)
{
	size_t n = sizeof(*e) + strlen(e->path) + 1;

	n += e->nloads * sizeof(*e->loads) + e->nsyms * sizeof(*e->syms);
	if (e->nsyms) {
		const struct sym *last = &e->syms[e->nsyms - 1];

		n += last->name + strlen(e->names + last->name) + 1;
	}
	return n;
}

void ls_elftab_free(struct elfent *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->loads);
	free(e->syms);
	free(e->names);
	free(e);
}

bool ls_elftab_to_vaddr(const struct elfent *e, uint64_t foff, uint64_t page,
			uint64_t *va)
{
	const struct load *l;
	uint64_t lo, hi;
	size_t i;

	for (i = 0; i < e->nloads; i++) {
		l = &e->loads[i];
		if (foff - l->off < l->filesz) {
			*va = foff - l->off + l->vaddr;
			return true;
		}
	}
	/* The page slack a segment's mapping has on either side. */
	for (i = 0; i < e->nloads; i++) {
		l = &e->loads[i];
		lo = l->off & ~(page - 1);
		hi = (l->off + l->filesz + page - 1) & ~(page - 1);
		if (foff >= lo && foff < hi) {
			*va = foff - l->off + l->vaddr;
			return true;
		}
	}
	return false;
}

const struct sym *ls_elftab_find(const struct elfent *e, uint64_t va)
{
	size_t lo = 0, hi = e->nsyms, mid, k;
	const struct sym *y;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->syms[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < MAX_WALK && lo > 0; k++, lo--) {
		y = &e->syms[lo - 1];
		if (va - y->addr < y->len)
			return y;
	}
	return NULL;
}
