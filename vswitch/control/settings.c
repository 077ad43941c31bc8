/* SPDX-License-Identifier: BSD-3-Clause */
/* Port settings: parsing and validation shared by set-port, add-port and the config file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void vs_settings_default(struct vs_port_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->mtu = VS_MTU_DEFAULT;
	s->vlan.mode = VS_VLAN_UNTAGGED;
}

/* Accept "123" or 123; the config file stores integers, vswitchctl sends strings. */
static int value_u32(json_t *v, const char *key, uint32_t min, uint32_t max, uint32_t *out,
	char *err, size_t errlen)
{
	int ret;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < min || i > max)
			goto range;
		*out = (uint32_t)i;
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: expected a number", key);
		return -EINVAL;
	}
	ret = vsw_parse_u32(json_string_value(v), min, max, out);
	if (ret == -ERANGE)
		goto range;
	if (ret) {
		snprintf(err, errlen, "%s: '%s' is not a number", key, json_string_value(v));
		return -EINVAL;
	}
	return 0;
range:
	snprintf(err, errlen, "%s: out of range (%u-%u)", key, min, max);
	return -EINVAL;
}

/* One of two words: *is_second tells which. */
static int value_word(json_t *v, const char *key, const char *first, const char *second,
	bool *is_second, char *err, size_t errlen)
{
	const char *s = json_string_value(v);

	if (s && (strcmp(s, first) == 0 || strcmp(s, second) == 0)) {
		*is_second = strcmp(s, second) == 0;
		return 0;
	}
	snprintf(err, errlen, "%s: expected %s or %s", key, first, second);
	return -EINVAL;
}

static int value_onoff(json_t *v, const char *key, bool *on, char *err, size_t errlen)
{
	bool off;
	int ret = value_word(v, key, "on", "off", &off, err, errlen);

	if (ret == 0)
		*on = !off;
	return ret;
}

/* Offload families a port may forbid (netvsc ports, vswitch/netvsp/vsp.h VS_VSP_OL_*). */
static const struct {
	const char *key;
	uint8_t bit;
} offload_keys[] = {{"csum", 0x1}, {"lso", 0x2}, {"rsc", 0x4}};

/* One offload key ("offloads" for all of them); 1 if 'key' is not one. */
static int apply_offload(const char *key, json_t *v, struct vs_port_settings *out, char *err,
	size_t errlen)
{
	uint8_t bits = 0;
	unsigned int i;
	bool on;
	int ret;

	if (strcmp(key, "offloads") == 0)
		bits = 0x7;
	for (i = 0; i < sizeof(offload_keys) / sizeof(offload_keys[0]); i++)
		if (strcmp(key, offload_keys[i].key) == 0)
			bits = offload_keys[i].bit;
	if (!bits)
		return 1;
	ret = value_onoff(v, key, &on, err, errlen);
	if (ret)
		return ret;
	if (on)
		out->offloads_off &= (uint8_t)~bits;
	else
		out->offloads_off |= bits;
	return 0;
}

struct vlan_keys {
	json_t *mode, *tag, *trunks, *native;
};

static int mode_from_keys(const struct vs_port_settings *cur, const struct vlan_keys *k,
	enum vs_vlan_mode *mode, char *err, size_t errlen)
{
	if (k->mode) {
		if (!json_is_string(k->mode) || vs_vlan_mode_parse(json_string_value(k->mode), mode)) {
			snprintf(err, errlen, "vlan_mode: expected untagged, access or trunk");
			return -EINVAL;
		}
	} else if (k->tag) {
		*mode = VS_VLAN_ACCESS;
	} else if (k->trunks || k->native) {
		*mode = VS_VLAN_TRUNK;
	} else {
		*mode = (enum vs_vlan_mode)cur->vlan.mode;
	}
	if (k->tag && *mode != VS_VLAN_ACCESS) {
		snprintf(err, errlen, "tag: only access ports have a tag (trunks take native=)");
		return -EINVAL;
	}
	if ((k->trunks || k->native) && *mode != VS_VLAN_TRUNK) {
		snprintf(err, errlen, "trunks/native: only trunk ports take them");
		return -EINVAL;
	}
	return 0;
}

static int apply_vlan(const struct vs_port_settings *cur, const struct vlan_keys *k,
	struct vs_vlan_cfg *out, char *err, size_t errlen)
{
	enum vs_vlan_mode mode;
	uint32_t v;
	int ret;

	ret = mode_from_keys(cur, k, &mode, err, errlen);
	if (ret)
		return ret;
	if (mode != cur->vlan.mode) {
		/* a new mode starts from its defaults: trunk of all VLANs, native = untagged */
		memset(out, 0, sizeof(*out));
		out->mode = (uint8_t)mode;
		out->all = mode == VS_VLAN_TRUNK;
	}
	if (k->tag) {
		ret = value_u32(k->tag, "tag", 1, VSW_VLAN_MAX, &v, err, errlen);
		if (ret)
			return ret;
		out->vlan = (uint16_t)v;
	}
	if (k->native) {
		ret = value_u32(k->native, "native", 0, VSW_VLAN_MAX, &v, err, errlen);
		if (ret)
			return ret;
		out->vlan = (uint16_t)v;
	}
	if (k->trunks) {
		const char *list = json_string_value(k->trunks);
		char why[96];

		if (list == NULL) {
			snprintf(err, errlen, "trunks: expected a VLAN list such as 10,20-30");
			return -EINVAL;
		}
		memset(out->trunks, 0, sizeof(out->trunks));
		out->all = list[0] == '\0';
		if (!out->all && vsw_vlan_list_parse(list, out->trunks, why, sizeof(why))) {
			snprintf(err, errlen, "trunks: %s", why);
			return -EINVAL;
		}
	}
	if (mode == VS_VLAN_ACCESS && out->vlan == 0) {
		snprintf(err, errlen, "vlan_mode=access needs tag=1-%d", VSW_VLAN_MAX);
		return -EINVAL;
	}
	return 0;
}

int vs_settings_apply(const struct vs_port_settings *cur, json_t *obj, struct vs_port_settings *out,
	char *err, size_t errlen)
{
	struct vlan_keys k = {0};
	const char *key;
	json_t *v;
	uint32_t mtu;
	int ret;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "settings must be KEY=VALUE pairs");
		return -EINVAL;
	}
	*out = *cur;
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "mtu") == 0) {
			ret = value_u32(v, "mtu", VS_MTU_MIN, VS_MTU_MAX, &mtu, err, errlen);
			if (ret)
				return ret;
			out->mtu = (uint16_t)mtu;
		} else if (strcmp(key, "mac_spoofing") == 0) {
			ret = value_onoff(v, "mac_spoofing", &out->mac_spoofing, err, errlen);
			if (ret)
				return ret;
		} else if (strcmp(key, "admin") == 0) {
			ret = value_word(v, "admin", "up", "down", &out->admin_down, err, errlen);
			if (ret)
				return ret;
		} else if (strcmp(key, "vlan_mode") == 0) {
			k.mode = v;
		} else if (strcmp(key, "tag") == 0) {
			k.tag = v;
		} else if (strcmp(key, "trunks") == 0) {
			k.trunks = v;
		} else if (strcmp(key, "native") == 0) {
			k.native = v;
		} else if ((ret = apply_offload(key, v, out, err, errlen)) <= 0) {
			if (ret)
				return ret;
		} else {
			snprintf(err, errlen,
				"unknown setting '%s' (known: mtu, admin, mac_spoofing, vlan_mode, tag, trunks, "
				"native, offloads, csum, lso, rsc)",
				key);
			return -EINVAL;
		}
	}
	return apply_vlan(cur, &k, &out->vlan, err, errlen);
}

int vs_settings_to_json(const struct vs_port_settings *s, json_t *obj, bool all_keys)
{
	char trunks[VSW_VLAN_MAX * 5 + 1] = "";
	bool access = s->vlan.mode == VS_VLAN_ACCESS, trunk = s->vlan.mode == VS_VLAN_TRUNK;
	unsigned int i;
	int ret = 0;

	if (trunk && !s->vlan.all &&
		vsw_vlan_list_format(s->vlan.trunks, trunks, sizeof(trunks)) < 0)
		return -ENOSPC;
	ret |= json_object_set_new(obj, "mtu", json_integer(s->mtu));
	/* the config file keeps its old form for ports that are up */
	if (s->admin_down || all_keys)
		ret |= json_object_set_new(obj, "admin", json_string(s->admin_down ? "down" : "up"));
	if (s->mac_spoofing || all_keys)
		ret |= json_object_set_new(obj, "mac_spoofing",
			json_string(s->mac_spoofing ? "on" : "off"));
	ret |= json_object_set_new(obj, "vlan_mode",
		json_string(vs_vlan_mode_name((enum vs_vlan_mode)s->vlan.mode)));
	/* the config file holds only the keys its mode accepts back */
	if (access || all_keys)
		ret |= json_object_set_new(obj, "tag", json_integer(access ? s->vlan.vlan : 0));
	if (trunk || all_keys) {
		ret |= json_object_set_new(obj, "trunks", json_string(trunks));
		ret |= json_object_set_new(obj, "native", json_integer(trunk ? s->vlan.vlan : 0));
	}
	/* the config file names only forbidden offloads (on is the default) */
	for (i = 0; i < sizeof(offload_keys) / sizeof(offload_keys[0]); i++) {
		bool off = s->offloads_off & offload_keys[i].bit;

		if (off || all_keys)
			ret |= json_object_set_new(obj, offload_keys[i].key,
				json_string(off ? "off" : "on"));
	}
	return ret ? -ENOMEM : 0;
}
