/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The results as TAP 14, a table for a terminal, JSON, and JUnit XML.
 * A failed SHOULD check is reported as failed everywhere; in TAP it
 * carries a TODO directive, so that TAP consumers, like the exit status,
 * fail a run on MUST checks only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conform_int.h"

static const char *outcome_name(enum cf_outcome o)
{
    return o == CF_PASS ? "pass" : o == CF_FAIL ? "fail" : "skip";
}

static const char *level_name(enum cf_level l)
{
    return l == CF_MUST ? "MUST" : "SHOULD";
}

/* A TAP directive or description may not hold '#' or a newline. */
static void tap_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '#' ? '_' : *s == '\n' ? ' ' : *s, out);
}

/* A YAML double-quoted scalar. */
static void yaml_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\x%02x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static void report_tap(FILE *out, const char *server, const struct cf_result *r,
                       size_t n)
{
    fprintf(out, "TAP version 14\n# vuc-conform against %s\n1..%zu\n", server,
            n);
    for (size_t i = 0; i < n; i++) {
        const struct cf_check *c = r[i].check;

        fprintf(out, "%s %zu - %s", r[i].outcome == CF_FAIL ? "not ok" : "ok",
                i + 1, c->id);
        if (r[i].outcome == CF_SKIP) {
            fputs(" # SKIP ", out);
            tap_text(out, r[i].text);
        } else if (r[i].outcome == CF_FAIL && c->level == CF_SHOULD) {
            fputs(" # TODO SHOULD-level check", out);
        }
        fputc('\n', out);
        if (r[i].outcome != CF_FAIL)
            continue;
        fputs("  ---\n  message: ", out);
        yaml_str(out, r[i].text);
        fprintf(out, "\n  severity: %s\n  level: %s\n  section: ",
                c->level == CF_MUST ? "fail" : "todo", level_name(c->level));
        yaml_str(out, c->section);
        fputs("\n  rule: ", out);
        yaml_str(out, c->rule);
        fputs("\n  ...\n", out);
    }
}

static void report_table(FILE *out, const char *server,
                         const struct cf_result *r, size_t n, double secs)
{
    size_t counts[3] = {0}, must_failed = 0;

    fprintf(out, "vuc-conform against %s\n\n%-6s %-6s %-32s %s\n", server,
            "RESULT", "LEVEL", "CHECK", "DETAIL");
    for (size_t i = 0; i < n; i++) {
        counts[r[i].outcome]++;
        if (r[i].outcome == CF_FAIL && r[i].check->level == CF_MUST)
            must_failed++;
        fprintf(out, "%-6s %-6s %-32s %s\n", outcome_name(r[i].outcome),
                level_name(r[i].check->level), r[i].check->id, r[i].text);
    }
    fprintf(out,
            "\n%zu checks: %zu passed, %zu failed (%zu MUST), %zu skipped in "
            "%.1f s\n",
            n, counts[CF_PASS], counts[CF_FAIL], must_failed, counts[CF_SKIP],
            secs);
}

static void report_json(FILE *out, const char *server,
                        const struct cf_result *r, size_t n, double secs)
{
    json_t *checks = json_array(), *root;
    size_t counts[3] = {0}, must_failed = 0;
    char *text;

    for (size_t i = 0; i < n; i++) {
        const struct cf_check *c = r[i].check;

        counts[r[i].outcome]++;
        if (r[i].outcome == CF_FAIL && c->level == CF_MUST)
            must_failed++;
        json_array_append_new(
            checks,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "id", c->id,
                      "section", c->section, "level", level_name(c->level),
                      "rule", c->rule, "result", outcome_name(r[i].outcome),
                      "detail", r[i].text, "seconds", r[i].seconds));
    }
    root = json_pack("{s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:f}}", "server",
                     server, "checks", checks, "summary", "total",
                     (json_int_t)n, "passed", (json_int_t)counts[CF_PASS],
                     "failed", (json_int_t)counts[CF_FAIL], "skipped",
                     (json_int_t)counts[CF_SKIP], "must_failed",
                     (json_int_t)must_failed, "seconds", secs);
    text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    json_decref(root);
}

void cf_report(FILE *out, enum cf_format fmt, const char *server,
               const struct cf_result *r, size_t n, double seconds)
{
    switch (fmt) {
    case CF_FMT_TAP:
        report_tap(out, server, r, n);
        break;
    case CF_FMT_TABLE:
        report_table(out, server, r, n, seconds);
        break;
    case CF_FMT_JSON:
        report_json(out, server, r, n, seconds);
        break;
    }
    fflush(out);
}

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            /* XML 1.0 allows no control characters but tab and newline. */
            fputc((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' ? ' '
                                                                       : *s,
                  out);
        }
    }
}

int cf_report_junit(const char *path, const char *server,
                    const struct cf_result *r, size_t n, double seconds)
{
    FILE *out = fopen(path, "w");
    size_t failed = 0, skipped = 0;
    int rc;

    if (!out)
        return -errno;
    for (size_t i = 0; i < n; i++) {
        failed += r[i].outcome == CF_FAIL;
        skipped += r[i].outcome == CF_SKIP;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
    fprintf(out,
            "  <testsuite name=\"vuc-conform\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
            n, failed, skipped, seconds);
    fputs("    <properties>\n      <property name=\"server\" value=\"", out);
    xml_text(out, server);
    fputs("\"/>\n    </properties>\n", out);
    for (size_t i = 0; i < n; i++) {
        const struct cf_check *c = r[i].check;
        const char *dot = strchr(c->id, '.');
        int group = dot ? (int)(dot - c->id) : (int)strlen(c->id);

        fprintf(out,
                "    <testcase classname=\"vfio-user.%.*s\" name=\"%s\" "
                "time=\"%.3f\">\n",
                group, c->id, c->id, r[i].seconds);
        if (r[i].outcome == CF_FAIL) {
            fprintf(out, "      <failure type=\"%s\" message=\"",
                    level_name(c->level));
            xml_text(out, r[i].text);
            fputs("\">", out);
            xml_text(out, c->section);
            fputs(": ", out);
            xml_text(out, c->rule);
            fputs("</failure>\n", out);
        } else if (r[i].outcome == CF_SKIP) {
            fputs("      <skipped message=\"", out);
            xml_text(out, r[i].text);
            fputs("\"/>\n", out);
        }
        fputs("    </testcase>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    rc = ferror(out) ? -EIO : 0;
    if (fclose(out) && !rc)
        rc = -errno;
    return rc;
}

void cf_report_list(FILE *out, bool json, const struct cf_check *const *c,
                    size_t n)
{
    if (json) {
        json_t *a = json_array();
        char *text;

        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", c[i]->id,
                             "section", c[i]->section, "level",
                             level_name(c[i]->level), "rule", c[i]->rule,
                             "fresh_server",
                             (c[i]->needs & (CF_FRESH | CF_TWO)) != 0));
        text = json_dumps(a, JSON_INDENT(2));
        if (text)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(a);
        return;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%-32s %-6s %s\n", c[i]->id, level_name(c[i]->level),
                c[i]->section);
}
