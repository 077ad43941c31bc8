/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file: JSON, written atomically (vsw_file_write_atomic), so that killing the
 * switch at any moment leaves the previous or the new file, never a mix. A file that does not
 * parse is refused as a whole and left untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CONFIG_VERSION 1
#define CONFIG_MAX_SIZE (4u << 20)

static int port_parse(json_t *jp, unsigned int idx, struct vs_config_port *cp, char *err,
	size_t errlen)
{
	struct vs_port_settings def;
	const char *name, *devargs;
	json_t *settings;
	char why[160];
	int ret;

	name = json_string_value(json_object_get(jp, "name"));
	devargs = json_string_value(json_object_get(jp, "devargs"));
	if (name == NULL || !vsw_name_is_valid(name)) {
		snprintf(err, errlen, "ports[%u]: missing or invalid name", idx);
		return -EINVAL;
	}
	if (devargs == NULL || devargs[0] == '\0' || strlen(devargs) >= VS_DEVARGS_MAX) {
		snprintf(err, errlen, "port %s: missing or invalid devargs", name);
		return -EINVAL;
	}
	settings = json_deep_copy(jp);
	if (settings == NULL)
		return -ENOMEM;
	json_object_del(settings, "name");
	json_object_del(settings, "devargs");
	vs_settings_default(&def);
	ret = vs_settings_apply(&def, settings, &cp->set, why, sizeof(why));
	json_decref(settings);
	if (ret) {
		snprintf(err, errlen, "port %s: %s", name, why);
		return ret;
	}
	snprintf(cp->name, sizeof(cp->name), "%s", name);
	snprintf(cp->devargs, sizeof(cp->devargs), "%s", devargs);
	return 0;
}

static int ports_parse(json_t *ports, struct vs_config *c, char *err, size_t errlen)
{
	json_t *jp;
	size_t i, j;
	int ret;

	if (!json_is_array(ports) || json_array_size(ports) > VS_MAX_PORTS) {
		snprintf(err, errlen, "'ports' must be an array of at most %d ports", VS_MAX_PORTS);
		return -EINVAL;
	}
	json_array_foreach(ports, i, jp) {
		if (!json_is_object(jp)) {
			snprintf(err, errlen, "ports[%zu]: not an object", i);
			return -EINVAL;
		}
		ret = port_parse(jp, (unsigned int)i, &c->ports[i], err, errlen);
		if (ret)
			return ret;
		for (j = 0; j < i; j++) {
			if (strcmp(c->ports[j].name, c->ports[i].name) == 0) {
				snprintf(err, errlen, "port %s: listed twice", c->ports[i].name);
				return -EINVAL;
			}
		}
	}
	c->n_ports = (unsigned int)json_array_size(ports);
	return 0;
}

int vs_config_parse(const char *text, struct vs_config *cfg, char *err, size_t errlen)
{
	struct vs_config *c;
	json_error_t jerr;
	json_t *root, *v;
	int ret = -EINVAL;

	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) !=
		CONFIG_VERSION) {
		snprintf(err, errlen, "not a version %d vswitchd configuration", CONFIG_VERSION);
		goto out;
	}
	c->ageing = VS_AGEING_DEFAULT;
	v = json_object_get(root, "ageing");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			json_integer_value(v) > VS_AGEING_MAX) {
			snprintf(err, errlen, "ageing: expected 1-%d seconds", VS_AGEING_MAX);
			goto out;
		}
		c->ageing = (uint32_t)json_integer_value(v);
	}
	v = json_object_get(root, "ports");
	if (v) {
		ret = ports_parse(v, c, err, errlen);
		if (ret)
			goto out;
	}
	*cfg = *c;
	ret = 0;
out:
	free(c);
	json_decref(root);
	return ret;
}

char *vs_config_dump(const struct vs_config *cfg)
{
	json_t *root, *ports, *jp;
	char *text = NULL;
	unsigned int i;

	root = json_pack("{s:i, s:I}", "version", CONFIG_VERSION, "ageing",
		(json_int_t)cfg->ageing);
	ports = json_array();
	if (root == NULL || ports == NULL)
		goto out;
	for (i = 0; i < cfg->n_ports; i++) {
		jp = json_pack("{s:s, s:s}", "name", cfg->ports[i].name, "devargs",
			cfg->ports[i].devargs);
		if (jp == NULL || vs_settings_to_json(&cfg->ports[i].set, jp, false) ||
			json_array_append_new(ports, jp))
			goto out;
	}
	if (json_object_set(root, "ports", ports) == 0)
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
	json_decref(ports);
	json_decref(root);
	return text;
}

int vs_config_load(const char *path, struct vs_config *cfg, char *err, size_t errlen)
{
	char *text = NULL, why[200];
	int ret;

	ret = vsw_file_read(path, CONFIG_MAX_SIZE, &text, NULL);
	if (ret == -ENOENT) {
		memset(cfg, 0, sizeof(*cfg));
		cfg->ageing = VS_AGEING_DEFAULT;
		return 0;
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = vs_config_parse(text, cfg, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", path, why);
	free(text);
	return ret;
}

int vs_config_save(const char *path, const struct vs_config *cfg)
{
	char *text = vs_config_dump(cfg);
	int ret;

	if (text == NULL)
		return -ENOMEM;
	ret = vsw_file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return ret;
}
