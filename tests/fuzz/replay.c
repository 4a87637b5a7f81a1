/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs a fuzz target over files, for builds without libFuzzer: CI replays
 * the seed corpus under the sanitizers, and a crash found by fuzzing is
 * reproduced by naming its file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (buf == NULL) {
        return 1;
    }
    /* Exactly-sized, so an overread of the input itself is caught too. */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 0, rc = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
                char path[4096];
                if (e->d_name[0] == '.') {
                    continue;
                }
                snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                rc |= run_file(path);
                runs++;
            }
            if (d) {
                closedir(d);
            }
        } else {
            rc |= run_file(argv[i]);
            runs++;
        }
    }
    printf("replayed %d inputs\n", runs);
    return rc || runs == 0;
}
