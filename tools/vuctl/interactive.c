/* SPDX-License-Identifier: BSD-3-Clause */
/* The interactive shell: libedit prompt, history and tab completion. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <vuc/vuc.h>

#include "cmds.h"
#include "vuctl.h"

#define HISTORY_SIZE 1000
#define HISTORY_FILE ".vuctl_history"

struct shell {
    struct vuctl *v;
    char prompt[96];
};

static char *prompt_fn(EditLine *el)
{
    struct shell *sh = NULL;
    const char *base;
    size_t n = 0;

    el_get(el, EL_CLIENTDATA, &sh);
    if (!sh->v->client || !vuc_is_connected(sh->v->client)) {
        snprintf(sh->prompt, sizeof(sh->prompt), "vuctl> ");
        return sh->prompt;
    }
    base = strrchr(sh->v->path, '/');
    base = base && base[1] ? base + 1 : sh->v->path;
    n = (size_t)snprintf(sh->prompt, sizeof(sh->prompt), "vuctl(");
    /* Keep the prompt one short, printable line whatever the path holds. */
    for (; *base && n < 40; base++)
        sh->prompt[n++] = isprint((unsigned char)*base) ? *base : '?';
    snprintf(sh->prompt + n, sizeof(sh->prompt) - n, ")> ");
    return sh->prompt;
}

/* ---- Completion --------------------------------------------------------- */

/* Longest word of a command's fixed words. */
#define MAX_WORD_LIST 32

struct candidates {
    char **s;
    size_t n, cap;
    bool nocase;
};

static void cand_add(struct candidates *c, const char *prefix, size_t plen,
                     const char *s, const char *suffix)
{
    char **grown;
    char *copy;

    if ((c->nocase ? strncasecmp(s, prefix, plen) : strncmp(s, prefix, plen)))
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;

        grown = realloc(c->s, cap * sizeof(*grown));
        if (!grown)
            return;
        c->s = grown;
        c->cap = cap;
    }
    if (asprintf(&copy, "%s%s", s, suffix) < 0)
        return;
    c->s[c->n++] = copy;
}

static void cand_free(struct candidates *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->s[i]);
    free(c->s);
}

static void complete_commands(struct candidates *c, const char *w, size_t wl)
{
    const struct vuctl_cmd *cmd;

    for (size_t i = 0; (cmd = vuctl_cmd_at(i)); i++) {
        bool seen = false;

        /* A group ("dma") once, at its first sub-command. */
        for (size_t j = 0; cmd->sub && j < i && !seen; j++)
            seen = !strcmp(vuctl_cmd_at(j)->name, cmd->name);
        if (seen)
            continue;
        cand_add(c, w, wl, cmd->name, " ");
        if (cmd->alias)
            cand_add(c, w, wl, cmd->alias, " ");
    }
}

static void complete_subs(struct candidates *c, const char *group,
                          const char *w, size_t wl)
{
    const struct vuctl_cmd *cmd;

    for (size_t i = 0; (cmd = vuctl_cmd_at(i)); i++)
        if (cmd->sub && !strcmp(cmd->name, group))
            cand_add(c, w, wl, cmd->sub, " ");
}

static void complete_regions(struct vuctl *v, struct candidates *c,
                             const char *w, size_t wl)
{
    const struct vuc_device_info *d = NULL;
    uint32_t n = VFIO_USER_PCI_NUM_REGIONS;

    if (v->client && vuc_is_connected(v->client))
        d = vuc_get_device_info(v->client);
    if (d)
        n = d->num_regions;
    c->nocase = true;
    for (uint32_t i = 0; i < n && i < VUC_MAX_REGIONS; i++) {
        const struct vuc_region_info *r =
            d ? vuc_get_region_info(v->client, i) : NULL;

        /* Offer only regions one can access when the device is known. */
        if (d && (!r || r->size == 0))
            continue;
        cand_add(c, w, wl, vuc_region_name(i), " ");
    }
}

static void complete_irqs(struct vuctl *v, struct candidates *c, const char *w,
                          size_t wl)
{
    const struct vuc_device_info *d = NULL;
    uint32_t n = VFIO_USER_PCI_NUM_IRQS;

    if (v->client && vuc_is_connected(v->client))
        d = vuc_get_device_info(v->client);
    if (d && d->num_irqs < n)
        n = d->num_irqs;
    c->nocase = true;
    for (uint32_t i = 0; i < n; i++)
        cand_add(c, w, wl, vuc_irq_name(i), " ");
}

/* The blank-separated words of list. */
static void complete_words(struct candidates *c, const char *list,
                           const char *w, size_t wl)
{
    char word[MAX_WORD_LIST];

    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");

        if (n < sizeof(word)) {
            memcpy(word, p, n);
            word[n] = '\0';
            cand_add(c, w, wl, word, " ");
        }
        p += n;
        p += strspn(p, " ");
    }
}

static void complete_files(struct candidates *c, const char *w, size_t wl)
{
    const char *slash = memrchr(w, '/', wl);
    char dir[4096], path[8192];
    size_t dl = slash ? (size_t)(slash - w) + 1 : 0;
    struct dirent *e;
    DIR *d;

    if (dl >= sizeof(dir))
        return;
    memcpy(dir, w, dl);
    dir[dl] = '\0';
    d = opendir(dl ? dir : ".");
    if (!d)
        return;
    while ((e = readdir(d))) {
        struct stat st;
        bool is_dir;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (strncmp(e->d_name, w + dl, wl - dl))
            continue;
        if (e->d_name[0] == '.' && wl == dl)
            continue;
        snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
        is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        cand_add(c, w, wl, path, is_dir ? "/" : " ");
    }
    closedir(d);
}

/* Replace the word being completed (wl bytes before the cursor) by s. */
static void replace_word(EditLine *el, size_t wl, const char *s)
{
    if (wl)
        el_deletestr(el, (int)wl);
    el_insertstr(el, s);
}

/* The words of a command before the one being completed. */
#define MAX_WORDS 16
#define MAX_WORD 64

/*
 * Candidates for word w of a command whose earlier words are words[0..n):
 * a command name, a sub-command, or the first argument the table says.
 * Commands that take a command line (expect, set NAME =) recurse into it.
 */
static void complete_in(struct vuctl *v, struct candidates *c,
                        char (*words)[MAX_WORD], size_t n, const char *w,
                        size_t wl)
{
    const struct vuctl_cmd *cmd;
    size_t argi;

    if (n == 0) {
        complete_commands(c, w, wl);
        return;
    }
    if (vuctl_cmd_is_group(words[0])) {
        if (n == 1) {
            complete_subs(c, words[0], w, wl);
            return;
        }
        cmd = vuctl_cmd_find(words[0], words[1]);
        argi = n - 2;
    } else {
        cmd = vuctl_cmd_find(words[0], NULL);
        argi = n - 1;
    }
    if (!cmd)
        return;
    switch (cmd->first_arg) {
    case VUCTL_ARG_COMMAND:
        if (argi == 0)
            complete_commands(c, w, wl);
        else if (argi == 1 && vuctl_cmd_is_group(words[1]))
            complete_subs(c, words[1], w, wl);
        break;
    case VUCTL_ARG_CMDLINE:
        complete_in(v, c, words + 1, n - 1, w, wl);
        break;
    case VUCTL_ARG_SET:
        if (argi >= 2 && !strcmp(words[2], "="))
            complete_in(v, c, words + 3, n - 3, w, wl);
        else if (argi == 0)
            complete_words(c, "posting", w, wl);
        else if (argi == 1 && !strcmp(words[1], "posting"))
            complete_words(c, "strict fenced posted", w, wl);
        break;
    case VUCTL_ARG_IRQ:
        if (argi == 0)
            complete_irqs(v, c, w, wl);
        break;
    case VUCTL_ARG_MIGSTATE:
        if (argi == 0) {
            c->nocase = true;
            complete_words(c, "STOP RUNNING STOP_COPY RESUMING PRE_COPY", w,
                           wl);
        }
        break;
    case VUCTL_ARG_REGION:
        if (argi == 0)
            complete_regions(v, c, w, wl);
        break;
    case VUCTL_ARG_FILE:
        if (argi == 0)
            complete_files(c, w, wl);
        break;
    case VUCTL_ARG_NONE:
        break;
    }
    /* Options and modes, wherever they may go. */
    if (cmd->words)
        complete_words(c, cmd->words, w, wl);
}

static unsigned char complete_fn(EditLine *el, int ch)
{
    struct shell *sh = NULL;
    const LineInfo *li = el_line(el);
    const char *start = li->buffer, *cur = li->cursor, *w = cur, *p;
    struct candidates c = {0};
    char words[MAX_WORDS][MAX_WORD];
    size_t wl, nwords = 0;
    unsigned char ret = CC_ERROR;

    el_get(el, EL_CLIENTDATA, &sh);
    while (w > start && !isspace((unsigned char)w[-1]) && w[-1] != ';')
        w--;
    wl = (size_t)(cur - w);

    /* The words of this command so far: back to its start. */
    p = w;
    while (p > start && p[-1] != ';')
        p--;
    while (p < w) {
        const char *q;

        while (p < w && isspace((unsigned char)*p))
            p++;
        if (p >= w)
            break;
        q = p;
        while (q < w && !isspace((unsigned char)*q))
            q++;
        if (nwords == MAX_WORDS)
            break;
        snprintf(words[nwords++], MAX_WORD, "%.*s", (int)(q - p), p);
        p = q;
    }
    if (nwords < MAX_WORDS)
        complete_in(sh->v, &c, words, nwords, w, wl);

    if (c.n == 1) {
        replace_word(el, wl, c.s[0]);
        ret = CC_REFRESH;
    } else if (c.n > 1) {
        /* Extend to the longest common prefix; list when that adds nothing
         * (the suffixes " " and "/" are not part of any prefix). */
        size_t common = strlen(c.s[0]);

        for (size_t i = 1; i < c.n; i++) {
            size_t k = 0;

            while (k < common && c.s[i][k] &&
                   (c.nocase ? tolower((unsigned char)c.s[i][k]) ==
                                   tolower((unsigned char)c.s[0][k])
                             : c.s[i][k] == c.s[0][k]))
                k++;
            common = k;
        }
        if (common > wl) {
            char *prefix = strndup(c.s[0], common);

            if (prefix) {
                replace_word(el, wl, prefix);
                free(prefix);
            }
            ret = CC_REFRESH;
        } else {
            fputc('\n', stdout);
            for (size_t i = 0; i < c.n; i++) {
                size_t len = strlen(c.s[i]);

                if (len && c.s[i][len - 1] == ' ')
                    len--;
                printf("%s%.*s", i ? "  " : "", (int)len, c.s[i]);
            }
            fputc('\n', stdout);
            fflush(stdout);
            ret = CC_REDISPLAY;
        }
    }
    cand_free(&c);
    return ret;
}

/* ---- The loop ----------------------------------------------------------- */

static char *history_path(void)
{
    const char *home = getenv("HOME");
    char *path;

    if (!home || !home[0])
        return NULL;
    if (asprintf(&path, "%s/%s", home, HISTORY_FILE) < 0)
        return NULL;
    return path;
}

int vuctl_interactive(struct vuctl *v)
{
    struct shell sh = {.v = v};
    char *hpath = history_path();
    History *hist;
    HistEvent ev;
    EditLine *el;

    hist = history_init();
    el = el_init("vuctl", stdin, stdout, stderr);
    if (!hist || !el) {
        fputs("vuctl: cannot initialise the line editor\n", stderr);
        if (el)
            el_end(el);
        if (hist)
            history_end(hist);
        free(hpath);
        return VUCTL_FAIL;
    }
    history(hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(hist, &ev, H_SETUNIQUE, 1);
    if (hpath)
        history(hist, &ev, H_LOAD, hpath);

    el_set(el, EL_CLIENTDATA, &sh);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_SIGNAL, 1);
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_PROMPT, prompt_fn);
    /* The wide call: the narrow el_set(EL_ADDFN) copies both strings and
     * never frees the copies. */
    el_wset(el, EL_ADDFN, L"vuctl-complete",
            L"complete a command, region or file name", complete_fn);
    el_set(el, EL_BIND, "^I", "vuctl-complete", NULL);
    el_source(el, NULL); /* ~/.editrc, so users keep their bindings */

    while (!v->quit) {
        int count;
        const char *line = el_gets(el, &count);
        const char *p;

        if (!line || count <= 0) {
            fputc('\n', stdout);
            break;
        }
        for (p = line; isspace((unsigned char)*p); p++)
            ;
        if (*p)
            history(hist, &ev, H_ENTER, line);
        /* Errors are reported and the shell goes on. */
        vuctl_exec_line(v, line, NULL, NULL);
        fflush(stdout);
    }

    if (hpath)
        history(hist, &ev, H_SAVE, hpath);
    free(hpath);
    el_end(el);
    history_end(hist);
    return VUCTL_OK;
}
