#include "app/formats/json_out.h"

#include <jansson.h>
#include <math.h>

/* nf_json is a json_t; a failed setter leaves a mark in the object itself. */
#define J(x) ((json_t *)(x))
#define BROKEN_KEY "\x01broken"
#define BAD_TEXT_KEY "\x01" "bad_text" /* the key whose text was not UTF-8 */

nf_json *nf_json_object(void) { return (nf_json *)json_object(); }
nf_json *nf_json_array(void) { return (nf_json *)json_array(); }
void nf_json_free(nf_json *j) { json_decref(J(j)); }

static void mark(json_t *o)
{
    if (json_is_object(o)) json_object_set_new(o, BROKEN_KEY, json_true());
}

static void set(nf_json *o, const char *key, json_t *v)
{
    if (!o) { json_decref(v); return; }
    int bad = !v;
    if (!bad && key) bad = json_object_set_new(J(o), key, v) != 0;
    else if (!bad) bad = json_array_append_new(J(o), v) != 0;
    if (bad) mark(J(o));
}

void nf_json_int(nf_json *o, const char *key, int64_t v) { set(o, key, json_integer((json_int_t)v)); }
void nf_json_real(nf_json *o, const char *key, double v) { set(o, key, isfinite(v) ? json_real(v) : json_null()); }
void nf_json_text(nf_json *o, const char *key, const char *v)
{
    json_t *t = v ? json_string(v) : json_null();
    json_t *empty = t ? NULL : json_string("");
    if (!t && empty && o && json_is_object(J(o))) /* not out of memory: v is not UTF-8 (a damaged or edited file) */
        json_object_set_new(J(o), BAD_TEXT_KEY, json_string(key ? key : "a list item"));
    json_decref(empty);
    set(o, key, t);
}
void nf_json_null(nf_json *o, const char *key) { set(o, key, json_null()); }
void nf_json_put(nf_json *o, const char *key, nf_json *child) { set(o, key, J(child)); }

nf_status nf_json_put_parsed(nf_json *o, const char *key, const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v) return nf_fail(NF_ERR_FORMAT, "stored JSON, line %d: %s", err.line, err.text);
    set(o, key, v);
    return NF_OK;
}

/* Any mark, at any depth. */
static int broken(const json_t *j)
{
    if (!j) return 1;
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        if (json_object_get(j, BROKEN_KEY)) return 1;
        json_object_foreach((json_t *)j, k, v) if (broken(v)) return 1;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) if (broken(v)) return 1;
    }
    return 0;
}

/* The first bad-text mark, at any depth. */
static const char *bad_text(const json_t *j)
{
    const char *k, *found = NULL;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        if ((found = json_string_value(json_object_get(j, BAD_TEXT_KEY)))) return found;
        json_object_foreach((json_t *)j, k, v) if ((found = bad_text(v))) return found;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) if ((found = bad_text(v))) return found;
    }
    return NULL;
}

nf_status nf_json_print(const nf_json *j, FILE *f)
{
    const char *file = json_string_value(json_object_get(J(j), "file")), *key = bad_text(J(j));
    if (key) return nf_fail(NF_ERR_FORMAT, "%s: the stored text of \"%s\" is not valid UTF-8 (a damaged or edited file)",
                            file ? file : "the run file", key);
    if (broken(J(j))) return nf_fail(NF_ERR_NOMEM, "out of memory building the JSON document");
    if (json_dumpf(J(j), f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0)
        return nf_fail(NF_ERR_IO, "cannot write the JSON document");
    fputc('\n', f);
    return NF_OK;
}
