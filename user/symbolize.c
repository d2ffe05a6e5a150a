// SPDX-License-Identifier: GPL-2.0
/*
 * symbolize.c - see symbolize.h.
 *
 * Owns: the /proc/PID/maps line grammar, the address -> file offset -> ELF
 * virtual address math, choosing one symbol among aliases, and the caches
 * (per pid: maps and interned strings; shared: symbol tables, LRU).
 * Must not: print, keep an fd or an Elf handle past the function that opened
 * it, mmap ELF files (a file truncated under us would SIGBUS), or read a
 * byte of an ELF file before checking it lies inside the file.
 *
 * Load bias. For an address A in a mapping [start, end) of file offset
 * pgoff, the file offset of A is foff = A - start + pgoff. The PT_LOAD
 * segment holding foff (p_offset <= foff < p_offset + p_filesz) gives the
 * ELF virtual address va = foff - p_offset + p_vaddr, the space symbol values
 * live in; the load bias is A - va. This works alike for PIE and non-PIE
 * executables, shared libraries and the vdso, and needs nothing but the one
 * mapping line.
 *
 * Caches. Symbol tables are keyed by (path, dev, inode) as the maps show
 * them, hold only what lookups need (sorted addresses, extents, names) and
 * no file handle, and are dropped least recently used first beyond 64 files
 * or 256 MiB. Files that are not usable ELF are cached too, empty, so a
 * garbage file is parsed once. Strings handed out in frames are copied into
 * the pid's own pool, so evicting a table never invalidates a frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "symbolize.h"
#include "u64map.h"

#define DEF_MAX_FILES 64
#define DEF_MAX_BYTES ((size_t)256 << 20)
#define MAX_LOADS     64	 /* PT_LOAD segments kept per file */
#define MAX_SYMS      (1u << 24) /* symbols read per table */
#define MAX_NAME      4096	 /* longer names are cut */
#define MAX_WALK      16	 /* sized symbols nested around an address */
#define MAX_VDSO      ((uint64_t)1 << 20)
#define MIN_MAPPED    4096 /* page 0 is never mapped: no re-read for it */

enum map_kind { MAP_FILE, MAP_DELETED, MAP_VDSO, MAP_PSEUDO };

struct mapping {
	uint64_t start, end, pgoff, dev, ino;
	uint64_t key;	  /* symbol cache key (the vdso's: once hashed) */
	const char *path; /* interned in the pid's pool */
	unsigned char kind;
	bool unreadable; /* open or read failed once: do not retry */
	bool hashed;	 /* vdso: key and ino hold its content hash */
};

/* An interned string; chained on hash collisions. */
struct pstr {
	struct pstr *next;
	char s[];
};

struct pidinfo {
	pid_t pid;
	struct mapping *maps; /* sorted by start */
	size_t nmaps;
	struct ls_u64map strs; /* ls_hash_str -> struct pstr chain */
};

struct sym {
	uint64_t addr;
	uint32_t len;  /* extent: size, or up to the next symbol */
	uint32_t name; /* offset in names */
};

struct load {
	uint64_t off, filesz, vaddr;
};

/* The symbol table of one file, as lookups need it. */
struct elfent {
	struct elfent *prev, *next; /* LRU, most recent first */
	uint64_t key, dev, ino;
	char *path;
	struct load *loads;
	size_t nloads;
	struct sym *syms;
	size_t nsyms;
	char *names;
	size_t bytes;
};

struct ls_symbolizer {
	struct ls_u64map pids; /* pid -> struct pidinfo */
	struct ls_u64map elfs; /* key -> struct elfent */
	struct elfent *head, *tail;
	size_t max_files, max_bytes;
	uint64_t page;
	bool nomem; /* during one resolve call */
	struct ls_sym_stats st;
};

/* ---- per-pid string pool ---- */

static const char *intern(struct ls_symbolizer *s, struct pidinfo *p,
			  const char *str)
{
	uint64_t h = ls_hash_str(str);
	struct pstr *head = ls_u64map_get(&p->strs, h), *e;
	size_t len = strlen(str);

	for (e = head; e; e = e->next)
		if (!strcmp(e->s, str))
			return e->s;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		goto nomem;
	memcpy(e->s, str, len + 1);
	e->next = head;
	if (!ls_u64map_put(&p->strs, h, e))
		return e->s;
	free(e);
nomem:
	s->nomem = true;
	return NULL;
}

static int free_pstr_chain(uint64_t key, void *val, void *ctx)
{
	struct pstr *e = val, *next;

	(void)key;
	(void)ctx;
	for (; e; e = next) {
		next = e->next;
		free(e);
	}
	return 0;
}

static void pid_free(struct pidinfo *p)
{
	if (!p)
		return;
	ls_u64map_each(&p->strs, free_pstr_chain, NULL);
	ls_u64map_free(&p->strs);
	free(p->maps);
	free(p);
}

/* ---- /proc/PID/maps ---- */

static int map_kind(const char *path)
{
	static const char del[] = " (deleted)";
	size_t n = strlen(path), d = sizeof(del) - 1;

	if (!strcmp(path, "[vdso]"))
		return MAP_VDSO;
	if (path[0] != '/')
		return MAP_PSEUDO;
	if (n > d && !strcmp(path + n - d, del))
		return MAP_DELETED;
	return MAP_FILE;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

static uint64_t elf_key(const char *path, uint64_t dev, uint64_t ino)
{
	return mix(mix(ls_hash_str(path), dev), ino);
}

/*
 * "start-end perms offset major:minor inode   path": fills @m, points @path
 * at the path in @line (empty for anonymous memory). -EINVAL if malformed.
 */
static int parse_maps_line(char *line, struct mapping *m, char **path)
{
	unsigned int maj, min;
	char perms[5];
	size_t len;
	int pos = -1;

	if (sscanf(line,
		   "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64
		   " %n",
		   &m->start, &m->end, perms, &m->pgoff, &maj, &min, &m->ino,
		   &pos) < 7 ||
	    pos < 0 || m->end <= m->start)
		return -EINVAL;
	m->dev = makedev(maj, min);
	*path = line + pos;
	len = strlen(*path);
	if (len && (*path)[len - 1] == '\n')
		(*path)[len - 1] = 0;
	return 0;
}

struct mapvec {
	struct mapping *v;
	size_t n, cap;
};

static int mapvec_push(struct ls_symbolizer *s, struct pidinfo *p,
		       struct mapvec *mv, struct mapping *m, const char *path)
{
	if (mv->n == mv->cap) {
		size_t cap = mv->cap ? mv->cap * 2 : 64;
		struct mapping *v = realloc(mv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		mv->v = v;
		mv->cap = cap;
	}
	m->path = intern(s, p, path);
	if (!m->path)
		return -ENOMEM;
	m->kind = map_kind(path);
	m->key = m->kind == MAP_FILE ? elf_key(path, m->dev, m->ino) : 0;
	m->unreadable = false;
	m->hashed = false;
	mv->v[mv->n++] = *m;
	return 0;
}

static int map_cmp(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int maps_parse(struct ls_symbolizer *s, struct pidinfo *p, FILE *f,
		      struct mapvec *mv)
{
	char *line = NULL, *path;
	struct mapping m;
	size_t cap = 0, i;
	int err = 0;

	while (!err && getline(&line, &cap, f) > 0) {
		if (parse_maps_line(line, &m, &path) || !*path)
			continue; /* anonymous memory has no binary */
		err = mapvec_push(s, p, mv, &m, path);
	}
	free(line);
	for (i = 1; !err && i < mv->n; i++) {
		if (mv->v[i].start < mv->v[i - 1].start) {
			qsort(mv->v, mv->n, sizeof(*mv->v), map_cmp);
			break;
		}
	}
	return err;
}

/* (Re)read the maps of @p; on failure the old ones stay. */
static int maps_read(struct ls_symbolizer *s, struct pidinfo *p)
{
	struct mapvec mv = { 0 };
	char fn[48];
	FILE *f;
	int err;

	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)p->pid);
	f = fopen(fn, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	s->st.maps_reads++;
	err = maps_parse(s, p, f, &mv);
	fclose(f);
	if (err) {
		free(mv.v);
		return err;
	}
	free(p->maps);
	p->maps = mv.v;
	p->nmaps = mv.n;
	return 0;
}

static struct mapping *map_find(struct pidinfo *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= p->maps[lo - 1].end)
		return NULL;
	return &p->maps[lo - 1];
}

/* ---- the symbol cache ---- */

static void elfent_free(struct elfent *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->loads);
	free(e->syms);
	free(e->names);
	free(e);
}

static void lru_unlink(struct ls_symbolizer *s, struct elfent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct ls_symbolizer *s, struct elfent *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
}

static struct elfent *cache_find(struct ls_symbolizer *s,
				 const struct mapping *m)
{
	struct elfent *e = ls_u64map_get(&s->elfs, m->key);

	if (!e || e->dev != m->dev || e->ino != m->ino ||
	    strcmp(e->path, m->path))
		return NULL;
	s->st.cache_hits++;
	if (s->head != e) {
		lru_unlink(s, e);
		lru_push(s, e);
	}
	return e;
}

/* Drop least recently used tables beyond the bounds; never the newest. */
static void cache_trim(struct ls_symbolizer *s)
{
	struct elfent *e;

	while ((s->st.cached_files > s->max_files ||
		s->st.cached_bytes > s->max_bytes) &&
	       s->tail && s->tail != s->head) {
		e = s->tail;
		lru_unlink(s, e);
		ls_u64map_del(&s->elfs, e->key);
		s->st.cached_files--;
		s->st.cached_bytes -= e->bytes;
		s->st.evictions++;
		elfent_free(e);
	}
}

/* False if @e cannot be cached (key collision, no memory): caller frees. */
static bool cache_add(struct ls_symbolizer *s, struct elfent *e)
{
	if (ls_u64map_get(&s->elfs, e->key) ||
	    ls_u64map_put(&s->elfs, e->key, e))
		return false;
	lru_push(s, e);
	s->st.cached_files++;
	s->st.cached_bytes += e->bytes;
	cache_trim(s);
	return true;
}

/* ---- ELF input: a file (pread) or a memory image (the vdso) ---- */

struct src {
	int fd;		    /* -1 for a memory image */
	unsigned char *mem; /* the image, or NULL */
	uint64_t size;
};

static bool src_read(const struct src *in, void *buf, size_t n, uint64_t off)
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
static bool elf_tables_fit(const struct src *in)
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

static struct elfent *elfent_new(const struct mapping *m)
{
	struct elfent *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->path = strdup(m->path);
	if (!e->path) {
		free(e);
		return NULL;
	}
	e->key = m->key;
	e->dev = m->dev;
	e->ino = m->ino;
	return e;
}

static size_t elfent_bytes(const struct elfent *e)
{
	size_t n = sizeof(*e) + strlen(e->path) + 1;

	n += e->nloads * sizeof(*e->loads) + e->nsyms * sizeof(*e->syms);
	if (e->nsyms) {
		const struct sym *last = &e->syms[e->nsyms - 1];

		n += last->name + strlen(e->names + last->name) + 1;
	}
	return n;
}

/*
 * Parse @in as the file of @m and cache the result, usable or not. Sets
 * *@owned when it could not be cached: the caller frees it after use.
 */
static struct elfent *elf_load(struct ls_symbolizer *s, const struct mapping *m,
			       struct src *in, bool *owned)
{
	struct elfent *e = elfent_new(m);
	int err = 0;
	Elf *elf;

	if (!e) {
		s->nomem = true;
		return NULL;
	}
	s->st.elf_opens++;
	if (elf_tables_fit(in)) {
		elf = in->mem ? elf_memory((char *)in->mem, in->size)
			      : elf_begin(in->fd, ELF_C_READ, NULL);
		if (elf) {
			err = elf_parse(e, elf, in->size);
			elf_end(elf);
		}
	}
	e->bytes = elfent_bytes(e);
	if (err == -ENOMEM)
		s->nomem = true;
	*owned = err == -ENOMEM || !cache_add(s, e);
	return e;
}

/* ---- opening what a mapping maps ---- */

static int open_regular(const char *path, const struct mapping *m,
			uint64_t *size)
{
	struct stat st, fst;
	int fd;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	if (st.st_dev == m->dev && st.st_ino != m->ino)
		return -1; /* another file now has that name */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &fst) || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino || fst.st_size < 0) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)fst.st_size;
	return fd;
}

/* Through the process's root first (containers, chroots), else as is. */
static int open_mapped(pid_t pid, const struct mapping *m, uint64_t *size)
{
	char buf[PATH_MAX + 32];
	int n, fd;

	n = snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)pid, m->path);
	if (n > 0 && (size_t)n < sizeof(buf)) {
		fd = open_regular(buf, m, size);
		if (fd >= 0)
			return fd;
	}
	return open_regular(m->path, m, size);
}

static struct elfent *file_elf(struct ls_symbolizer *s, struct pidinfo *p,
			       struct mapping *m, bool *owned)
{
	struct elfent *e = cache_find(s, m);
	struct src in = { .fd = -1 };

	if (e || m->unreadable)
		return e;
	in.fd = open_mapped(p->pid, m, &in.size);
	if (in.fd < 0) {
		m->unreadable = true;
		return NULL;
	}
	e = elf_load(s, m, &in, owned);
	close(in.fd);
	return e;
}

/* The vdso image, read from the process (it is not a file). */
static unsigned char *vdso_read(pid_t pid, const struct mapping *m,
				uint64_t *size)
{
	uint64_t n = m->end - m->start;
	unsigned char *buf;
	char fn[48];
	int fd;

	if (n > MAX_VDSO || m->start > (uint64_t)INT64_MAX - n)
		return NULL;
	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)pid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(n);
	if (buf && pread(fd, buf, n, (off_t)m->start) != (ssize_t)n) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*size = n;
	return buf;
}

static uint64_t hash_bytes(const unsigned char *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * The vdso is cached by content: ("[vdso]", 0, hash of its bytes). Every
 * process of one kernel and ABI has the same, so it is parsed once.
 */
static struct elfent *vdso_elf(struct ls_symbolizer *s, struct pidinfo *p,
			       struct mapping *m, bool *owned)
{
	struct src in = { .fd = -1 };
	struct elfent *e = m->hashed ? cache_find(s, m) : NULL;

	if (e || m->unreadable)
		return e;
	in.mem = vdso_read(p->pid, m, &in.size);
	if (!in.mem) {
		m->unreadable = true;
		return NULL;
	}
	m->dev = 0;
	m->ino = hash_bytes(in.mem, in.size);
	m->key = elf_key(m->path, 0, m->ino);
	m->hashed = true;
	e = cache_find(s, m);
	if (!e)
		e = elf_load(s, m, &in, owned);
	free(in.mem);
	return e;
}

static struct elfent *mapping_elf(struct ls_symbolizer *s, struct pidinfo *p,
				  struct mapping *m, bool *owned)
{
	*owned = false;
	if (m->kind == MAP_FILE)
		return file_elf(s, p, m, owned);
	if (m->kind == MAP_VDSO)
		return vdso_elf(s, p, m, owned);
	return NULL;
}

/* ---- lookups ---- */

/* File offset -> ELF virtual address, through the PT_LOAD holding it. */
static bool file_to_vaddr(const struct elfent *e, uint64_t foff, uint64_t page,
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

/* The nearest symbol at or below @va whose extent holds @va. */
static const struct sym *sym_find(const struct elfent *e, uint64_t va)
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

/*
 * Fill @f for @addr, looked up at addr - 1 when @adjust (a return
 * address). False when no named mapping holds it.
 */
static bool resolve_one(struct ls_symbolizer *s, struct pidinfo *p,
			uint64_t addr, bool adjust, struct ls_frame *f)
{
	uint64_t look = adjust && addr ? addr - 1 : addr, delta = addr - look;
	struct mapping *m = map_find(p, look);
	const struct sym *y;
	struct elfent *e;
	bool owned;
	uint64_t va;

	*f = (struct ls_frame){ .addr = addr };
	if (!m)
		return false;
	f->binary = m->path;
	f->offset = look - m->start + m->pgoff + delta;
	e = mapping_elf(s, p, m, &owned);
	if (!e || !file_to_vaddr(e, look - m->start + m->pgoff, s->page, &va))
		goto out;
	f->offset = va + delta;
	y = sym_find(e, va);
	if (y)
		f->function = intern(s, p, e->names + y->name);
	if (f->function)
		f->offset = va - y->addr + delta;
out:
	if (owned)
		elfent_free(e);
	return true;
}

/* ---- the API ---- */

struct ls_symbolizer *ls_sym_new(void)
{
	struct ls_symbolizer *s;
	long page = sysconf(_SC_PAGESIZE);

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	ls_u64map_init(&s->pids);
	ls_u64map_init(&s->elfs);
	s->max_files = DEF_MAX_FILES;
	s->max_bytes = DEF_MAX_BYTES;
	s->page = page > 0 && !(page & (page - 1)) ? (uint64_t)page : 4096;
	return s;
}

static int free_pid(uint64_t key, void *val, void *ctx)
{
	(void)key;
	(void)ctx;
	pid_free(val);
	return 0;
}

void ls_sym_free(struct ls_symbolizer *s)
{
	struct elfent *e, *next;

	if (!s)
		return;
	ls_u64map_each(&s->pids, free_pid, NULL);
	ls_u64map_free(&s->pids);
	for (e = s->head; e; e = next) {
		next = e->next;
		elfent_free(e);
	}
	ls_u64map_free(&s->elfs);
	free(s);
}

/* The cached maps of @pid, read now if new (*@fresh then). */
static int pid_get(struct ls_symbolizer *s, pid_t pid, struct pidinfo **out,
		   bool *fresh)
{
	struct pidinfo *p = ls_u64map_get(&s->pids, (uint64_t)pid);
	int err;

	*fresh = false;
	if (p) {
		*out = p;
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	ls_u64map_init(&p->strs);
	err = maps_read(s, p);
	if (!err)
		err = ls_u64map_put(&s->pids, (uint64_t)pid, p);
	if (err) {
		pid_free(p);
		return err;
	}
	*fresh = true;
	*out = p;
	return 0;
}

int ls_sym_resolve(struct ls_symbolizer *s, pid_t pid, const uint64_t *addrs,
		   size_t n, bool return_addrs, struct ls_frame *out)
{
	struct pidinfo *p;
	bool fresh, missing = false;
	size_t i;
	int err;

	if (!s || pid <= 0 || (n && (!addrs || !out)))
		return -EINVAL;
	for (i = 0; i < n; i++)
		out[i] = (struct ls_frame){ .addr = addrs[i] };
	if (!n)
		return 0;
	err = pid_get(s, pid, &p, &fresh);
	if (err)
		return err;
	s->nomem = false;
	for (i = 0; i < n; i++)
		if (!resolve_one(s, p, addrs[i], return_addrs && i, &out[i]))
			missing |= addrs[i] >= MIN_MAPPED; /* not padding */
	if (missing && !fresh && !maps_read(s, p)) {
		for (i = 0; i < n; i++)
			if (!out[i].binary)
				resolve_one(s, p, addrs[i], return_addrs && i,
					    &out[i]);
	}
	return s->nomem ? -ENOMEM : 0;
}

void ls_sym_forget_pid(struct ls_symbolizer *s, pid_t pid)
{
	if (s)
		pid_free(ls_u64map_del(&s->pids, (uint64_t)pid));
}

void ls_sym_set_cache_limits(struct ls_symbolizer *s, size_t max_files,
			     size_t max_bytes)
{
	if (!s)
		return;
	s->max_files = max_files;
	s->max_bytes = max_bytes;
	cache_trim(s);
}

void ls_sym_get_stats(const struct ls_symbolizer *s, struct ls_sym_stats *st)
{
	if (s && st)
		*st = s->st;
	else if (st)
		*st = (struct ls_sym_stats){ 0 };
}

void ls_frame_format(const struct ls_frame *f, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	if (!f)
		buf[0] = 0;
	else if (f->function && f->binary)
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", f->function,
			 f->offset, f->binary);
	else if (f->function)
		snprintf(buf, len, "%s+0x%" PRIx64, f->function, f->offset);
	else if (f->binary)
		snprintf(buf, len, "0x%" PRIx64 " (%s+0x%" PRIx64 ")", f->addr,
			 f->binary, f->offset);
	else
		snprintf(buf, len, "0x%" PRIx64, f->addr);
}
