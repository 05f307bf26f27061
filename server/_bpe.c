/* Exact o200k_base and cl100k_base token counts without tiktoken's regular expression engine
 * (see tokens.py).
 *
 * tiktoken encodes a text in two steps: a regular expression splits it into pieces, then each
 * piece is one token if its bytes are in the vocabulary, else byte-pair merged (the adjacent
 * pair of lowest rank first, the leftmost of equals). Most of its time goes to the first step.
 * Here the split is each encoding's pattern written out by hand, one alternative after the other with
 * the same backtracking as the regular expression (each function below says which), over the
 * code points of the str; the merge is the usual one, on the piece's UTF-8 bytes, counting
 * parts instead of building tokens.
 *
 * Character classes come from _bpe_unicode.h (generated from unicodedata by
 * unicode_classes.py). Text holding a code point that table does not know (unassigned there, or
 * a surrogate), or a piece longer than MAX_PIECE bytes, is declined: count() returns -1 and the
 * caller asks tiktoken. tests/test_bpe.py compares counts with tiktoken on generated text, on
 * every code point the table classifies, and on every string of the fixtures and datasets.
 *
 *     Counter(data: bytes, pattern="o200k_base")       the vocabulary (a rank file) and its split
 *     Counter.count(text: str) -> int                   tokens, or -1 (declined)
 *     Counter.count_many(texts: list[str]) -> list[int]  each, counted without the GIL
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_bpe_unicode.h"

enum { UPPER = 1, LOWER = 2, LETTER = 4, NUMBER = 8, SPACE = 16, BAD = 32 };

#define NO_RANK UINT32_MAX
/* Longer pieces (a run of letters thousands long) cost tiktoken and us time quadratic in their
 * length; they are left to tiktoken. */
#define MAX_PIECE 2048
/* Texts longer than this are counted with the GIL released. */
#define RELEASE_GIL_BYTES 4096

typedef struct {
    uint32_t offset; /* into blob */
    uint32_t length;
    uint32_t hash;
    uint32_t rank;
} Slot;

enum { O200K = 0, CL100K = 1 };

typedef struct {
    PyObject_HEAD
    unsigned char *blob;
    Slot *slots;
    size_t mask;
    int pattern; /* O200K or CL100K: which split */
    uint32_t *pair_ranks; /* [65536]: the rank of each two-byte token (the merge's first look) */
    uint64_t serial; /* which Counter this is, for the piece cache (an address may be reused) */
} Counter;

static uint64_t counters_made; /* under the GIL */

static uint32_t hash_bytes(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

static uint32_t rank_of(const Counter *self, const unsigned char *p, size_t n) {
    if (n == 2) {
        return self->pair_ranks[(p[0] << 8) | p[1]];
    }
    uint32_t h = hash_bytes(p, n);
    for (size_t at = h & self->mask;; at = (at + 1) & self->mask) {
        const Slot *s = &self->slots[at];
        if (s->rank == NO_RANK) {
            return NO_RANK;
        }
        if (s->hash == h && s->length == n && memcmp(self->blob + s->offset, p, n) == 0) {
            return s->rank;
        }
    }
}

/* ---- the split ----------------------------------------------------------------------------- */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

#define AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

static inline unsigned flags_of(Py_UCS4 c) {
    return bpe_stage2[(size_t)bpe_stage1[c >> 8] * 256 + (c & 255)];
}

static inline unsigned flags_at(const Text *t, Py_ssize_t i) {
    return flags_of(AT(t, i));
}

/* [^\r\n\p{L}\p{N}] */
static inline int is_prefix(Py_UCS4 c) {
    return c != '\r' && c != '\n' && !(flags_of(c) & (LETTER | NUMBER));
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at i: its length, or 0. Case folding adds U+017F (long s) to
 * s/S; no other letter here has a third case-folded form. */
static Py_ssize_t contraction(const Text *t, Py_ssize_t i) {
    if (i + 1 >= t->n || AT(t, i) != '\'') {
        return 0;
    }
    Py_UCS4 a = AT(t, i + 1);
    if (a == 0x17F) {
        return 2;
    }
    if (a < 128) {
        a |= 0x20; /* ASCII letters to lower case; the others are compared below as they are */
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') {
        return 2;
    }
    if (i + 2 < t->n) {
        Py_UCS4 b = AT(t, i + 2);
        if (b < 128) {
            b |= 0x20;
        }
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
            return 3;
        }
    }
    return 0;
}

static Py_ssize_t run_of(const Text *t, Py_ssize_t i, unsigned flag) {
    while (i < t->n && (flags_at(t, i) & flag)) {
        i++;
    }
    return i;
}

/* [^\r\n\p{L}\p{N}]?[UPPER]*[LOWER]+(contraction)? : the optional prefix is taken first, then
 * left out; [UPPER]* gives back one code point at a time until [LOWER]+ can start. */
static Py_ssize_t letters_lower(const Text *t, Py_ssize_t i) {
    for (int with_prefix = 1; with_prefix >= 0; with_prefix--) {
        if (with_prefix && !is_prefix(AT(t, i))) {
            continue;
        }
        Py_ssize_t start = i + with_prefix;
        Py_ssize_t upper_end = run_of(t, start, UPPER);
        for (Py_ssize_t k = upper_end; k >= start; k--) {
            if (k < t->n && (flags_at(t, k) & LOWER)) {
                Py_ssize_t end = run_of(t, k, LOWER);
                return end + contraction(t, end);
            }
        }
    }
    return -1;
}

/* [^\r\n\p{L}\p{N}]?[UPPER]+[LOWER]*(contraction)? */
static Py_ssize_t letters_upper(const Text *t, Py_ssize_t i) {
    for (int with_prefix = 1; with_prefix >= 0; with_prefix--) {
        if (with_prefix && !is_prefix(AT(t, i))) {
            continue;
        }
        Py_ssize_t start = i + with_prefix;
        Py_ssize_t upper_end = run_of(t, start, UPPER);
        if (upper_end == start) {
            continue;
        }
        Py_ssize_t end = run_of(t, upper_end, LOWER);
        return end + contraction(t, end);
    }
    return -1;
}

/* \p{N}{1,3} at i (a number there): its end. */
static Py_ssize_t numbers(const Text *t, Py_ssize_t i) {
    Py_ssize_t end = i + 1;
    while (end < t->n && end < i + 3 && (flags_at(t, end) & NUMBER)) {
        end++;
    }
    return end;
}

/* " ?[^\s\p{L}\p{N}]+" then line breaks (and slashes, for o200k): its end, or -1. A space is
 * not in the class, so without it nothing starts at a space. */
static Py_ssize_t punctuation(const Text *t, Py_ssize_t i, int slashes) {
    Py_ssize_t start = AT(t, i) == ' ' ? i + 1 : i;
    Py_ssize_t end = start;
    while (end < t->n && !(flags_at(t, end) & (SPACE | LETTER | NUMBER))) {
        end++;
    }
    if (end == start) {
        return -1;
    }
    while (end < t->n) {
        Py_UCS4 d = AT(t, end);
        if (d != '\r' && d != '\n' && !(slashes && d == '/')) {
            break;
        }
        end++;
    }
    return end;
}

/* \s*[\r\n] over the white space [i, space_end): \s* gives back until the last line break of
 * the run; its end, or -1. */
static Py_ssize_t through_last_line_break(const Text *t, Py_ssize_t i, Py_ssize_t space_end) {
    for (Py_ssize_t k = space_end - 1; k >= i; k--) {
        Py_UCS4 d = AT(t, k);
        if (d == '\r' || d == '\n') {
            return k + 1;
        }
    }
    return -1;
}

/* The end of the piece that starts at i (o200k's alternatives in order), or -1. */
static Py_ssize_t piece_end(const Text *t, Py_ssize_t i) {
    Py_ssize_t end = letters_lower(t, i);
    if (end < 0) {
        end = letters_upper(t, i);
    }
    if (end < 0 && (flags_at(t, i) & NUMBER)) {
        end = numbers(t, i);
    }
    if (end < 0) {
        end = punctuation(t, i, 1);
    }
    if (end >= 0) {
        return end;
    }
    Py_ssize_t space_end = run_of(t, i, SPACE);
    if (space_end == i) {
        return -1;
    }
    end = through_last_line_break(t, i, space_end); /* \s*[\r\n]+ */
    if (end >= 0) {
        return end;
    }
    /* \s+(?!\S) : all of the run at the end of the text, else all but its last. */
    if (space_end == t->n) {
        return space_end;
    }
    if (space_end - i >= 2) {
        return space_end - 1;
    }
    return space_end; /* \s+ */
}

/* cl100k_base's split. Its pattern is
 *   '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
 *   |\s++$|\s*[\r\n]|\s+(?!\S)|\s
 * with possessive quantifiers (taken whole, never given back) and marks outside \p{L}. */
static Py_ssize_t piece_end_cl100k(const Text *t, Py_ssize_t i) {
    Py_ssize_t end = contraction(t, i); /* the same contractions as o200k's, on their own */
    if (end > 0) {
        return i + end;
    }
    Py_UCS4 c = AT(t, i);
    /* [^\r\n\p{L}\p{N}]?+\p{L}++ : a prefix, once taken, is kept; letters must follow. */
    Py_ssize_t start = is_prefix(c) ? i + 1 : i;
    end = run_of(t, start, LETTER);
    if (end > start) {
        return end;
    }
    if (flags_of(c) & NUMBER) {
        return numbers(t, i);
    }
    end = punctuation(t, i, 0);
    if (end >= 0) {
        return end;
    }
    Py_ssize_t space_end = run_of(t, i, SPACE);
    if (space_end == i) {
        return -1;
    }
    if (space_end == t->n) { /* \s++$ */
        return space_end;
    }
    end = through_last_line_break(t, i, space_end);
    if (end >= 0) {
        return end;
    }
    if (space_end - i >= 2) { /* \s+(?!\S) */
        return space_end - 1;
    }
    return i + 1; /* \s */
}

/* ---- the merge ----------------------------------------------------------------------------- */

/* Tokens of a piece that is not one token itself (len >= 2): byte-pair merging, the adjacent
 * pair of lowest rank first and the leftmost of equal ranks, as tiktoken merges. */
static Py_ssize_t merged_parts(const Counter *self, const unsigned char *p, Py_ssize_t len) {
    Py_ssize_t starts_buf[130];
    uint32_t ranks_buf[130];
    Py_ssize_t *starts = starts_buf;
    uint32_t *ranks = ranks_buf;
    if (len + 2 > 130) {
        starts = PyMem_RawMalloc(sizeof(Py_ssize_t) * (size_t)(len + 2));
        ranks = PyMem_RawMalloc(sizeof(uint32_t) * (size_t)(len + 2));
        if (starts == NULL || ranks == NULL) {
            PyMem_RawFree(starts);
            PyMem_RawFree(ranks);
            return -1;
        }
    }
    /* parts: starts[0..n) with starts[n-1] == len; ranks[j] merges parts j and j+1. */
    Py_ssize_t n = len + 1;
    for (Py_ssize_t j = 0; j < n; j++) {
        starts[j] = j;
    }
    for (Py_ssize_t j = 0; j + 2 < n; j++) {
        ranks[j] = self->pair_ranks[(p[j] << 8) | p[j + 1]];
    }
    ranks[n - 2] = NO_RANK;
    ranks[n - 1] = NO_RANK; /* never a candidate; read by the first shift below */
    for (;;) {
        uint32_t best = NO_RANK;
        Py_ssize_t at = -1;
        for (Py_ssize_t j = 0; j + 1 < n; j++) {
            if (ranks[j] < best) {
                best = ranks[j];
                at = j;
            }
        }
        if (at < 0) {
            break;
        }
        /* Merge parts at and at+1: drop starts[at+1]. */
        memmove(starts + at + 1, starts + at + 2, sizeof(Py_ssize_t) * (size_t)(n - at - 2));
        memmove(ranks + at + 1, ranks + at + 2, sizeof(uint32_t) * (size_t)(n - at - 2));
        n--;
        ranks[at] = at + 2 < n ? rank_of(self, p + starts[at], (size_t)(starts[at + 2] - starts[at]))
                               : NO_RANK;
        if (at > 0) {
            ranks[at - 1] = rank_of(self, p + starts[at - 1],
                                    (size_t)(starts[at + 1] - starts[at - 1]));
        }
    }
    if (starts != starts_buf) {
        PyMem_RawFree(starts);
        PyMem_RawFree(ranks);
    }
    return n - 1;
}

/* ---- the piece cache ----------------------------------------------------------------------
 *
 * Prose repeats its words: the tokens of each short piece are kept in a small table per thread
 * (counts run in threads without the GIL), so a word seen before costs a hash and a compare
 * instead of a look-up in the vocabulary's 8 MB table, which misses the processor's cache. */

#define CACHED_PIECE 22
#define CACHE_SLOTS 8192

typedef struct {
    uint32_t hash;
    uint16_t tokens;
    uint8_t length;
    unsigned char bytes[CACHED_PIECE + 1];
} CachedPiece;

typedef struct {
    uint64_t owner; /* the serial of the Counter whose vocabulary filled it */
    CachedPiece slots[CACHE_SLOTS];
} PieceCache;

#if defined(__GNUC__)
static __thread PieceCache *thread_cache;
#define HAVE_PIECE_CACHE 1
#else
#define HAVE_PIECE_CACHE 0
#endif

static inline int utf8_width(Py_UCS4 c) {
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* The tokens of the whole text, or -1 (declined), or -2 (out of memory). */
static Py_ssize_t count_text(const Counter *self, const Text *t, const unsigned char *utf8) {
    for (Py_ssize_t i = 0; i < t->n; i++) {
        if (flags_at(t, i) & BAD) {
            return -1;
        }
    }
    PieceCache *cache = NULL;
#if HAVE_PIECE_CACHE
    cache = thread_cache;
    if (cache == NULL) {
        /* Calloc: every slot's length 0 matches no piece. One per thread, kept for its life. */
        cache = thread_cache = PyMem_RawCalloc(1, sizeof(PieceCache));
    }
    if (cache != NULL && cache->owner != self->serial) {
        memset(cache->slots, 0, sizeof cache->slots);
        cache->owner = self->serial;
    }
#endif
    Py_ssize_t total = 0;
    Py_ssize_t byte = 0;
    for (Py_ssize_t i = 0; i < t->n;) {
        Py_ssize_t end = self->pattern == O200K ? piece_end(t, i) : piece_end_cl100k(t, i);
        if (end <= i) {
            return -1; /* no alternative matched: not a text this split knows */
        }
        Py_ssize_t width = 0;
        if (t->kind == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *d = (const Py_UCS1 *)t->data;
            for (Py_ssize_t k = i; k < end; k++) {
                width += d[k] < 0x80 ? 1 : 2;
            }
        } else {
            for (Py_ssize_t k = i; k < end; k++) {
                width += utf8_width(AT(t, k));
            }
        }
        const unsigned char *piece = utf8 + byte;
        CachedPiece *slot = NULL;
        uint32_t h = 0;
        if (cache != NULL && width > 1 && width <= CACHED_PIECE) {
            h = hash_bytes(piece, (size_t)width);
            slot = &cache->slots[h & (CACHE_SLOTS - 1)];
            if (slot->hash == h && slot->length == width &&
                memcmp(slot->bytes, piece, (size_t)width) == 0) {
                total += slot->tokens;
                byte += width;
                i = end;
                continue;
            }
        }
        Py_ssize_t tokens;
        if (width == 1 || rank_of(self, piece, (size_t)width) != NO_RANK) {
            tokens = 1;
        } else if (width > MAX_PIECE) {
            return -1;
        } else {
            tokens = merged_parts(self, piece, width);
            if (tokens < 0) {
                return -2;
            }
        }
        if (slot != NULL) {
            slot->hash = h;
            slot->length = (uint8_t)width;
            slot->tokens = (uint16_t)tokens;
            memcpy(slot->bytes, piece, (size_t)width);
        }
        total += tokens;
        byte += width;
        i = end;
    }
    return total;
}

static int ready(const Counter *self) {
    if (self->slots == NULL || self->pair_ranks == NULL) {
        PyErr_SetString(PyExc_ValueError, "the Counter has no vocabulary (its __init__ failed)");
        return 0;
    }
    return 1;
}

static PyObject *Counter_count(Counter *self, PyObject *arg) {
    if (!ready(self)) {
        return NULL;
    }
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "count() takes a str");
        return NULL;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(arg, &size);
    if (utf8 == NULL) { /* lone surrogates: tiktoken replaces them */
        PyErr_Clear();
        return PyLong_FromLong(-1);
    }
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    Py_ssize_t total;
    if (size > RELEASE_GIL_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        total = count_text(self, &t, (const unsigned char *)utf8);
        Py_END_ALLOW_THREADS
    } else {
        total = count_text(self, &t, (const unsigned char *)utf8);
    }
    if (total == -2) {
        return PyErr_NoMemory();
    }
    return PyLong_FromSsize_t(total);
}

/* count() of each str of a list, all counted with the GIL released (threads count lists in
 * parallel). */
static PyObject *Counter_count_many(Counter *self, PyObject *arg) {
    if (!ready(self)) {
        return NULL;
    }
    PyObject *texts = PySequence_Tuple(arg); /* the list may change while the GIL is released */
    if (texts == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(texts);
    Text *items = PyMem_Malloc(sizeof(Text) * (size_t)(n ? n : 1));
    const unsigned char **utf8 = PyMem_Malloc(sizeof(char *) * (size_t)(n ? n : 1));
    Py_ssize_t *totals = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n ? n : 1));
    PyObject *out = NULL;
    if (items == NULL || utf8 == NULL || totals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "count_many() takes str items");
            goto done;
        }
        Py_ssize_t size;
        utf8[i] = (const unsigned char *)PyUnicode_AsUTF8AndSize(text, &size);
        if (utf8[i] == NULL) {
            PyErr_Clear(); /* lone surrogates: declined */
        }
        items[i] = (Text){PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        totals[i] = utf8[i] == NULL ? -1 : count_text(self, &items[i], utf8[i]);
    }
    Py_END_ALLOW_THREADS
    out = PyList_New(n);
    if (out == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (totals[i] == -2) {
            Py_CLEAR(out);
            PyErr_NoMemory();
            goto done;
        }
        PyObject *value = PyLong_FromSsize_t(totals[i]);
        if (value == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, value);
    }
done:
    PyMem_Free(items);
    PyMem_Free(utf8);
    PyMem_Free(totals);
    Py_DECREF(texts);
    return out;
}

/* ---- the type ------------------------------------------------------------------------------ */

static int base64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode base64 [p, end) into out; returns the decoded length, or -1. */
static Py_ssize_t base64_decode(const unsigned char *p, const unsigned char *end,
                                unsigned char *out) {
    Py_ssize_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; p < end && *p != '='; p++) {
        int v = base64_value(*p);
        if (v < 0) {
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

/* Counter(data): data is a tiktoken rank file ("<base64 token> <rank>" lines), already checked
 * against its sha256 by the caller. Read here directly: a dict of its 200k tokens would cost 30
 * MB for a moment. */
static int Counter_init(Counter *self, PyObject *args, PyObject *kwds) {
    Py_buffer data;
    const char *pattern = "o200k_base";
    static char *names[] = {"data", "pattern", NULL};
    if (self->slots != NULL) {
        /* Another thread may be counting with these tables, the GIL released. */
        PyErr_SetString(PyExc_TypeError, "a Counter cannot be initialised twice");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|s:Counter", names, &data, &pattern)) {
        return -1;
    }
    if (strcmp(pattern, "o200k_base") == 0) {
        self->pattern = O200K;
    } else if (strcmp(pattern, "cl100k_base") == 0) {
        self->pattern = CL100K;
    } else {
        PyBuffer_Release(&data);
        PyErr_Format(PyExc_ValueError, "no split pattern for %s", pattern);
        return -1;
    }
    const unsigned char *p = data.buf, *end = p + data.len;
    size_t lines = 0;
    for (const unsigned char *q = p; q < end; q++) {
        lines += *q == '\n';
    }
    size_t capacity = 1;
    while (capacity < lines * 2 + 2) {
        capacity <<= 1;
    }
    /* Decoded tokens are shorter than the file. */
    unsigned char *blob = PyMem_RawMalloc((size_t)data.len + 1);
    Slot *slots = PyMem_RawMalloc(sizeof(Slot) * capacity);
    uint32_t *pairs = PyMem_RawMalloc(sizeof(uint32_t) * 65536);
    if (blob == NULL || slots == NULL || pairs == NULL || data.len >= UINT32_MAX) {
        PyMem_RawFree(blob);
        PyMem_RawFree(slots);
        PyMem_RawFree(pairs);
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_MemoryError, "cannot hold the vocabulary");
        return -1;
    }
    for (size_t i = 0; i < capacity; i++) {
        slots[i].rank = NO_RANK;
    }
    for (size_t i = 0; i < 65536; i++) {
        pairs[i] = NO_RANK;
    }
    size_t mask = capacity - 1;
    size_t offset = 0;
    size_t count = 0;
    while (p < end) {
        const unsigned char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) {
            eol = end;
        }
        if (eol > p) {
            const unsigned char *space = memchr(p, ' ', (size_t)(eol - p));
            Py_ssize_t len = space ? base64_decode(p, space, blob + offset) : -1;
            uint64_t rank = 0;
            const unsigned char *r = space ? space + 1 : eol;
            if (r == eol) {
                len = -1;
            }
            for (; r < eol && len >= 0; r++) {
                if (*r < '0' || *r > '9' || rank > NO_RANK) {
                    len = -1;
                    break;
                }
                rank = rank * 10 + (uint64_t)(*r - '0');
            }
            if (len <= 0 || rank >= NO_RANK || count + 1 > capacity / 2) {
                PyMem_RawFree(blob);
                PyMem_RawFree(slots);
                PyMem_RawFree(pairs);
                PyBuffer_Release(&data);
                PyErr_SetString(PyExc_ValueError, "not a tiktoken rank file");
                return -1;
            }
            uint32_t h = hash_bytes(blob + offset, (size_t)len);
            size_t at = h & mask;
            while (slots[at].rank != NO_RANK) {
                at = (at + 1) & mask;
            }
            slots[at] = (Slot){(uint32_t)offset, (uint32_t)len, h, (uint32_t)rank};
            if (len == 2) {
                pairs[(blob[offset] << 8) | blob[offset + 1]] = (uint32_t)rank;
            }
            offset += (size_t)len;
            count++;
        }
        p = eol + 1;
    }
    PyBuffer_Release(&data);
    if (count == 0) {
        PyMem_RawFree(blob);
        PyMem_RawFree(slots);
        PyMem_RawFree(pairs);
        PyErr_SetString(PyExc_ValueError, "not a tiktoken rank file");
        return -1;
    }
    unsigned char *fitted = PyMem_RawRealloc(blob, offset);
    PyMem_RawFree(self->blob);
    PyMem_RawFree(self->slots);
    PyMem_RawFree(self->pair_ranks);
    self->blob = fitted ? fitted : blob;
    self->slots = slots;
    self->pair_ranks = pairs;
    self->mask = mask;
    self->serial = ++counters_made;
    return 0;
}

static void Counter_dealloc(Counter *self) {
    PyMem_RawFree(self->blob);
    PyMem_RawFree(self->slots);
    PyMem_RawFree(self->pair_ranks);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Counter_methods[] = {
    {"count", (PyCFunction)Counter_count, METH_O,
     "count(text) -> tokens of text, or -1 where tiktoken must count"},
    {"count_many", (PyCFunction)Counter_count_many, METH_O,
     "count_many(texts) -> [count(text) for text in texts], counted without the GIL"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CounterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tunelint._bpe.Counter",
    .tp_basicsize = sizeof(Counter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Counter(rank_file_bytes, pattern): exact token counts (module doc)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Counter_init,
    .tp_dealloc = (destructor)Counter_dealloc,
    .tp_methods = Counter_methods,
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_bpe",
    "Exact token counts without tiktoken's regular expressions (see _bpe.c).", -1,
    NULL,
};

PyMODINIT_FUNC PyInit__bpe(void) {
    if (PyType_Ready(&CounterType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&CounterType);
    if (PyModule_AddObject(module, "Counter", (PyObject *)&CounterType) < 0) {
        Py_DECREF(&CounterType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "UNICODE_VERSION", BPE_UNICODE_VERSION) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
