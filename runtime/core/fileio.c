/*
 * Small file helpers shared by the stores that keep state in files
 * (offsets, connector configs).
 */
#define _GNU_SOURCE
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rdc_file_write_atomic(const char *path, const char *text, char *errstr,
                          size_t errstr_size) {
        char *path_copy = strdup(path), *tmp = NULL;
        int fd = -1, dir_fd = -1, ret = -1;
        const char *what = "out of memory";
        struct stat st;
        if (!path_copy)
                goto fail;
        /* dirname() may modify path_copy: only use its result. */
        const char *dir = dirname(path_copy);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        if (asprintf(&tmp, "%s/.%s.tmp.XXXXXX", dir, base) < 0) {
                tmp = NULL;
                goto fail;
        }
        what = "cannot create a temporary file";
        if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
                goto fail;
        /* Keep the mode of the file being replaced. */
        what = "cannot set the mode of the temporary file";
        if (fchmod(fd, stat(path, &st) ? 0644 : st.st_mode & 07777))
                goto fail;
        what = "cannot write the temporary file";
        for (size_t len = strlen(text), done = 0; done < len;) {
                ssize_t written = write(fd, text + done, len - done);
                if (written < 0 && errno != EINTR)
                        goto fail;
                if (written > 0)
                        done += (size_t)written;
        }
        what = "cannot fsync the temporary file";
        if (fsync(fd))
                goto fail;
        what = "cannot close the temporary file";
        int rc = close(fd);
        fd = -1;
        if (rc)
                goto fail;
        what = "cannot rename the temporary file";
        if (rename(tmp, path))
                goto fail;
        free(tmp);
        tmp = NULL; /* renamed: nothing left to remove */
        /* The rename is durable once the directory entry is. */
        what = "cannot fsync the directory";
        if ((dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            fsync(dir_fd))
                goto fail;
        ret = 0;
        goto done;
fail:
        snprintf(errstr, errstr_size, "%s: %s: %s", path, what,
                 strerror(errno));
done:
        if (fd >= 0)
                close(fd);
        if (dir_fd >= 0)
                close(dir_fd);
        if (tmp)
                unlink(tmp);
        free(tmp);
        free(path_copy);
        return ret;
}

char *rdc_file_read(const char *path, size_t *lenp) {
        FILE *fp = fopen(path, "rb");
        char *text = NULL;
        size_t len = 0, size = 0;
        if (!fp)
                return NULL;
        for (;;) {
                if (size - len < 4096) {
                        size_t grown_size = size ? size * 2 : 8192;
                        char *grown = realloc(text, grown_size);
                        if (!grown)
                                goto fail;
                        text = grown;
                        size = grown_size;
                }
                size_t got = fread(text + len, 1, size - len - 1, fp);
                len += got;
                if (got == 0) {
                        if (ferror(fp))
                                goto fail;
                        break;
                }
        }
        fclose(fp);
        text[len] = '\0';
        *lenp = len;
        return text;
fail:;
        int saved = errno ? errno : EIO;
        fclose(fp);
        free(text);
        errno = saved;
        return NULL;
}
