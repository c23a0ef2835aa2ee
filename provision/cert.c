/* Credential files: copies of a certificate (and the password file of a
 * PKCS#12) put where the config will name them, mode 0600. The file is
 * checked by the caller first (probe_cert_check_import): this layer writes
 * files and does not parse certificates. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "provision/provision.h"

#define CERT_FILE_MAX (1024 * 1024)

int prov_cert_install(const char *src, const char *password, const char *dir,
		      char **cert_path, char **pass_path, char **cause)
{
	char *data = NULL, *copy, *dst, *pass = NULL;
	size_t len = 0;
	int r;

	*cert_path = NULL;
	*pass_path = NULL;
	copy = xstrdup(src);
	dst = xasprintf("%s/%s", dir, basename(copy));
	free(copy);
	if (password != NULL)
		pass = xasprintf("%s.pass", dst);
	if ((r = mkdir_p(dir, 0700, cause)) < 0)
		goto out;
	if ((r = file_read(src, CERT_FILE_MAX, &data, &len, cause)) < 0)
		goto out;
	if ((r = file_write_atomic(dst, data, len, 0600, cause)) < 0)
		goto out;
	if (pass != NULL) {
		char *line = xasprintf("%s\n", password);
		r = file_write_atomic(pass, line, strlen(line), 0600, cause);
		explicit_bzero(line, strlen(line));
		free(line);
		if (r < 0)
			goto out;
	}
	*cert_path = dst;
	*pass_path = pass;
	dst = pass = NULL;
out:
	if (data != NULL)
		explicit_bzero(data, len);
	free(data);
	free(dst);
	free(pass);
	return r;
}
