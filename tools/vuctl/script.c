/* SPDX-License-Identifier: BSD-3-Clause */
/* Non-interactive runs: -c strings, -f files and stdin that is no terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "vuctl.h"

int vuctl_run_text(struct vuctl *v, const char *text)
{
    return vuctl_exec_line(v, text, NULL, &v->c_commands);
}

int vuctl_run_file(struct vuctl *v, const char *path)
{
    bool is_stdin = !strcmp(path, "-");
    const char *label = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    int status = VUCTL_OK;
    ssize_t n;

    if (!f) {
        int err = errno;

        vuctl_fail(v, VUCTL_USAGE, err, "cannot open '%s': %s", path,
                   strerror(err));
        out_error(v, NULL, NULL);
        return VUCTL_USAGE;
    }
    while (!v->quit && (n = getline(&line, &cap, f)) >= 0) {
        char where[4096];

        lineno++;
        snprintf(where, sizeof(where), "%s:%lu", label, lineno);
        /* The parser works on C strings; a NUL would silently cut the line
         * short and run half a command. */
        if (strlen(line) != (size_t)n) {
            vuctl_fail(v, VUCTL_USAGE, EINVAL, "line contains a NUL byte");
            out_error(v, NULL, where);
            status = VUCTL_USAGE;
            break;
        }
        status = vuctl_exec_line(v, line, where, NULL);
        if (status != VUCTL_OK)
            break;
    }
    if (status == VUCTL_OK && ferror(f)) {
        int err = errno;

        vuctl_fail(v, VUCTL_FAIL, err, "error reading '%s': %s", label,
                   strerror(err));
        out_error(v, NULL, NULL);
        status = VUCTL_FAIL;
    }
    free(line);
    if (!is_stdin)
        fclose(f);
    return status;
}
