// SPDX-License-Identifier: GPL-2.0
/*
 * symbolize.c - see symbolize.h.
 *
 * Owns: the /proc/PID/maps line grammar, the address -> file offset -> ELF
 * virtual address math, opening what a mapping maps, and the caches (per
 * pid: maps and interned strings; shared: symbol tables, LRU). Parsing an
 * ELF file and choosing one symbol among aliases is elftab.c's.
 * Must not: print, or keep an fd past the function that opened it.
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
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "elftab.h"
#include "symbolize.h"
#include "u64map.h"

#define DEF_MAX_FILES 64
#define DEF_MAX_BYTES ((size_t)256 << 20)
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
		ls_elftab_free(e);
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

/*
 * Parse @in as the file of @m and cache the result, usable or not. Sets
 * *@owned when it could not be cached: the caller frees it after use.
 */
static struct elfent *elf_load(struct ls_symbolizer *s, const struct mapping *m,
			       struct ls_elf_src *in, bool *owned)
{
	struct elfent *e = elfent_new(m);
	int err;

	if (!e) {
		s->nomem = true;
		return NULL;
	}
	s->st.elf_opens++;
	err = ls_elftab_read(e, in);
	e->bytes = ls_elftab_bytes(e);
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
	struct ls_elf_src in = { .fd = -1 };

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
	struct ls_elf_src in = { .fd = -1 };
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
	if (!e ||
	    !ls_elftab_to_vaddr(e, look - m->start + m->pgoff, s->page, &va))
		goto out;
	f->offset = va + delta;
	y = ls_elftab_find(e, va);
	if (y)
		f->function = intern(s, p, e->names + y->name);
	if (f->function)
		f->offset = va - y->addr + delta;
out:
	if (owned)
		ls_elftab_free(e);
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
		ls_elftab_free(e);
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
