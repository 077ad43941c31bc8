/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmmd's configuration file: the partition definitions, as JSON
 *   {"version": 1, "partitions": [<vmm_part_config_to_json()>...]}
 * The daemon writes it with vsw_file_write_atomic() after every change. Loading refuses the file
 * as a whole if anything in it is wrong, and never rewrites it: the operator decides.
 */
#include "vmm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsw_util.h"

#define CONFIG_VERSION 1
#define CONFIG_MAX_SIZE (16u << 20)
#define CONFIG_MAX_PARTS 4096

static int parts_parse(json_t *jparts, struct vmm_part_config *c, char *err, size_t errlen)
{
	char why[256];
	json_t *jp;
	size_t i, k;
	int ret;

	json_array_foreach(jparts, i, jp)
	{
		ret = vmm_part_config_from_json(jp, VMM_CPUS_MAX_CENTI, &c[i], why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "partitions[%zu]: %s", i, why);
			return -EINVAL;
		}
		for (k = 0; k < i; k++) {
			if (strcmp(c[k].name, c[i].name) == 0) {
				snprintf(err, errlen, "partition %s: defined twice", c[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int config_parse(
	const char *text, struct vmm_part_config **cfgs, unsigned int *n, char *err, size_t errlen)
{
	struct vmm_part_config *c = NULL;
	json_error_t jerr;
	json_t *root, *jparts;
	size_t count;
	int ret = -EINVAL;

	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "version")) ||
		json_integer_value(json_object_get(root, "version")) != CONFIG_VERSION) {
		snprintf(err, errlen, "not a version %d vmmd configuration", CONFIG_VERSION);
		goto out;
	}
	jparts = json_object_get(root, "partitions");
	if (!json_is_array(jparts) || json_array_size(jparts) > CONFIG_MAX_PARTS) {
		snprintf(err, errlen, "'partitions' must be an array of at most %d entries",
			CONFIG_MAX_PARTS);
		goto out;
	}
	count = json_array_size(jparts);
	c = calloc(count ? count : 1, sizeof(*c));
	if (c == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = parts_parse(jparts, c, err, errlen);
	if (ret)
		goto out;
	*cfgs = c;
	*n = (unsigned int)count;
	c = NULL;
out:
	free(c);
	json_decref(root);
	return ret;
}

int vmm_config_load(
	const char *path, struct vmm_part_config **cfgs, unsigned int *n, char *err, size_t errlen)
{
	char *text;
	size_t size;
	int ret;

	*cfgs = NULL;
	*n = 0;
	ret = vsw_file_read(path, CONFIG_MAX_SIZE, &text, &size);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		snprintf(err, errlen, "%s: %s", path,
			ret == -EFBIG ? "file too large" : strerror(-ret));
		return ret;
	}
	if (strlen(text) != size) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		ret = -EINVAL;
	} else {
		ret = config_parse(text, cfgs, n, err, errlen);
	}
	free(text);
	return ret;
}

char *vmm_config_dump(const struct vmm_part_config *const *cfgs, unsigned int n)
{
	json_t *root, *parts;
	unsigned int i;
	char *text;

	parts = json_array();
	root = json_pack("{s:i, s:o}", "version", CONFIG_VERSION, "partitions", parts);
	if (root == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(parts, vmm_part_config_to_json(cfgs[i]))) {
			json_decref(root);
			return NULL;
		}
	}
	/* 15 digits: hundredths of a CPU print as 1.1, not 1.1000000000000001 */
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(root);
	return text;
}
