/* The compiled half of tunelint's fast path for plain chat lines (see fastpath.py).
 *
 * plain_chat(line: bytes) recognises the commonest line of a fine-tuning dataset in one pass over
 * its bytes, without building Python objects:
 *
 *     {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}, ...]}
 *
 * and returns what the engine would derive from it: orjson.dumps(obj, OPT_SORT_KEYS) (the
 * canonical JSON the duplicate keys hash), the roles as one letter each ('s', 'u', 'a', or for an
 * assistant message with a weight '0', '1', 'O' for 0.0 and 'I' for 1.0), and the prompt and target of the
 * conflicting-target check (formats.prompt_and_target: without weights). Anything else returns None and the line goes through
 * the whole engine: the grammar accepted here is narrow on purpose, so that every rule's verdict
 * on an accepted line depends on its roles alone (fastpath.py lists the conditions and the tests
 * compare both paths).
 *
 * Accepted: one object with exactly the key "messages" holding a non-empty array of objects,
 * each with exactly the keys "role" (one of "system", "user", "assistant") and "content" (a
 * string), and on assistant messages maybe "weight" (0, 1, 0.0 or 1.0), keys in any order and spelt
 * without escapes; spaces or tabs between tokens but not
 * around the line. The content must be valid UTF-8, hold a character other than whitespace (as
 * str.isspace counts it), no control character but tab, line feed and carriage return, no lone
 * surrogate escape and no "<|" (special tokens start with it).
 *
 * normalize(canonical: bytes) is formats.normalized in one pass: an escaped \n, \r or \t (and
 * their upper-case spellings) is dropped, ASCII letters are lowered and raw whitespace dropped.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Buffer;

static int reserve(Buffer *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) {
        return 1;
    }
    Py_ssize_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, (size_t)cap);
    if (data == NULL) {
        return 0;
    }
    b->data = data;
    b->cap = cap;
    return 1;
}

#define PUT(b, s, n) (memcpy((b)->data + (b)->len, (s), (n)), (b)->len += (n))

/* Byte classes of string content: 0 copies as it is, 1 needs a closer look (quote, backslash,
 * control, '<', non-ASCII). */
static unsigned char content_class[256];

/* normalize(): whether a byte is kept (not whitespace), and its lowered form. */
static unsigned char norm_keep[256];
static unsigned char norm_lower[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        content_class[c] = (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<') ? 1 : 0;
        norm_keep[c] = 1;
        norm_lower[c] = (unsigned char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    norm_keep[' '] = norm_keep['\t'] = norm_keep['\r'] = norm_keep['\n'] = 0;
    norm_keep[0x0B] = norm_keep[0x0C] = 0;
}


/* ---- eight bytes at a time ----------------------------------------------------------------
 *
 * The loops over string bytes below look at a word of 8 bytes at once where they can (a
 * little-endian machine with GCC or Clang): each test sets the high bit of the bytes it
 * matches, exactly (no borrow crosses from one byte to the next). */

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOWS 0x7F7F7F7F7F7F7F7FULL

static inline uint64_t load8(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* Bytes equal to c. */
static inline uint64_t bytes_eq(uint64_t w, unsigned char c) {
    uint64_t v = w ^ (ONES * c);
    return ~(((v & LOWS) + LOWS) | v | LOWS);
}

/* Bytes in [lo, hi] (hi < 0x80). */
static inline uint64_t bytes_in(uint64_t w, unsigned char lo, unsigned char hi) {
    uint64_t low7 = w & LOWS;
    uint64_t ge = (low7 + ONES * (unsigned char)(0x80 - lo)) & HIGHS;
    uint64_t le = ~(low7 + ONES * (unsigned char)(0x7F - hi)) & HIGHS;
    return ge & le & ~w;
}

/* content_class 1: quote, backslash, '<', a control character or a byte of a non-ASCII one. */
static inline uint64_t bytes_special(uint64_t w) {
    return bytes_eq(w, '"') | bytes_eq(w, '\\') | bytes_eq(w, '<') | bytes_in(w, 0, 0x1F) |
           (w & HIGHS);
}
#else
#define SWAR 0
#endif

/* How many bytes from p have content_class 0. */
static inline Py_ssize_t plain_run(const unsigned char *p, const unsigned char *end) {
    const unsigned char *q = p;
#if SWAR
    while (end - q >= 8) {
        uint64_t m = bytes_special(load8(q));
        if (m) {
            return (q - p) + (__builtin_ctzll(m) >> 3);
        }
        q += 8;
    }
#endif
    while (q < end && content_class[*q] == 0) {
        q++;
    }
    return q - p;
}

/* str.isspace() of a code point above ASCII (the ASCII ones are handled by the callers). */
static int is_unicode_space(uint32_t cp) {
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int is_ascii_space(uint32_t cp) {
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
}

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *out) {
    if (end - p < 4) {
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        } else {
            return 0;
        }
    }
    *out = v;
    return 1;
}

/* The code point of a \u escape whose four hex digits start at p, joining a surrogate pair
 * written as two escapes: the position after it, or NULL for bad hex or a lone surrogate. */
static const unsigned char *unicode_escape(const unsigned char *p, const unsigned char *end,
                                           uint32_t *cp) {
    if (!hex4(p, end, cp)) {
        return NULL;
    }
    p += 4;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        uint32_t low;
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &low) ||
            low < 0xDC00 || low > 0xDFFF) {
            return NULL; /* a lone high surrogate */
        }
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
        return p + 6;
    }
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
        return NULL; /* a lone low surrogate */
    }
    return p;
}

/* The escape at p (its backslash), decoded into *cp: the position after it, or NULL for one the
 * fast paths decline (a control character but \n, \r and \t, a lone surrogate, not JSON). */
static const unsigned char *read_escape(const unsigned char *p, const unsigned char *end,
                                        uint32_t *cp) {
    if (end - p < 2) {
        return NULL;
    }
    unsigned char e = p[1];
    p += 2;
    switch (e) {
    case '"': *cp = '"'; break;
    case '\\': *cp = '\\'; break;
    case '/': *cp = '/'; break;
    case 'n': *cp = '\n'; break;
    case 'r': *cp = '\r'; break;
    case 't': *cp = '\t'; break;
    case 'u':
        if ((p = unicode_escape(p, end, cp)) == NULL) {
            return NULL;
        }
        break;
    default:
        return NULL; /* \b, \f (control characters) or not JSON */
    }
    if (*cp < 0x20 && *cp != '\n' && *cp != '\r' && *cp != '\t') {
        return NULL;
    }
    return p;
}

/* Whether the string character at p is a '|', written raw or as \u007c. */
static int pipe_at(const unsigned char *p, const unsigned char *end) {
    uint32_t cp;
    if (p < end && *p == '|') {
        return 1;
    }
    return end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, end, &cp) && cp == '|';
}

/* One well-formed UTF-8 character at p (as Python's strict decoder accepts): its length, or 0. */
static int utf8_char(const unsigned char *p, const unsigned char *end, uint32_t *cp) {
    unsigned char c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) {
            return 0; /* overlong, or a surrogate */
        }
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) {
            return 0; /* overlong, or above U+10FFFF */
        }
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
              ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        return 4;
    }
    return 0;
}

static void put_utf8(Buffer *b, uint32_t cp) {
    char s[4];
    if (cp < 0x80) {
        s[0] = (char)cp;
        PUT(b, s, 1);
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        PUT(b, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        PUT(b, s, 3);
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        PUT(b, s, 4);
    }
}

/* The bytes from p that need no closer look (plain_run) copied to b: the position after them;
 * *seen_text set if one is not a space (they are printable ASCII or spaces). */
static const unsigned char *copy_run(const unsigned char *p, const unsigned char *end, Buffer *b,
                                     int *seen_text) {
    Py_ssize_t n = plain_run(p, end);
    if (n > 0) {
        if (!*seen_text) {
            for (Py_ssize_t i = 0; i < n; i++) {
                if (p[i] != ' ') {
                    *seen_text = 1;
                    break;
                }
            }
        }
        PUT(b, p, n);
    }
    return p + n;
}

/* The UTF-8 character at p copied to b: the position after it, or NULL when it is not
 * well-formed; *seen_text set unless it is white space. */
static const unsigned char *copy_char(const unsigned char *p, const unsigned char *end,
                                      Buffer *b, int *seen_text) {
    uint32_t cp;
    int n = utf8_char(p, end, &cp);
    if (n == 0) {
        return NULL;
    }
    PUT(b, p, n);
    if (!is_unicode_space(cp)) {
        *seen_text = 1;
    }
    return p + n;
}

/* The content string starting at its opening quote, written as orjson writes it (with its
 * quotes). Returns the position after the closing quote, or NULL when the fast path declines. */
static const unsigned char *content(const unsigned char *p, const unsigned char *end, Buffer *b) {
    int seen_text = 0; /* a character that is not whitespace */
    p++;               /* the opening quote */
    /* The canonical form is never longer than the source here: escapes only get shorter (or stay
     * as long, for \n, \r, \t, \", \\), so reserving the rest of the line covers it. */
    if (!reserve(b, (end - p) + 2)) {
        return NULL;
    }
    PUT(b, "\"", 1);
    while (p < end) {
        p = copy_run(p, end, b, &seen_text);
        if (p >= end) {
            return NULL;
        }
        unsigned char c = *p;
        if (c == '"') {
            if (!seen_text) {
                return NULL; /* empty or whitespace only */
            }
            PUT(b, "\"", 1);
            return p + 1;
        } else if (c == '<') {
            if (pipe_at(p + 1, end)) {
                return NULL;
            }
            PUT(b, "<", 1);
            seen_text = 1;
            p++;
        } else if (c == '\\') {
            uint32_t cp;
            if ((p = read_escape(p, end, &cp)) == NULL) {
                return NULL;
            }
            if (cp == '<' && pipe_at(p, end)) {
                return NULL;
            }
            if (cp == '"') {
                PUT(b, "\\\"", 2);
            } else if (cp == '\\') {
                PUT(b, "\\\\", 2);
            } else if (cp == '\n') {
                PUT(b, "\\n", 2);
            } else if (cp == '\r') {
                PUT(b, "\\r", 2);
            } else if (cp == '\t') {
                PUT(b, "\\t", 2);
            } else {
                put_utf8(b, cp);
            }
            if (cp >= 0x80 ? !is_unicode_space(cp) : !is_ascii_space(cp)) {
                seen_text = 1;
            }
        } else if (c >= 0x80) {
            if ((p = copy_char(p, end, b, &seen_text)) == NULL) {
                return NULL;
            }
        } else {
            return NULL; /* a raw control character: not JSON */
        }
    }
    return NULL;
}

static const unsigned char *skip_space(const unsigned char *p, const unsigned char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    return p;
}

/* Past the ':' after an object key (and the spaces around it), or NULL if there is none. */
static const unsigned char *after_colon(const unsigned char *p, const unsigned char *end) {
    p = skip_space(p, end);
    if (p == end || *p != ':') {
        return NULL;
    }
    return skip_space(p + 1, end);
}

/* A quoted literal (a key or a role) at p: the position after it, or NULL. */
static const unsigned char *literal(const unsigned char *p, const unsigned char *end,
                                    const char *quoted, Py_ssize_t n) {
    if (end - p >= n && memcmp(p, quoted, (size_t)n) == 0) {
        return p + n;
    }
    return NULL;
}

#define LIT(p, s) literal((p), end, (s), (Py_ssize_t)(sizeof(s) - 1))

static const char HEAD[] = "{\"messages\":[";

/* What scan_plain finds on a line: the canonical JSON, the roles (one letter a message) and, per
 * message, where it starts in the canonical bytes, where it ends without its weight (the prompt
 * and target leave weights out) and where it ends. Kept between lines by plain_lines, so that
 * its buffers are allocated once per block, not once per line. */
typedef struct {
    Buffer canonical;
    char roles_small[64];
    Py_ssize_t ends_small[64 * 3];
    char *roles;
    Py_ssize_t *ends;
    Py_ssize_t n_messages, room;
} Plain;

static void plain_init(Plain *s) {
    s->canonical.data = NULL;
    s->canonical.len = s->canonical.cap = 0;
    s->roles = s->roles_small;
    s->ends = s->ends_small;
    s->n_messages = 0;
    s->room = 64;
}

static void plain_free(Plain *s) {
    if (s->roles != s->roles_small) {
        PyMem_Free(s->roles);
        PyMem_Free(s->ends);
    }
    PyMem_Free(s->canonical.data);
    plain_init(s);
}

/* Room for one more message's role and ends: 0 when out of memory. */
static int plain_grow(Plain *s) {
    if (s->n_messages < s->room) {
        return 1;
    }
    Py_ssize_t bigger = s->room * 2;
    char *r = PyMem_Malloc((size_t)bigger);
    Py_ssize_t *e = PyMem_Malloc((size_t)bigger * 3 * sizeof(Py_ssize_t));
    if (r == NULL || e == NULL) {
        PyMem_Free(r);
        PyMem_Free(e);
        return 0;
    }
    memcpy(r, s->roles, (size_t)s->room);
    memcpy(e, s->ends, (size_t)s->room * 3 * sizeof(Py_ssize_t));
    if (s->roles != s->roles_small) {
        PyMem_Free(s->roles);
        PyMem_Free(s->ends);
    }
    s->roles = r;
    s->ends = e;
    s->room = bigger;
    return 1;
}

/* Scans the line [p, end) into s: 1 when it is a plain chat line, 0 when the fast path declines
 * it, -1 when out of memory (no exception set). */
static int scan_plain(Plain *s, const unsigned char *p, const unsigned char *end) {
    Buffer *b = &s->canonical;
    b->len = 0;
    s->n_messages = 0;
    if (!reserve(b, (end - p) + (Py_ssize_t)sizeof(HEAD) + 64)) {
        return -1;
    }
    PUT(b, HEAD, (Py_ssize_t)sizeof(HEAD) - 1);
    if (p == end || *p != '{') {
        return 0;
    }
    p = skip_space(p + 1, end);
    if ((p = LIT(p, "\"messages\"")) == NULL) {
        return 0;
    }
    if ((p = after_colon(p, end)) == NULL) {
        return 0;
    }
    if (p == end || *p != '[') {
        return 0;
    }
    p = skip_space(p + 1, end);
    for (;;) {
        const char *role = NULL;
        Py_ssize_t role_len = 0;
        Py_ssize_t content_start = -1;
        int weight = -1;
        if (p == end || *p != '{') {
            return 0;
        }
        p = skip_space(p + 1, end);
        /* The message is written with its content first (sorted keys); the role is known only
         * once both members are read, so the content goes to the buffer and the role after. */
        if (!reserve(b, 12)) {
            return -1;
        }
        Py_ssize_t message_start = b->len;
        PUT(b, "{\"content\":", 11);
        for (int member = 0; member < 3; member++) {
            const unsigned char *after;
            if (member > 0) {
                if (p < end && *p == '}' && member == 2) {
                    break; /* no weight */
                }
                if (p == end || *p != ',') {
                    return 0;
                }
                p = skip_space(p + 1, end);
            }
            if ((after = LIT(p, "\"role\"")) != NULL && role == NULL) {
                if ((p = after_colon(after, end)) == NULL) {
                    return 0;
                }
                if ((after = LIT(p, "\"user\"")) != NULL) {
                    role = "u";
                    role_len = 4;
                } else if ((after = LIT(p, "\"assistant\"")) != NULL) {
                    role = "a";
                    role_len = 9;
                } else if ((after = LIT(p, "\"system\"")) != NULL) {
                    role = "s";
                    role_len = 6;
                } else {
                    return 0;
                }
                p = skip_space(after, end);
            } else if ((after = LIT(p, "\"content\"")) != NULL && content_start < 0) {
                if ((p = after_colon(after, end)) == NULL) {
                    return 0;
                }
                if (p == end || *p != '"') {
                    return 0;
                }
                content_start = b->len;
                if ((p = content(p, end, b)) == NULL) {
                    return 0; /* declined (its reservation is covered by the one above) */
                }
                p = skip_space(p, end);
            } else if ((after = LIT(p, "\"weight\"")) != NULL && weight < 0) {
                if ((p = after_colon(after, end)) == NULL) {
                    return 0;
                }
                if (p == end || (*p != '0' && *p != '1')) {
                    return 0;
                }
                weight = *p - '0';
                p++;
                if (end - p >= 2 && p[0] == '.' && p[1] == '0') {
                    weight += 2; /* 0.0 or 1.0, as pandas writes them: 2 or 3 */
                    p += 2;
                }
                if (p < end && *p != ' ' && *p != '\t' && *p != ',' && *p != '}') {
                    return 0; /* 10, 1.00, 1e0: not 0, 1, 0.0 or 1.0 */
                }
                p = skip_space(p, end);
            } else {
                return 0;
            }
        }
        if (role == NULL || content_start < 0) {
            return 0;
        }
        if (weight >= 0 && role[0] != 'a') {
            return 0; /* a weight on another role: the weight rules speak */
        }
        if (p == end || *p != '}') {
            return 0;
        }
        p = skip_space(p + 1, end);
        /* ,"role":"assistant" (19), ,"weight":1.0 (13) and } */
        if (!reserve(b, 40)) {
            return -1;
        }
        PUT(b, ",\"role\":\"", 9);
        static const char *names[] = {"user", "assistant", "system"};
        const char *name = role[0] == 'u' ? names[0] : role[0] == 'a' ? names[1] : names[2];
        PUT(b, name, role_len);
        PUT(b, "\"", 1);
        Py_ssize_t core_end = b->len; /* the message without its weight, before its '}' */
        if (weight >= 0) {
            static const char *weights[] = {",\"weight\":0", ",\"weight\":1", ",\"weight\":0.0",
                                            ",\"weight\":1.0"};
            PUT(b, weights[weight], weight < 2 ? 11 : 13);
        }
        PUT(b, "}", 1);
        if (!plain_grow(s)) {
            return -1;
        }
        /* Roles as letters; an assistant message with a weight as the weight's digit, or 'O'
         * and 'I' for 0.0 and 1.0. */
        Py_ssize_t m = s->n_messages++;
        s->roles[m] = weight < 0 ? role[0] : "01OI"[weight];
        s->ends[3 * m] = message_start;
        s->ends[3 * m + 1] = core_end;
        s->ends[3 * m + 2] = b->len;
        if (p < end && *p == ',') {
            p = skip_space(p + 1, end);
            if (!reserve(b, 1)) {
                return -1;
            }
            PUT(b, ",", 1);
            continue;
        }
        if (p < end && *p == ']') {
            break;
        }
        return 0;
    }
    p = skip_space(p + 1, end);
    if (p == end || *p != '}' || p + 1 != end) {
        return 0;
    }
    if (!reserve(b, 2)) {
        return -1;
    }
    PUT(b, "]}", 2);
    return 1;
}

/* The last assistant message, whose target the conflicting-target check compares: -1 without
 * one, 0 when it is the first message (no prompt: neither is kept). */
static Py_ssize_t plain_last_assistant(const Plain *s) {
    Py_ssize_t last = s->n_messages - 1;
    while (last >= 0 && s->roles[last] != 'a' && s->roles[last] != '0' &&
           s->roles[last] != '1' && s->roles[last] != 'O' && s->roles[last] != 'I') {
        last--;
    }
    return last;
}

/* The prompt (the messages before `last`, without weights, as a JSON array) and the target
 * (message `last` without its weight): their sizes, and each written at o (which has room). */
static Py_ssize_t plain_prompt_size(const Plain *s, Py_ssize_t last) {
    Py_ssize_t size = 2 + (last - 1); /* brackets and commas */
    for (Py_ssize_t i = 0; i < last; i++) {
        size += s->ends[3 * i + 1] - s->ends[3 * i] + 1;
    }
    return size;
}

static void plain_write_prompt(const Plain *s, Py_ssize_t last, char *o) {
    *o++ = '[';
    for (Py_ssize_t i = 0; i < last; i++) {
        if (i > 0) {
            *o++ = ',';
        }
        Py_ssize_t n = s->ends[3 * i + 1] - s->ends[3 * i];
        memcpy(o, s->canonical.data + s->ends[3 * i], (size_t)n);
        o += n;
        *o++ = '}';
    }
    *o = ']';
}

static Py_ssize_t plain_target_size(const Plain *s, Py_ssize_t last) {
    return s->ends[3 * last + 1] - s->ends[3 * last] + 1;
}

static void plain_write_target(const Plain *s, Py_ssize_t last, char *o) {
    Py_ssize_t n = s->ends[3 * last + 1] - s->ends[3 * last];
    memcpy(o, s->canonical.data + s->ends[3 * last], (size_t)n);
    o[n] = '}';
}

/* The prompt and target as new bytes objects. */
static int plain_prompt_target(const Plain *s, Py_ssize_t last, PyObject **prompt,
                               PyObject **target) {
    *prompt = PyBytes_FromStringAndSize(NULL, plain_prompt_size(s, last));
    if (*prompt == NULL) {
        return 0;
    }
    plain_write_prompt(s, last, PyBytes_AS_STRING(*prompt));
    *target = PyBytes_FromStringAndSize(NULL, plain_target_size(s, last));
    if (*target == NULL) {
        Py_CLEAR(*prompt);
        return 0;
    }
    plain_write_target(s, last, PyBytes_AS_STRING(*target));
    return 1;
}

static PyObject *plain_chat(PyObject *module, PyObject *arg) {
    (void)module;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "plain_chat() takes bytes");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(arg);
    /* A scanner per call (not one kept between calls): nothing to reason about if two threads
     * call in turn, and a 100 MB line's buffer does not outlive its call. */
    Plain s;
    plain_init(&s);
    PyObject *result = NULL;
    int found = scan_plain(&s, p, p + PyBytes_GET_SIZE(arg));
    if (found < 0) {
        PyErr_NoMemory();
    } else if (found == 0) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *canonical = PyBytes_FromStringAndSize(s.canonical.data, s.canonical.len);
        PyObject *roles = PyBytes_FromStringAndSize(s.roles, s.n_messages);
        PyObject *prompt = NULL, *target = NULL;
        Py_ssize_t last = plain_last_assistant(&s);
        if (last > 0) {
            plain_prompt_target(&s, last, &prompt, &target);
        } else {
            prompt = Py_NewRef(Py_None);
            target = Py_NewRef(Py_None);
        }
        if (canonical && roles && prompt && target) {
            result = PyTuple_Pack(4, canonical, roles, prompt, target);
        }
        Py_XDECREF(canonical);
        Py_XDECREF(roles);
        Py_XDECREF(prompt);
        Py_XDECREF(target);
    }
    plain_free(&s);
    return result;
}

/* One byte (or an escape) of normalize_into at *i. */
static inline void normalize_step(const unsigned char *restrict p, Py_ssize_t n, Py_ssize_t *i,
                                  unsigned char *restrict o, Py_ssize_t *k) {
    unsigned char c = p[*i];
    if (c == '\\') {
        unsigned char e = *i + 1 < n ? p[*i + 1] : 0;
        if (e == 'n' || e == 'r' || e == 't' || e == 'N' || e == 'R' || e == 'T') {
            *i += 1;
        } else {
            o[(*k)++] = c;
        }
    } else {
        /* Branch-free: whitespace (every few bytes in prose) would be mispredicted. */
        o[*k] = norm_lower[c];
        *k += norm_keep[c];
    }
    *i += 1;
}

#if SWAR && defined(__x86_64__)
#include <tmmintrin.h>
#define COMPACT 1
/* For each mask of bytes to drop from a word (bit j: byte j), the shuffle that gathers the
 * others at its start (SSSE3's pshufb), and how many there are. */
static unsigned char compact_shuffle[256][16];
static unsigned char compact_kept[256];
static int compact_ready;

static void init_compact(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("ssse3")) {
        return;
    }
    for (int mask = 0; mask < 256; mask++) {
        int kept = 0;
        for (int j = 0; j < 8; j++) {
            if (!(mask & (1 << j))) {
                compact_shuffle[mask][kept++] = (unsigned char)j;
            }
        }
        compact_kept[mask] = (unsigned char)kept;
        for (int j = kept; j < 16; j++) {
            compact_shuffle[mask][j] = 0x80; /* a zero byte */
        }
    }
    compact_ready = 1;
}

/* normalize_into a word at a time, for the words without a backslash: their letters lowered
 * at once and their whitespace squeezed out by one shuffle. The output is never longer than
 * what was read, so a whole word's store has room. Returns where it stopped in p. */
__attribute__((target("ssse3")))
static Py_ssize_t normalize_words(const unsigned char *restrict p, Py_ssize_t n,
                                  unsigned char *restrict o, Py_ssize_t *k_out, Py_ssize_t i) {
    Py_ssize_t k = *k_out;
    while (n - i >= 8) {
        uint64_t w = load8(p + i);
        if (bytes_eq(w, '\\')) {
            break;
        }
        uint64_t lowered = w + (bytes_in(w, 'A', 'Z') >> 2);
        uint64_t space = bytes_eq(w, ' ') | bytes_in(w, '\t', '\r');
        /* The high bit of each byte, gathered into the low 8 bits. */
        unsigned mask = (unsigned)(((space >> 7) * 0x0102040810204080ULL) >> 56);
        __m128i word = _mm_cvtsi64_si128((long long)lowered);
        __m128i shuffle = _mm_loadu_si128((const __m128i *)compact_shuffle[mask]);
        _mm_storel_epi64((__m128i *)(o + k), _mm_shuffle_epi8(word, shuffle));
        k += compact_kept[mask];
        i += 8;
    }
    *k_out = k;
    return i;
}
#else
#define COMPACT 0
static void init_compact(void) {}
#endif

static Py_ssize_t normalize_into(const unsigned char *restrict p, Py_ssize_t n,
                                 unsigned char *restrict o) {
    Py_ssize_t k = 0;
    Py_ssize_t i = 0;
    while (i < n) {
#if COMPACT
        if (compact_ready && n - i >= 8) {
            i = normalize_words(p, n, o, &k, i);
            if (n - i < 8) {
                continue;
            }
            /* A word with a backslash: a byte at a time through it. */
            Py_ssize_t through = i + (__builtin_ctzll(bytes_eq(load8(p + i), '\\')) >> 3);
            while (i <= through) {
                normalize_step(p, n, &i, o, &k);
            }
            continue;
        }
#endif
        normalize_step(p, n, &i, o, &k);
    }
    return k;
}

static PyObject *normalize(PyObject *module, PyObject *arg) {
    (void)module;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "normalize() takes bytes");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t n = PyBytes_GET_SIZE(arg);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t k = normalize_into(p, n, (unsigned char *)PyBytes_AS_STRING(out));
    if (_PyBytes_Resize(&out, k) < 0) {
        return NULL;
    }
    return out;
}

/* ---- plain_lines: a run of plain lines straight into the check's columns ----------------
 *
 * batch.py's loop over a block of a file, for the lines the fast path takes whole: each line
 * whose sequence of roles has a verdict already (the `codes` dict) gets its columns (lean.Columns,
 * in the arrays' native layout) written here, with no Python object per line but the views its
 * hashes are read through. It stops at the first line it cannot take, for the caller to analyse:
 * a line that is not plain, one whose roles have no code yet (their roles are returned, so the
 * caller can add the code once it has a verdict), one over the token bound, one without its
 * line end in the block, or the range's end. */

enum {
    COL_KINDS, COL_FORMATS, COL_N_MESSAGES, COL_N_IMAGES, COL_SIZES, COL_TOKENS, COL_ENDINGS,
    COL_OFFSETS, COL_LENGTHS, COL_HASHES, COL_EXACT, COL_NORM, COL_PROMPT, COL_TARGET, N_COLUMNS
};
/* Bytes per line of each column (array typecodes B B I I Q q B Q Q Q, then 8-byte keys). */
static const Py_ssize_t column_width[N_COLUMNS] = {1, 1, 4, 4, 8, 8, 1, 8, 8, 8, 8, 8, 8, 8};

#define PUT_VALUE(b, type, v) do { type v_ = (type)(v); PUT((b), &v_, sizeof(type)); } while (0)

/* hash_int(view of the line): its 64-bit hash (the results cache's key of a line); 0 on error. */
static int hash_line(PyObject *hash_int, const unsigned char *line, Py_ssize_t length,
                     unsigned long long *out) {
    PyObject *view = PyMemoryView_FromMemory((char *)line, length, PyBUF_READ);
    if (view == NULL) {
        return 0;
    }
    PyObject *h = PyObject_CallOneArg(hash_int, view);
    Py_DECREF(view);
    if (h == NULL) {
        return 0;
    }
    *out = PyLong_AsUnsignedLongLong(h);
    Py_DECREF(h);
    return !(*out == (unsigned long long)-1 && PyErr_Occurred());
}

/* fn(view of [data, data + n)): an xxh3 digest of 8 bytes, appended to out. */
static int put_digest(PyObject *fn, const char *data, Py_ssize_t n, Buffer *out) {
    PyObject *view = PyMemoryView_FromMemory((char *)data, n, PyBUF_READ);
    if (view == NULL) {
        return 0;
    }
    PyObject *d = PyObject_CallOneArg(fn, view);
    Py_DECREF(view);
    if (d == NULL) {
        return 0;
    }
    if (!PyBytes_Check(d) || PyBytes_GET_SIZE(d) != 8) {
        Py_DECREF(d);
        PyErr_SetString(PyExc_ValueError, "a key digest must be 8 bytes");
        return 0;
    }
    PUT(out, PyBytes_AS_STRING(d), 8);
    Py_DECREF(d);
    return 1;
}

/* chat_line's scan (below), for the tool lines plain_lines takes with a verdict on their shape. */
typedef struct Chat Chat;
static Chat *chat_new(void);
static void chat_free(Chat *c);
static int chat_scan(Chat *c, const unsigned char *line, Py_ssize_t size);
static PyObject *chat_call(PyObject *tool, Chat *c);
static void chat_facts(const Chat *c, const char **canonical, Py_ssize_t *canonical_len,
                       Py_ssize_t *n_messages, Py_ssize_t *n_images, const Buffer **prompt,
                       const Buffer **target);

static PyObject *plain_lines(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *block, *codes, *hash_int, *digest, *tool = Py_None;
    Py_ssize_t pos, stop, per_message, fixed, per_image = 0;
    unsigned long long base;
    double limit;
    int kind;
    if (!PyArg_ParseTuple(args, "SnnKO!nndiOO|On:plain_lines", &block, &pos, &stop, &base,
                          &PyDict_Type, &codes, &per_message, &fixed, &limit, &kind, &hash_int,
                          &digest, &tool, &per_image)) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(block);
    Py_ssize_t size = PyBytes_GET_SIZE(block);
    if (pos < 0 || stop < pos || stop > size) {
        PyErr_SetString(PyExc_ValueError, "plain_lines(): need 0 <= pos <= stop <= len(block)");
        return NULL;
    }
    Plain s;
    plain_init(&s);
    Buffer columns[N_COLUMNS];
    memset(columns, 0, sizeof(columns));
    /* (line taken, its problems' index in the chunk's FlaggedLines) as two int64 */
    Buffer flagged = {NULL, 0, 0};
    Buffer normalized = {NULL, 0, 0};
    PyObject *stopped_roles = NULL, *result = NULL;
    Py_ssize_t taken = 0;
    Chat *chat = NULL; /* for the lines scan_plain declines, when there is a `tool` */

    while (pos < stop) {
        const unsigned char *line = data + pos;
        const unsigned char *nl = memchr(line, '\n', (size_t)(size - pos));
        if (nl == NULL) {
            break; /* its end is in the next block */
        }
        Py_ssize_t length = nl - line, ending = 1;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
            ending = 2;
        }
        int found = scan_plain(&s, line, line + length);
        if (found < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        /* The line's canonical JSON, messages, and (not plain) prompt and target. */
        const char *canonical;
        Py_ssize_t canonical_len, n_messages, n_images = 0;
        const Buffer *prompt = NULL, *target = NULL;
        long code;
        if (found == 0) {
            /* Not plain: a chat line whose shape `tool` gives a verdict on, or the caller's. */
            if (tool == Py_None) {
                break;
            }
            if (chat == NULL && (chat = chat_new()) == NULL) {
                goto fail;
            }
            int scanned = chat_scan(chat, line, length);
            if (scanned < 0) {
                goto fail;
            }
            if (scanned == 0) {
                break;
            }
            chat_facts(chat, &canonical, &canonical_len, &n_messages, &n_images, &prompt,
                       &target);
            if ((double)(length + n_messages * per_message + n_images * per_image + fixed) >
                limit) {
                break;
            }
            PyObject *code_obj = chat_call(tool, chat);
            if (code_obj == NULL) {
                goto fail;
            }
            code = code_obj == Py_None ? -1 : PyLong_AsLong(code_obj);
            Py_DECREF(code_obj);
            if (code == -1 && PyErr_Occurred()) {
                goto fail;
            }
            if (code < 0) {
                break;
            }
        } else {
            if ((double)(length + s.n_messages * per_message + fixed) > limit) {
                break;
            }
            PyObject *roles = PyBytes_FromStringAndSize(s.roles, s.n_messages);
            if (roles == NULL) {
                goto fail;
            }
            PyObject *code_obj = PyDict_GetItemWithError(codes, roles); /* borrowed */
            if (code_obj == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(roles);
                    goto fail;
                }
                stopped_roles = roles; /* no verdict yet: the caller learns it from this line */
                break;
            }
            Py_DECREF(roles);
            code = PyLong_AsLong(code_obj);
            if (code == -1 && PyErr_Occurred()) {
                goto fail;
            }
            if (code < 0) {
                break; /* roles whose lines always go the whole way */
            }
            canonical = s.canonical.data;
            canonical_len = s.canonical.len;
            n_messages = s.n_messages;
        }
        for (int c = 0; c < N_COLUMNS; c++) {
            if (!reserve(&columns[c], column_width[c])) {
                PyErr_NoMemory();
                goto fail;
            }
        }
        if (!reserve(&normalized, canonical_len) || !reserve(&flagged, 16)) {
            PyErr_NoMemory();
            goto fail;
        }
        /* The line's hash (the results cache's key) and its duplicate keys. */
        unsigned long long line_hash;
        if (!hash_line(hash_int, line, length, &line_hash)) {
            goto fail;
        }
        if (!put_digest(digest, canonical, canonical_len, &columns[COL_EXACT])) {
            goto fail;
        }
        normalized.len = normalize_into((const unsigned char *)canonical, canonical_len,
                                        (unsigned char *)normalized.data);
        if (!put_digest(digest, normalized.data, normalized.len, &columns[COL_NORM])) {
            goto fail;
        }
        Py_ssize_t last = found ? plain_last_assistant(&s) : -1;
        if (prompt != NULL) {
            if (!put_digest(digest, prompt->data, prompt->len, &columns[COL_PROMPT]) ||
                !put_digest(digest, target->data, target->len, &columns[COL_TARGET])) {
                goto fail;
            }
        } else if (last > 0) {
            /* The prompt and target are written into the normalized buffer, which is free now
             * and at least as long as the canonical bytes they are cut from. */
            plain_write_prompt(&s, last, normalized.data);
            if (!put_digest(digest, normalized.data, plain_prompt_size(&s, last),
                            &columns[COL_PROMPT])) {
                goto fail;
            }
            plain_write_target(&s, last, normalized.data);
            if (!put_digest(digest, normalized.data, plain_target_size(&s, last),
                            &columns[COL_TARGET])) {
                goto fail;
            }
        } else {
            static const char no_key[8] = {0};
            PUT(&columns[COL_PROMPT], no_key, 8);
            PUT(&columns[COL_TARGET], no_key, 8);
        }
        PUT_VALUE(&columns[COL_KINDS], uint8_t, kind);
        PUT_VALUE(&columns[COL_FORMATS], uint8_t, code & 0xFF);
        PUT_VALUE(&columns[COL_N_MESSAGES], uint32_t, n_messages);
        PUT_VALUE(&columns[COL_N_IMAGES], uint32_t, n_images);
        PUT_VALUE(&columns[COL_SIZES], uint64_t, length);
        PUT_VALUE(&columns[COL_TOKENS], int64_t, -1);
        PUT_VALUE(&columns[COL_ENDINGS], uint8_t, ending);
        PUT_VALUE(&columns[COL_OFFSETS], uint64_t, base + (unsigned long long)pos);
        PUT_VALUE(&columns[COL_LENGTHS], uint64_t, length);
        PUT_VALUE(&columns[COL_HASHES], uint64_t, line_hash);
        if ((code >> 8) > 0) { /* the index of its roles' problems (0: none) */
            PUT_VALUE(&flagged, int64_t, taken);
            PUT_VALUE(&flagged, int64_t, code >> 8);
        }
        taken++;
        pos = (nl - data) + 1;
    }

    {
        PyObject *cols = PyTuple_New(N_COLUMNS);
        PyObject *flags = PyBytes_FromStringAndSize(flagged.data, flagged.len);
        if (cols == NULL || flags == NULL) {
            Py_XDECREF(cols);
            Py_XDECREF(flags);
            goto fail;
        }
        for (int c = 0; c < N_COLUMNS; c++) {
            PyObject *col = PyBytes_FromStringAndSize(columns[c].data, columns[c].len);
            if (col == NULL) {
                Py_DECREF(cols);
                Py_DECREF(flags);
                goto fail;
            }
            PyTuple_SET_ITEM(cols, c, col);
        }
        result = Py_BuildValue("(nnNNO)", pos, taken, cols, flags,
                               stopped_roles ? stopped_roles : Py_None);
    }
fail:
    Py_XDECREF(stopped_roles);
    for (int c = 0; c < N_COLUMNS; c++) {
        PyMem_Free(columns[c].data);
    }
    PyMem_Free(flagged.data);
    PyMem_Free(normalized.data);
    plain_free(&s);
    chat_free(chat);
    return result;
}

static PyObject *buffer_bytes(const Buffer *b);

/* ---- scan_lines: the line table of a file the results cache knows -----------------------
 *
 * batch._scan_lines' loop over a block: for each whole line from `pos` (one that ends in the
 * block), its hash (hash_int of its bytes without the line end), offset, length and line end
 * (1: LF, 2: CRLF), as the native arrays of lean.Columns. Stops early, saying so, at a line
 * with a carriage return of its own (the in-memory path reads those files). */
static PyObject *scan_lines(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *block, *hash_int;
    Py_ssize_t pos;
    unsigned long long base;
    if (!PyArg_ParseTuple(args, "SnKO:scan_lines", &block, &pos, &base, &hash_int)) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(block);
    Py_ssize_t size = PyBytes_GET_SIZE(block);
    if (pos < 0 || pos > size) {
        PyErr_SetString(PyExc_ValueError, "scan_lines(): need 0 <= pos <= len(block)");
        return NULL;
    }
    Buffer hashes = {0}, offsets = {0}, lengths = {0}, endings = {0};
    PyObject *result = NULL;
    int lone_cr = 0;
    while (pos < size) {
        const unsigned char *line = data + pos;
        const unsigned char *nl = memchr(line, '\n', (size_t)(size - pos));
        if (nl == NULL) {
            break;
        }
        Py_ssize_t length = nl - line;
        uint8_t ending = 1;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
            ending = 2;
        }
        if (memchr(line, '\r', (size_t)length) != NULL) {
            lone_cr = 1;
            break;
        }
        if (!reserve(&hashes, 8) || !reserve(&offsets, 8) || !reserve(&lengths, 8) ||
            !reserve(&endings, 1)) {
            PyErr_NoMemory();
            goto done;
        }
        unsigned long long line_hash;
        if (!hash_line(hash_int, line, length, &line_hash)) {
            goto done;
        }
        PUT_VALUE(&hashes, uint64_t, line_hash);
        PUT_VALUE(&offsets, uint64_t, base + (unsigned long long)pos);
        PUT_VALUE(&lengths, uint64_t, length);
        PUT_VALUE(&endings, uint8_t, ending);
        pos = (nl - data) + 1;
    }
    result = Py_BuildValue("(nNNNNO)", pos, buffer_bytes(&hashes), buffer_bytes(&offsets),
                           buffer_bytes(&lengths), buffer_bytes(&endings),
                           lone_cr ? Py_True : Py_False);
done:
    PyMem_Free(hashes.data);
    PyMem_Free(offsets.data);
    PyMem_Free(lengths.data);
    PyMem_Free(endings.data);
    return result;
}

/* ---- locate: where the value at a JSON pointer is -------------------------------------
 *
 * jsonscan.locate's answer without its Python scan of the whole line: one validating pass that
 * records only the spans along the pointer's path. It returns None wherever jsonscan might see
 * the line differently (a syntax error anywhere, nesting deeper than jsonscan's limit, a key with
 * an escape or a repeated key on the path), and the caller then asks jsonscan itself. */

#define LOCATE_MAX_DEPTH 400 /* jsonscan.MAX_DEPTH */

typedef struct {
    const unsigned char *start, *p, *end;
    Py_ssize_t n_tokens;
    const char **tokens;
    const Py_ssize_t *token_lengths;
    /* spans[d]: value start, value end, key start, key end (byte offsets; -1 for no key) of the
     * value at the path's first d tokens; found = the deepest d with a span. */
    Py_ssize_t (*spans)[4];
    Py_ssize_t found;
    int decline;
} Locator;

static void loc_ws(Locator *L) {
    while (L->p < L->end && (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r')) {
        L->p++;
    }
}

/* A string at L->p (its opening quote), validated as jsonscan validates; sets *escaped when it
 * holds a backslash. */
static int loc_string(Locator *L, int *escaped) {
    const unsigned char *p = L->p + 1, *end = L->end;
    *escaped = 0;
    while (p < end) {
        unsigned char c = *p;
        if (c == '"') {
            L->p = p + 1;
            return 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            *escaped = 1;
            if (end - p < 2) {
                return 0;
            }
            unsigned char e = p[1];
            if (e == 'u') {
                uint32_t cp;
                if ((p = unicode_escape(p + 2, end, &cp)) == NULL) {
                    return 0;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return 0;
            }
            p += 2;
            continue;
        }
        p++;
    }
    return 0;
}

static int loc_digits(Locator *L) {
    const unsigned char *q = L->p;
    while (L->p < L->end && *L->p >= '0' && *L->p <= '9') {
        L->p++;
    }
    return L->p > q;
}

static int loc_number(Locator *L) {
    if (*L->p == '-') {
        L->p++;
    }
    if (L->p < L->end && *L->p == '0') {
        L->p++;
    } else if (!loc_digits(L)) {
        return 0;
    }
    if (L->p < L->end && *L->p == '.') {
        L->p++;
        if (!loc_digits(L)) {
            return 0;
        }
    }
    if (L->p < L->end && (*L->p == 'e' || *L->p == 'E')) {
        L->p++;
        if (L->p < L->end && (*L->p == '+' || *L->p == '-')) {
            L->p++;
        }
        if (!loc_digits(L)) {
            return 0;
        }
    }
    /* jsonscan also refuses a number run on by digits, dots or signs ("1.2.3", "01"): strict
     * JSON refuses those too, as the caller finds no ',', ']' or '}' after them. */
    return 1;
}

static int loc_literal(Locator *L, const char *word, Py_ssize_t n) {
    if (L->end - L->p >= n && memcmp(L->p, word, (size_t)n) == 0) {
        L->p += n;
        return 1;
    }
    return 0;
}

/* The array index a pointer token names, or -1 (jsonscan's spans use str(index)). */
static Py_ssize_t token_index(const char *t, Py_ssize_t n) {
    if (n == 0 || n > 15 || (n > 1 && t[0] == '0')) {
        return -1;
    }
    Py_ssize_t v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9') {
            return -1;
        }
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

/* Records the span of the value just read, if the path leads through it (child > 0). */
static void loc_record(Locator *L, Py_ssize_t child, Py_ssize_t value_start, Py_ssize_t key_start,
                       Py_ssize_t key_end) {
    if (child <= 0) {
        return;
    }
    Py_ssize_t *span = L->spans[child];
    span[0] = value_start;
    span[1] = L->p - L->start;
    span[2] = key_start;
    span[3] = key_end;
    if (child > L->found) {
        L->found = child;
    }
}

/* After a member or element: 1 when a ',' leads to the next, 0 when `close` ends the container,
 * -1 for anything else (a syntax error). */
static int loc_next(Locator *L, unsigned char close) {
    loc_ws(L);
    if (L->p < L->end && *L->p == ',') {
        L->p++;
        loc_ws(L);
        return 1;
    }
    if (L->p < L->end && *L->p == close) {
        L->p++;
        return 0;
    }
    return -1;
}

/* A value at L->p; `at` is how many path tokens lead here, or -1 off the path. */
static int loc_value(Locator *L, int depth, Py_ssize_t at) {
    if (depth > LOCATE_MAX_DEPTH || L->p >= L->end) {
        return 0;
    }
    unsigned char c = *L->p;
    if (c == '{') {
        L->p++;
        loc_ws(L);
        if (L->p < L->end && *L->p == '}') {
            L->p++;
            return 1;
        }
        int matches = 0;
        for (;;) {
            if (L->p >= L->end || *L->p != '"') {
                return 0;
            }
            Py_ssize_t key_start = L->p - L->start;
            int escaped;
            if (!loc_string(L, &escaped)) {
                return 0;
            }
            Py_ssize_t key_end = L->p - L->start;
            Py_ssize_t child = -1;
            if (at >= 0 && at < L->n_tokens) {
                if (escaped) {
                    L->decline = 1; /* a key spelt with escapes: jsonscan decodes it */
                }
                Py_ssize_t n = key_end - key_start - 2;
                if (n == L->token_lengths[at] &&
                    memcmp(L->start + key_start + 1, L->tokens[at], (size_t)n) == 0) {
                    if (++matches > 1) {
                        L->decline = 1; /* a repeated key on the path */
                    }
                    child = at + 1;
                }
            }
            loc_ws(L);
            if (L->p >= L->end || *L->p != ':') {
                return 0;
            }
            L->p++;
            loc_ws(L);
            Py_ssize_t value_start = L->p - L->start;
            if (!loc_value(L, depth + 1, child)) {
                return 0;
            }
            loc_record(L, child, value_start, key_start, key_end);
            int next = loc_next(L, '}');
            if (next <= 0) {
                return next == 0;
            }
        }
    }
    if (c == '[') {
        L->p++;
        loc_ws(L);
        if (L->p < L->end && *L->p == ']') {
            L->p++;
            return 1;
        }
        Py_ssize_t want = -1;
        if (at >= 0 && at < L->n_tokens) {
            want = token_index(L->tokens[at], L->token_lengths[at]);
        }
        for (Py_ssize_t index = 0;; index++) {
            Py_ssize_t child = (want >= 0 && index == want) ? at + 1 : -1;
            Py_ssize_t value_start = L->p - L->start;
            if (!loc_value(L, depth + 1, child)) {
                return 0;
            }
            loc_record(L, child, value_start, -1, -1);
            int next = loc_next(L, ']');
            if (next <= 0) {
                return next == 0;
            }
        }
    }
    if (c == '"') {
        int escaped;
        return loc_string(L, &escaped);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        return loc_number(L);
    }
    return loc_literal(L, "true", 4) || loc_literal(L, "false", 5) || loc_literal(L, "null", 4);
}

/* Code points before byte offset `off` of valid UTF-8. */
static Py_ssize_t code_points(const unsigned char *s, Py_ssize_t off) {
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < off; i++) {
        n += (s[i] & 0xC0) != 0x80;
    }
    return n;
}

static PyObject *locate(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *raw, *tokens;
    if (!PyArg_ParseTuple(args, "O!O!:locate", &PyBytes_Type, &raw, &PyTuple_Type, &tokens)) {
        return NULL;
    }
    Py_ssize_t n_tokens = PyTuple_GET_SIZE(tokens);
    if (n_tokens > LOCATE_MAX_DEPTH) {
        Py_RETURN_NONE;
    }
    const char **token_data = PyMem_Malloc(sizeof(char *) * (size_t)(n_tokens + 1));
    Py_ssize_t *token_lengths = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n_tokens + 1));
    Py_ssize_t(*spans)[4] = PyMem_Malloc(sizeof(Py_ssize_t[4]) * (size_t)(n_tokens + 1));
    PyObject *result = NULL;
    if (token_data == NULL || token_lengths == NULL || spans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_tokens; i++) {
        PyObject *t = PyTuple_GET_ITEM(tokens, i);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "locate() takes a tuple of str tokens");
            goto done;
        }
        token_data[i] = PyUnicode_AsUTF8AndSize(t, &token_lengths[i]);
        if (token_data[i] == NULL) {
            PyErr_Clear(); /* a token with a lone surrogate names no key of valid UTF-8 */
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    Locator L;
    L.start = L.p = (const unsigned char *)PyBytes_AS_STRING(raw);
    L.end = L.start + PyBytes_GET_SIZE(raw);
    L.n_tokens = n_tokens;
    L.tokens = token_data;
    L.token_lengths = token_lengths;
    L.spans = spans;
    L.found = 0;
    L.decline = 0;
    loc_ws(&L);
    if (L.p >= L.end) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    spans[0][0] = L.p - L.start;
    spans[0][2] = spans[0][3] = -1;
    int ok = loc_value(&L, 0, 0);
    spans[0][1] = L.p - L.start;
    loc_ws(&L);
    if (!ok || L.decline || L.p != L.end) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    {
        const Py_ssize_t *span = spans[L.found];
        Py_ssize_t out[4];
        for (int k = 0; k < 4; k++) {
            out[k] = span[k] < 0 ? -1 : code_points(L.start, span[k]);
        }
        result = Py_BuildValue("(nnnnn)", L.found, out[0], out[1], out[2], out[3]);
    }
done:
    PyMem_Free(token_data);
    PyMem_Free(token_lengths);
    PyMem_Free(spans);
    return result;
}

/* ---- key indexes: the partitioned sorts of lean.py ---------------------------------------
 *
 * lean._key_partitions splits a key column's (key, line) pairs by key range, and each partition
 * is sorted and grouped; in Python that was a loop over every line of the file, most of the time
 * of a check of millions of short lines. These do the same over buffers of native 64-bit
 * integers, with Python's results (lean.py keeps the Python versions for a build without a C
 * compiler, and the tests compare both). */

typedef struct {
    uint64_t key, line;
} Pair;

/* The partition of a key among `count` (< 2**32): floor(key * count / 2**64), as Python's
 * `key * count >> 64`, without a 128-bit type. */
static Py_ssize_t partition_of(uint64_t key, uint64_t count) {
    uint64_t high = (key >> 32) * count, low = (key & 0xffffffffu) * count;
    return (Py_ssize_t)((high + (low >> 32)) >> 32);
}

static int append_bytes(PyObject *array, const void *data, Py_ssize_t n) {
    Py_ssize_t at = PyByteArray_GET_SIZE(array);
    if (PyByteArray_Resize(array, at + n) < 0) {
        return 0;
    }
    memcpy(PyByteArray_AS_STRING(array) + at, data, (size_t)n);
    return 1;
}

/* partition_keys(keys, first_line, no_key, key_outs, line_outs): each key of the buffer (native
 * uint64) but no_key, with its line (first_line + its index), appended to key_outs[p] and
 * line_outs[p] (lists of bytearrays, one per partition), p = key * len(key_outs) >> 64. */
static PyObject *partition_keys(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer buf;
    unsigned long long first_line, no_key;
    PyObject *key_outs, *line_outs;
    if (!PyArg_ParseTuple(args, "y*KKO!O!:partition_keys", &buf, &first_line, &no_key,
                          &PyList_Type, &key_outs, &PyList_Type, &line_outs)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t count = PyList_GET_SIZE(key_outs);
    Py_ssize_t *sizes = NULL;
    uint64_t **keys_at = NULL, **lines_at = NULL;
    if (buf.len % 8 || count < 1 || count >= ((Py_ssize_t)1 << 31)
            || PyList_GET_SIZE(line_outs) != count) {
        PyErr_SetString(PyExc_ValueError, "partition_keys: bad buffer or lists");
        goto done;
    }
    for (Py_ssize_t p = 0; p < count; p++) {
        if (!PyByteArray_Check(PyList_GET_ITEM(key_outs, p))
                || !PyByteArray_Check(PyList_GET_ITEM(line_outs, p))) {
            PyErr_SetString(PyExc_TypeError, "partition_keys: the outputs must be bytearrays");
            goto done;
        }
    }
    Py_ssize_t n = buf.len / 8;
    const unsigned char *raw = (const unsigned char *)buf.buf;
    sizes = PyMem_Calloc((size_t)count, sizeof(Py_ssize_t));
    keys_at = PyMem_Calloc((size_t)count, sizeof(uint64_t *));
    lines_at = PyMem_Calloc((size_t)count, sizeof(uint64_t *));
    if (sizes == NULL || keys_at == NULL || lines_at == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key;
        memcpy(&key, raw + 8 * i, 8);
        if (key != no_key) {
            sizes[partition_of(key, (uint64_t)count)]++;
        }
    }
    /* Each output grows once, by what its partition takes from this buffer. */
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *k = PyList_GET_ITEM(key_outs, p), *l = PyList_GET_ITEM(line_outs, p);
        Py_ssize_t kn = PyByteArray_GET_SIZE(k), ln = PyByteArray_GET_SIZE(l);
        if (PyByteArray_Resize(k, kn + 8 * sizes[p]) < 0
                || PyByteArray_Resize(l, ln + 8 * sizes[p]) < 0) {
            goto done;
        }
        keys_at[p] = (uint64_t *)(void *)(PyByteArray_AS_STRING(k) + kn);
        lines_at[p] = (uint64_t *)(void *)(PyByteArray_AS_STRING(l) + ln);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key, line = (uint64_t)first_line + (uint64_t)i;
        memcpy(&key, raw + 8 * i, 8);
        if (key != no_key) {
            Py_ssize_t p = partition_of(key, (uint64_t)count);
            memcpy(keys_at[p]++, &key, 8);
            memcpy(lines_at[p]++, &line, 8);
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(sizes);
    PyMem_Free(keys_at);
    PyMem_Free(lines_at);
    PyBuffer_Release(&buf);
    return result;
}

static int pair_order(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    if (x->key != y->key) {
        return x->key < y->key ? -1 : 1;
    }
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Both writable buffers of native uint64 of the same length, as pairs. */
static Pair *read_pairs(Py_buffer *keys, Py_buffer *lines, Py_ssize_t *n) {
    if (keys->len != lines->len || keys->len % 8) {
        PyErr_SetString(PyExc_ValueError, "two buffers of 8-byte items of the same length");
        return NULL;
    }
    *n = keys->len / 8;
    Pair *pairs = PyMem_Malloc((size_t)(*n ? *n : 1) * sizeof(Pair));
    if (pairs == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        memcpy(&pairs[i].key, (const char *)keys->buf + 8 * i, 8);
        memcpy(&pairs[i].line, (const char *)lines->buf + 8 * i, 8);
    }
    return pairs;
}

/* sort_pairs(keys, lines): sorts the pairs (keys[i], lines[i]) of two writable buffers of native
 * uint64 in place, by key, then line (with distinct lines: a stable sort by key). */
static PyObject *sort_pairs(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer keys, lines;
    if (!PyArg_ParseTuple(args, "w*w*:sort_pairs", &keys, &lines)) {
        return NULL;
    }
    Py_ssize_t n;
    Pair *pairs = read_pairs(&keys, &lines, &n);
    if (pairs != NULL) {
        qsort(pairs, (size_t)n, sizeof(Pair), pair_order);
        for (Py_ssize_t i = 0; i < n; i++) {
            memcpy((char *)keys.buf + 8 * i, &pairs[i].key, 8);
            memcpy((char *)lines.buf + 8 * i, &pairs[i].line, 8);
        }
        PyMem_Free(pairs);
    }
    PyBuffer_Release(&keys);
    PyBuffer_Release(&lines);
    if (pairs == NULL) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* group_sorted(keys, lines, repeats): of pairs sorted by sort_pairs, either (repeats true) the
 * lines that are not the first with their key and that first line, or (false) each distinct key
 * and its first line: two bytes objects of native uint64, in key order. */
static PyObject *group_sorted(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer keys, lines;
    int repeats;
    if (!PyArg_ParseTuple(args, "y*y*p:group_sorted", &keys, &lines, &repeats)) {
        return NULL;
    }
    PyObject *result = NULL, *left = NULL, *right = NULL;
    if (keys.len != lines.len || keys.len % 8) {
        PyErr_SetString(PyExc_ValueError, "two buffers of 8-byte items of the same length");
        goto done;
    }
    Py_ssize_t n = keys.len / 8;
    left = PyByteArray_FromStringAndSize(NULL, 0);
    right = PyByteArray_FromStringAndSize(NULL, 0);
    if (left == NULL || right == NULL) {
        goto done;
    }
    uint64_t previous = 0, first = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key, line;
        memcpy(&key, (const char *)keys.buf + 8 * i, 8);
        memcpy(&line, (const char *)lines.buf + 8 * i, 8);
        int same = i > 0 && key == previous;
        if (!same) {
            first = line;
            previous = key;
        }
        if (repeats ? same : !same) {
            if (!append_bytes(left, repeats ? &line : &key, 8)
                    || !append_bytes(right, repeats ? &first : &line, 8)) {
                goto done;
            }
        }
    }
    result = Py_BuildValue("(NN)", PyBytes_FromStringAndSize(PyByteArray_AS_STRING(left),
                                                             PyByteArray_GET_SIZE(left)),
                           PyBytes_FromStringAndSize(PyByteArray_AS_STRING(right),
                                                     PyByteArray_GET_SIZE(right)));
done:
    Py_XDECREF(left);
    Py_XDECREF(right);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&lines);
    return result;
}

/* ---- chat_line: any chat line's facts and shape, from its bytes ----------------------------
 *
 * For the chat lines plain_chat declines (tools, tool calls, names, weights, content parts):
 * the line is parsed into a small tree and written out three ways, with the same results as
 * the Python engine (shapepath.ToolChatPath compares them on the first line of every shape):
 *
 * - canonical: orjson.dumps(obj, OPT_SORT_KEYS);
 * - prompt and target: formats.prompt_and_target of a chat example (the messages before the
 *   last assistant message and that message, without weights and call ids), or None;
 * - shape: the line in its own key order with what ShapePath.key masks replaced by markers
 *   that no JSON text contains (a control byte): each message's content string and each text
 *   part's text by its class (empty, whitespace, text), each tool call id and tool_call_id by
 *   the order it first appears in, each tool call's arguments string and each image part's
 *   http(s) URL by a marker. The ids (for the id pattern) and the arguments (for the rules that
 *   read them) are returned beside it, and the number of images (formats.count_images).
 *
 * Declined (None), for the whole engine to decide: anything but one object with a "messages"
 * array, whitespace around the line, numbers other than integers of up to 18 digits, a key
 * written with an escape, a duplicate key, invalid UTF-8 or a lone surrogate, a control
 * character other than tab, line feed and carriage return, "<|" in any string, nesting
 * deeper than CHAT_MAX_DEPTH or an object with more than CHAT_MAX_MEMBERS members. */

/* Whether [h, h + n) holds the m >= 1 bytes of `needle` (memmem is not everywhere). */
static int contains(const char *h, Py_ssize_t n, const char *needle, Py_ssize_t m) {
    const char *end = h + n;
    while (end - h >= m) {
        const char *q = memchr(h, needle[0], (size_t)(end - h - m + 1));
        if (q == NULL) {
            return 0;
        }
        if (memcmp(q, needle, (size_t)m) == 0) {
            return 1;
        }
        h = q + 1;
    }
    return 0;
}

#define CHAT_MAX_DEPTH 64
#define CHAT_MAX_MEMBERS 256

enum { J_OBJ, J_ARR, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL };
enum { CLASS_EMPTY = 0, CLASS_SPACE = 1, CLASS_TEXT = 2 };

typedef struct {
    unsigned char type;
    unsigned char text_class;   /* J_STR: CLASS_* */
    Py_ssize_t key_off, key_len; /* a member's key in the tree's text; key_len -1 otherwise */
    Py_ssize_t off, len;         /* J_STR: decoded bytes in text; J_NUM: the literal in the
                                  * line; containers: their children in kids (and sorted) */
} JNode;

typedef struct {
    JNode *nodes;
    Py_ssize_t n_nodes, cap_nodes;
    Py_ssize_t *kids;   /* children of each container, contiguous, in the line's order */
    Py_ssize_t *sorted; /* the same, objects' members sorted by key */
    Py_ssize_t n_kids, cap_kids, cap_sorted;
    Py_ssize_t *pending; /* children of the open containers */
    Py_ssize_t n_pending, cap_pending;
    Buffer text; /* decoded strings and keys */
    const unsigned char *line;
    Py_ssize_t line_size;
} JTree;

static void jtree_free(JTree *t) {
    PyMem_Free(t->nodes);
    PyMem_Free(t->kids);
    PyMem_Free(t->sorted);
    PyMem_Free(t->pending);
    PyMem_Free(t->text.data);
}

static int grow(void **data, Py_ssize_t *cap, Py_ssize_t need, size_t item) {
    if (need <= *cap) {
        return 1;
    }
    Py_ssize_t c = *cap ? *cap : 64;
    while (c < need) {
        c *= 2;
    }
    void *d = PyMem_Realloc(*data, (size_t)c * item);
    if (d == NULL) {
        return 0;
    }
    *data = d;
    *cap = c;
    return 1;
}

static Py_ssize_t j_node(JTree *t, unsigned char type) {
    if (!grow((void **)&t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof(JNode))) {
        return -1;
    }
    JNode *n = &t->nodes[t->n_nodes];
    n->type = type;
    n->text_class = CLASS_EMPTY;
    n->key_off = 0;
    n->key_len = -1;
    n->off = n->len = 0;
    return t->n_nodes++;
}

/* A string at p (its opening quote) decoded into t->text: the position after its closing
 * quote, or NULL. *off and *len say where it went; *klass its class (empty, whitespace, text);
 * with `key`, an escape declines (see prompt_and_target's search for the dropped keys). */
static const unsigned char *j_string(JTree *t, const unsigned char *p, const unsigned char *end,
                                     int key, Py_ssize_t *off, Py_ssize_t *len,
                                     unsigned char *klass) {
    p++;
    /* Decoded, a string is never longer than written. */
    if (!reserve(&t->text, end - p)) {
        return NULL;
    }
    Buffer *b = &t->text;
    Py_ssize_t start = b->len;
    int seen_text = 0, any = 0;
    while (p < end) {
        const unsigned char *run = p;
        p = copy_run(p, end, b, &seen_text);
        any |= p > run;
        if (p >= end) {
            return NULL;
        }
        unsigned char c = *p;
        if (c == '"') {
            *off = start;
            *len = b->len - start;
            *klass = !any ? CLASS_EMPTY : seen_text ? CLASS_TEXT : CLASS_SPACE;
            /* "<|" written with escapes meets here too. */
            if (*len >= 2 && contains(b->data + start, *len, "<|", 2)) {
                return NULL;
            }
            return p + 1;
        }
        any = 1;
        if (c == '<') {
            PUT(b, "<", 1);
            seen_text = 1;
            p++;
        } else if (c == '\\') {
            uint32_t cp;
            if (key || (p = read_escape(p, end, &cp)) == NULL) {
                return NULL;
            }
            put_utf8(b, cp);
            if (cp >= 0x80 ? !is_unicode_space(cp) : !is_ascii_space(cp)) {
                seen_text = 1;
            }
        } else if (c >= 0x80) {
            if ((p = copy_char(p, end, b, &seen_text)) == NULL) {
                return NULL;
            }
        } else {
            return NULL; /* a raw control character: not JSON */
        }
    }
    return NULL;
}

static const unsigned char *j_value(JTree *t, const unsigned char *p, const unsigned char *end,
                                    int depth, Py_ssize_t *out);

/* Moves the last `count` pending children into kids as node `parent`'s. */
static int j_close(JTree *t, Py_ssize_t parent, Py_ssize_t count) {
    if (!grow((void **)&t->kids, &t->cap_kids, t->n_kids + count, sizeof(Py_ssize_t))) {
        return 0;
    }
    memcpy(t->kids + t->n_kids, t->pending + t->n_pending - count,
           sizeof(Py_ssize_t) * (size_t)count);
    t->nodes[parent].off = t->n_kids;
    t->nodes[parent].len = count;
    t->n_kids += count;
    t->n_pending -= count;
    return 1;
}

static int j_push(JTree *t, Py_ssize_t node) {
    if (!grow((void **)&t->pending, &t->cap_pending, t->n_pending + 1, sizeof(Py_ssize_t))) {
        return 0;
    }
    t->pending[t->n_pending++] = node;
    return 1;
}

static const unsigned char *j_container(JTree *t, const unsigned char *p,
                                        const unsigned char *end, int depth, Py_ssize_t *out) {
    int object = *p == '{';
    unsigned char close = object ? '}' : ']';
    if (depth >= CHAT_MAX_DEPTH) {
        return NULL;
    }
    Py_ssize_t self = j_node(t, object ? J_OBJ : J_ARR);
    if (self < 0) {
        return NULL;
    }
    Py_ssize_t count = 0;
    p = skip_space(p + 1, end);
    if (p < end && *p == close) {
        *out = self;
        return j_close(t, self, 0) ? p + 1 : NULL;
    }
    for (;;) {
        Py_ssize_t key_off = 0, key_len = -1;
        if (object) {
            unsigned char klass;
            if (p >= end || *p != '"' ||
                (p = j_string(t, p, end, 1, &key_off, &key_len, &klass)) == NULL ||
                (p = after_colon(p, end)) == NULL) {
                return NULL;
            }
            if (++count > CHAT_MAX_MEMBERS) {
                return NULL;
            }
        } else {
            count++;
        }
        Py_ssize_t child;
        if ((p = j_value(t, p, end, depth + 1, &child)) == NULL) {
            return NULL;
        }
        t->nodes[child].key_off = key_off;
        t->nodes[child].key_len = key_len;
        if (!j_push(t, child)) {
            return NULL;
        }
        p = skip_space(p, end);
        if (p >= end) {
            return NULL;
        }
        if (*p == ',') {
            p = skip_space(p + 1, end);
            continue;
        }
        if (*p != close) {
            return NULL;
        }
        *out = self;
        return j_close(t, self, count) ? p + 1 : NULL;
    }
}

static const unsigned char *j_value(JTree *t, const unsigned char *p, const unsigned char *end,
                                    int depth, Py_ssize_t *out) {
    if (p >= end) {
        return NULL;
    }
    unsigned char c = *p;
    if (c == '{' || c == '[') {
        return j_container(t, p, end, depth, out);
    }
    if (c == '"') {
        Py_ssize_t node = j_node(t, J_STR);
        if (node < 0) {
            return NULL;
        }
        JNode *n = &t->nodes[node];
        unsigned char klass;
        Py_ssize_t off, len;
        if ((p = j_string(t, p, end, 0, &off, &len, &klass)) == NULL) {
            return NULL;
        }
        n = &t->nodes[node];
        n->off = off;
        n->len = len;
        n->text_class = klass;
        *out = node;
        return p;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const unsigned char *start = p;
        if (c == '-') {
            p++;
        }
        if (p >= end || *p < '0' || *p > '9') {
            return NULL;
        }
        if (*p == '0') {
            p++;
        } else {
            while (p < end && *p >= '0' && *p <= '9') {
                p++;
            }
        }
        if (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))) {
            return NULL; /* a float (orjson writes its own digits), or not JSON */
        }
        if (p - start - (c == '-') > 18) {
            return NULL; /* orjson reads past 64 bits differently */
        }
        Py_ssize_t node = j_node(t, J_NUM);
        if (node < 0) {
            return NULL;
        }
        t->nodes[node].off = start - t->line;
        t->nodes[node].len = p - start;
        *out = node;
        return p;
    }
    static const char *words[] = {"true", "false", "null"};
    static const unsigned char types[] = {J_TRUE, J_FALSE, J_NULL};
    for (int w = 0; w < 3; w++) {
        size_t n = strlen(words[w]);
        if ((size_t)(end - p) >= n && memcmp(p, words[w], n) == 0) {
            Py_ssize_t node = j_node(t, types[w]);
            if (node < 0) {
                return NULL;
            }
            *out = node;
            return p + n;
        }
    }
    return NULL;
}

static int key_order(const JTree *t, Py_ssize_t a, Py_ssize_t b) {
    const JNode *x = &t->nodes[a], *y = &t->nodes[b];
    Py_ssize_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(t->text.data + x->key_off, t->text.data + y->key_off, (size_t)n);
    if (c != 0) {
        return c;
    }
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len ? 1 : 0;
}

/* Every object's members sorted by key (insertion sort: objects are small, see
 * CHAT_MAX_MEMBERS) into t->sorted; 0 on a duplicate key or no memory. */
static int j_sort(JTree *t) {
    if (!grow((void **)&t->sorted, &t->cap_sorted, t->n_kids ? t->n_kids : 1,
              sizeof(Py_ssize_t))) {
        return 0;
    }
    memcpy(t->sorted, t->kids, sizeof(Py_ssize_t) * (size_t)t->n_kids);
    for (Py_ssize_t i = 0; i < t->n_nodes; i++) {
        const JNode *n = &t->nodes[i];
        if (n->type != J_OBJ) {
            continue;
        }
        Py_ssize_t *m = t->sorted + n->off;
        for (Py_ssize_t j = 1; j < n->len; j++) {
            Py_ssize_t v = m[j], k = j;
            while (k > 0 && key_order(t, m[k - 1], v) > 0) {
                m[k] = m[k - 1];
                k--;
            }
            m[k] = v;
        }
        for (Py_ssize_t j = 1; j < n->len; j++) {
            if (key_order(t, m[j - 1], m[j]) == 0) {
                return 0;
            }
        }
    }
    return 1;
}

static int key_is(const JTree *t, const JNode *n, const char *name) {
    size_t len = strlen(name);
    return n->key_len == (Py_ssize_t)len && memcmp(t->text.data + n->key_off, name, len) == 0;
}

static int str_is(const JTree *t, const JNode *n, const char *value) {
    size_t len = strlen(value);
    return n->type == J_STR && n->len == (Py_ssize_t)len &&
           memcmp(t->text.data + n->off, value, len) == 0;
}

/* The member of object `obj` with this key, or -1. */
static Py_ssize_t member(const JTree *t, Py_ssize_t obj, const char *name) {
    const JNode *o = &t->nodes[obj];
    for (Py_ssize_t j = 0; j < o->len; j++) {
        Py_ssize_t k = t->kids[o->off + j];
        if (key_is(t, &t->nodes[k], name)) {
            return k;
        }
    }
    return -1;
}

/* A decoded string as orjson writes it, quotes included. */
static int j_put_string(Buffer *b, const char *s, Py_ssize_t n) {
    if (!reserve(b, 2 * n + 2)) {
        return 0;
    }
    PUT(b, "\"", 1);
    const char *run = s, *e = s + n;
    for (const char *q = s; q < e; q++) {
#if SWAR
        /* Past the bytes written as they are (not a quote, backslash or control character). */
        while (e - q >= 8) {
            uint64_t w = load8((const unsigned char *)q);
            uint64_t m = bytes_eq(w, '"') | bytes_eq(w, '\\') | bytes_in(w, 0, 0x1F);
            if (m) {
                q += __builtin_ctzll(m) >> 3;
                break;
            }
            q += 8;
        }
        if (q >= e) {
            break;
        }
#endif
        unsigned char c = (unsigned char)*q;
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (esc != NULL) {
            PUT(b, run, q - run);
            PUT(b, esc, 2);
            run = q + 1;
        }
    }
    PUT(b, run, e - run);
    PUT(b, "\"", 1);
    return 1;
}

static int is_dropped_key(const JTree *t, const JNode *n) {
    return key_is(t, n, "weight") || key_is(t, n, "id") || key_is(t, n, "tool_call_id");
}

/* Node i as JSON: `sorted` keys (canonical) or the line's order; with `strip`, members named
 * weight, id or tool_call_id left out at every depth (formats._strip). */
static int j_write(const JTree *t, Py_ssize_t i, Buffer *b, int sorted, int strip) {
    const JNode *n = &t->nodes[i];
    switch (n->type) {
    case J_STR:
        return j_put_string(b, t->text.data + n->off, n->len);
    case J_NUM:
        if (!reserve(b, n->len)) {
            return 0;
        }
        if (n->len == 2 && t->line[n->off] == '-' && t->line[n->off + 1] == '0') {
            PUT(b, "0", 1);
        } else {
            PUT(b, t->line + n->off, n->len);
        }
        return 1;
    case J_TRUE:
        return reserve(b, 4) ? (PUT(b, "true", 4), 1) : 0;
    case J_FALSE:
        return reserve(b, 5) ? (PUT(b, "false", 5), 1) : 0;
    case J_NULL:
        return reserve(b, 4) ? (PUT(b, "null", 4), 1) : 0;
    default:
        break;
    }
    int object = n->type == J_OBJ;
    const Py_ssize_t *kids = (sorted ? t->sorted : t->kids) + n->off;
    if (!reserve(b, 1)) {
        return 0;
    }
    PUT(b, object ? "{" : "[", 1);
    int first = 1;
    for (Py_ssize_t j = 0; j < n->len; j++) {
        const JNode *k = &t->nodes[kids[j]];
        if (object && strip && is_dropped_key(t, k)) {
            continue;
        }
        if (!reserve(b, 1)) {
            return 0;
        }
        if (!first) {
            PUT(b, ",", 1);
        }
        first = 0;
        if (object) {
            if (!j_put_string(b, t->text.data + k->key_off, k->key_len) || !reserve(b, 1)) {
                return 0;
            }
            PUT(b, ":", 1);
        }
        if (!j_write(t, kids[j], b, sorted, strip)) {
            return 0;
        }
    }
    if (!reserve(b, 1)) {
        return 0;
    }
    PUT(b, object ? "}" : "]", 1);
    return 1;
}

/* ---- the shape -------------------------------------------------------------------------- */

typedef struct {
    const JTree *t;
    Buffer *b;
    Py_ssize_t ids[64]; /* distinct ids (string nodes) in the order they first appear */
    Py_ssize_t n_ids;
    PyObject *arguments; /* list of bytes */
} Shaper;

static int put_marker(Buffer *b, char tag, Py_ssize_t value) {
    char s[32];
    int n = snprintf(s, sizeof s, "\x01%c%zd", tag, value);
    if (!reserve(b, n)) {
        return 0;
    }
    PUT(b, s, n);
    return 1;
}

static int shape_id(Shaper *s, Py_ssize_t node) {
    const JTree *t = s->t;
    const JNode *n = &t->nodes[node];
    for (Py_ssize_t j = 0; j < s->n_ids; j++) {
        const JNode *m = &t->nodes[s->ids[j]];
        if (m->len == n->len && memcmp(t->text.data + m->off, t->text.data + n->off,
                                       (size_t)n->len) == 0) {
            return put_marker(s->b, 'i', j);
        }
    }
    if (s->n_ids == 64) {
        return 0; /* declined: the whole engine shapes such a line */
    }
    s->ids[s->n_ids] = node;
    return put_marker(s->b, 'i', s->n_ids++);
}

static int put_key(Buffer *b, const JTree *t, const JNode *k) {
    if (!j_put_string(b, t->text.data + k->key_off, k->key_len) || !reserve(b, 1)) {
        return 0;
    }
    PUT(b, ":", 1);
    return 1;
}

static int put_char(Buffer *b, char c) {
    if (!reserve(b, 1)) {
        return 0;
    }
    PUT(b, &c, 1);
    return 1;
}

typedef int (*MemberShaper)(Shaper *s, Py_ssize_t obj, Py_ssize_t member);

/* Object `obj` in the line's order, each member through `each`. */
static int shape_object(Shaper *s, Py_ssize_t obj, MemberShaper each) {
    const JTree *t = s->t;
    const JNode *o = &t->nodes[obj];
    if (!put_char(s->b, '{')) {
        return 0;
    }
    for (Py_ssize_t j = 0; j < o->len; j++) {
        Py_ssize_t k = t->kids[o->off + j];
        if ((j && !put_char(s->b, ',')) || !put_key(s->b, t, &t->nodes[k]) ||
            !each(s, obj, k)) {
            return 0;
        }
    }
    return put_char(s->b, '}');
}

static int shape_verbatim(Shaper *s, Py_ssize_t node) {
    return j_write(s->t, node, s->b, 0, 0);
}

/* Each element of an array through `each` (objects) or verbatim (anything else). */
static int shape_array(Shaper *s, Py_ssize_t arr, MemberShaper each) {
    const JTree *t = s->t;
    const JNode *a = &t->nodes[arr];
    if (!put_char(s->b, '[')) {
        return 0;
    }
    for (Py_ssize_t j = 0; j < a->len; j++) {
        Py_ssize_t k = t->kids[a->off + j];
        if (j && !put_char(s->b, ',')) {
            return 0;
        }
        if (t->nodes[k].type == J_OBJ ? !shape_object(s, k, each) : !shape_verbatim(s, k)) {
            return 0;
        }
    }
    return put_char(s->b, ']');
}

/* Whether a string starts with http:// or https://, letters in any case (image-format's
 * test: url[:8].lower()). */
static int is_http_url(const JTree *t, const JNode *n) {
    static const char http[] = "http://", https[] = "https://";
    const char *v = t->text.data + n->off;
    if (n->type != J_STR) {
        return 0;
    }
    for (int w = 0; w < 2; w++) {
        const char *prefix = w ? https : http;
        Py_ssize_t len = (Py_ssize_t)strlen(prefix), i = 0;
        while (i < len && i < n->len && (char)(v[i] | (v[i] >= 'A' && v[i] <= 'Z' ? 0x20 : 0))
                                            == prefix[i]) {
            i++;
        }
        if (i == len) {
            return 1;
        }
    }
    return 0;
}

/* An image part's http(s) URL. */
static int shape_image_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    (void)obj;
    const JTree *t = s->t;
    const JNode *n = &t->nodes[k];
    if (key_is(t, n, "url") && is_http_url(t, n)) {
        return put_marker(s->b, 'u', 0);
    }
    return shape_verbatim(s, k);
}

/* A "type": "text" part's text, a "type": "image_url" part's http(s) URL. */
static int shape_part_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    const JTree *t = s->t;
    const JNode *n = &t->nodes[k];
    if (key_is(t, n, "text") && n->type == J_STR) {
        Py_ssize_t type = member(t, obj, "type");
        if (type >= 0 && str_is(t, &t->nodes[type], "text")) {
            return put_marker(s->b, 'c', n->text_class);
        }
    } else if (key_is(t, n, "image_url") && n->type == J_OBJ) {
        Py_ssize_t type = member(t, obj, "type");
        if (type >= 0 && str_is(t, &t->nodes[type], "image_url")) {
            return shape_object(s, k, shape_image_member);
        }
    }
    return shape_verbatim(s, k);
}

/* formats.count_images: objects anywhere with "type": "image_url", when the line has those
 * bytes (the engine looks for them before it counts). */
static Py_ssize_t count_images(const JTree *t) {
    if (!contains((const char *)t->line, t->line_size, "image_url", 9)) {
        return 0;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < t->n_nodes; i++) {
        if (t->nodes[i].type == J_OBJ) {
            Py_ssize_t type = member(t, i, "type");
            n += type >= 0 && str_is(t, &t->nodes[type], "image_url");
        }
    }
    return n;
}

static int shape_function_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    (void)obj;
    const JTree *t = s->t;
    const JNode *n = &t->nodes[k];
    if (key_is(t, n, "arguments") && n->type == J_STR) {
        PyObject *a = PyBytes_FromStringAndSize(t->text.data + n->off, n->len);
        if (a == NULL) {
            return 0;
        }
        int ok = PyList_Append(s->arguments, a) == 0;
        Py_DECREF(a);
        return ok && put_marker(s->b, 'a', 0);
    }
    return shape_verbatim(s, k);
}

static int shape_call_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    (void)obj;
    const JTree *t = s->t;
    const JNode *n = &t->nodes[k];
    if (key_is(t, n, "id") && n->type == J_STR) {
        return shape_id(s, k);
    }
    if (key_is(t, n, "function") && n->type == J_OBJ) {
        return shape_object(s, k, shape_function_member);
    }
    return shape_verbatim(s, k);
}

static int shape_message_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    (void)obj;
    const JTree *t = s->t;
    const JNode *n = &t->nodes[k];
    if (key_is(t, n, "content")) {
        if (n->type == J_STR) {
            return put_marker(s->b, 'c', n->text_class);
        }
        if (n->type == J_ARR) {
            return shape_array(s, k, shape_part_member);
        }
    } else if (key_is(t, n, "tool_call_id") && n->type == J_STR) {
        return shape_id(s, k);
    } else if (key_is(t, n, "tool_calls") && n->type == J_ARR) {
        return shape_array(s, k, shape_call_member);
    }
    return shape_verbatim(s, k);
}

static int shape_top_member(Shaper *s, Py_ssize_t obj, Py_ssize_t k) {
    (void)obj;
    const JTree *t = s->t;
    if (key_is(t, &t->nodes[k], "messages")) {
        return shape_array(s, k, shape_message_member);
    }
    return shape_verbatim(s, k);
}

static PyObject *buffer_bytes(const Buffer *b) {
    return PyBytes_FromStringAndSize(b->len ? b->data : "", b->len);
}

/* What chat_scan finds on a line; its buffers are kept from one line to the next. */
struct Chat {
    JTree t;
    Buffer canonical, shape, prompt, target;
    Shaper s;
    Py_ssize_t n_messages, n_images;
    int has_prompt;
};

static Chat *chat_new(void) {
    Chat *c = PyMem_Calloc(1, sizeof(Chat));
    if (c == NULL) {
        PyErr_NoMemory();
    }
    return c;
}

static void chat_free(Chat *c) {
    if (c == NULL) {
        return;
    }
    jtree_free(&c->t);
    PyMem_Free(c->canonical.data);
    PyMem_Free(c->shape.data);
    PyMem_Free(c->prompt.data);
    PyMem_Free(c->target.data);
    Py_XDECREF(c->s.arguments);
    PyMem_Free(c);
}

/* Scans the line [line, line + size) into c: 1 when accepted, 0 when declined, -1 on an error
 * (raised). */
static int chat_scan(Chat *c, const unsigned char *line, Py_ssize_t size) {
    const unsigned char *end = line + size;
    if (size < 2 || line[0] != '{' || end[-1] != '}') {
        return 0;
    }
    JTree *t = &c->t;
    t->line = line;
    t->line_size = size;
    t->n_nodes = t->n_kids = t->n_pending = 0;
    t->text.len = 0;
    c->canonical.len = c->shape.len = c->prompt.len = c->target.len = 0;
    c->has_prompt = 0;
    Py_XDECREF(c->s.arguments);
    c->s = (Shaper){t, &c->shape, {0}, 0, PyList_New(0)};
    if (c->s.arguments == NULL) {
        return -1;
    }
    Py_ssize_t root;
    const unsigned char *after = j_value(t, line, end, 0, &root);
    if (after != end || !j_sort(t)) {
        return 0;
    }
    Py_ssize_t messages = member(t, root, "messages");
    if (messages < 0 || t->nodes[messages].type != J_ARR) {
        return 0;
    }
    if (!j_write(t, root, &c->canonical, 1, 0)) {
        goto no_memory;
    }
    /* The prompt and target: the last assistant message and those before it. */
    const JNode *msgs = &t->nodes[messages];
    c->n_messages = msgs->len;
    Py_ssize_t last = -1;
    for (Py_ssize_t j = msgs->len - 1; j >= 0; j--) {
        Py_ssize_t m = t->kids[msgs->off + j];
        if (t->nodes[m].type == J_OBJ) {
            Py_ssize_t role = member(t, m, "role");
            if (role >= 0 && str_is(t, &t->nodes[role], "assistant")) {
                last = j;
                break;
            }
        }
    }
    if (last > 0) {
        if (!put_char(&c->prompt, '[')) {
            goto no_memory;
        }
        for (Py_ssize_t j = 0; j < last; j++) {
            if ((j && !put_char(&c->prompt, ',')) ||
                !j_write(t, t->kids[msgs->off + j], &c->prompt, 1, 1)) {
                goto no_memory;
            }
        }
        if (!put_char(&c->prompt, ']') ||
            !j_write(t, t->kids[msgs->off + last], &c->target, 1, 1)) {
            goto no_memory;
        }
        c->has_prompt = 1;
    }
    if (!shape_object(&c->s, root, shape_top_member)) {
        return PyErr_Occurred() ? -1 : 0;
    }
    c->n_images = count_images(t);
    return 1;
no_memory:
    PyErr_NoMemory();
    return -1;
}

/* The ids (str) and arguments (bytes) of a scanned line, for the caller's checks. */
static PyObject *chat_ids(const Chat *c) {
    PyObject *ids = PyTuple_New(c->s.n_ids);
    if (ids == NULL) {
        return NULL;
    }
    for (Py_ssize_t j = 0; j < c->s.n_ids; j++) {
        const JNode *n = &c->t.nodes[c->s.ids[j]];
        PyObject *id = PyUnicode_DecodeUTF8(c->t.text.data + n->off, n->len, "strict");
        if (id == NULL) {
            Py_DECREF(ids);
            return NULL;
        }
        PyTuple_SET_ITEM(ids, j, id);
    }
    return ids;
}

static PyObject *chat_line(PyObject *module, PyObject *arg) {
    (void)module;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "chat_line() takes bytes");
        return NULL;
    }
    Chat *c = chat_new();
    if (c == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    int found = chat_scan(c, (const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg));
    if (found == 0) {
        result = Py_None;
        Py_INCREF(result);
    } else if (found > 0) {
        PyObject *ids = chat_ids(c);
        PyObject *args = ids ? PyList_AsTuple(c->s.arguments) : NULL;
        if (args != NULL) {
            if (c->has_prompt) {
                result = Py_BuildValue("(NnnNNNNN)", buffer_bytes(&c->canonical), c->n_messages,
                                       c->n_images, buffer_bytes(&c->prompt),
                                       buffer_bytes(&c->target), buffer_bytes(&c->shape), ids,
                                       args);
            } else {
                result = Py_BuildValue("(NnnOONNN)", buffer_bytes(&c->canonical), c->n_messages,
                                       c->n_images, Py_None, Py_None, buffer_bytes(&c->shape),
                                       ids, args);
            }
        } else {
            Py_XDECREF(ids);
        }
    }
    chat_free(c);
    return result;
}

/* tool(shape, ids, arguments) for a scanned line: its code (as plain_lines' codes) or None. */
static PyObject *chat_call(PyObject *tool, Chat *c) {
    PyObject *ids = chat_ids(c);
    if (ids == NULL) {
        return NULL;
    }
    PyObject *args = PyList_AsTuple(c->s.arguments);
    PyObject *shape = buffer_bytes(&c->shape);
    PyObject *code = NULL;
    if (args != NULL && shape != NULL) {
        code = PyObject_CallFunctionObjArgs(tool, shape, ids, args, NULL);
    }
    Py_DECREF(ids);
    Py_XDECREF(args);
    Py_XDECREF(shape);
    return code;
}

static void chat_facts(const Chat *c, const char **canonical, Py_ssize_t *canonical_len,
                       Py_ssize_t *n_messages, Py_ssize_t *n_images, const Buffer **prompt,
                       const Buffer **target) {
    *canonical = c->canonical.data;
    *canonical_len = c->canonical.len;
    *n_messages = c->n_messages;
    *n_images = c->n_images;
    *prompt = c->has_prompt ? &c->prompt : NULL;
    *target = c->has_prompt ? &c->target : NULL;
}

static PyMethodDef methods[] = {
    {"plain_chat", plain_chat, METH_O,
     "(canonical, roles, prompt, target) of a plain chat line, or None (see the module doc)."},
    {"normalize", normalize, METH_O, "formats.normalized of canonical JSON, in one pass."},
    {"chat_line", chat_line, METH_O,
     "(canonical, messages, images, prompt, target, shape, ids, arguments) of a chat line, or "
     "None "
     "(see above)."},
    {"plain_lines", plain_lines, METH_VARARGS,
     "(position, lines taken, their columns, their flagged lines, roles without a code or None) "
     "of the plain lines from a position of a block (see above)."},
    {"scan_lines", scan_lines, METH_VARARGS,
     "(position, hashes, offsets, lengths, line ends, stopped at a lone CR) of the whole lines "
     "of a block from a position (see above)."},
    {"locate", locate, METH_VARARGS,
     "(depth, value start, value end, key start, key end) of the deepest value along a pointer's "
     "tokens, in code points, or None where jsonscan must decide (see above)."},
    {"partition_keys", partition_keys, METH_VARARGS,
     "Append each key but no_key, with its line, to its partition's bytearrays (see above)."},
    {"sort_pairs", sort_pairs, METH_VARARGS,
     "Sort two buffers of uint64 in place as (key, line) pairs."},
    {"group_sorted", group_sorted, METH_VARARGS,
     "(lines, first lines) of repeats, or (distinct keys, first lines), of sorted pairs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_fastline",
    "The compiled half of tunelint's fast path for plain chat lines.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastline(void) {
    init_classes();
    init_compact();
    return PyModule_Create(&module_def);
}
