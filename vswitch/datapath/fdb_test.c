/* SPDX-License-Identifier: BSD-3-Clause */
#include "fdb.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <rte_eal.h>

#include "test_eal.h"

#define HZ 1000 /* fake clock: ticks are milliseconds */

static struct vs_fdb_key key(uint8_t last, uint16_t vlan)
{
	struct vs_fdb_key k = {{0x02, 0, 0, 0, 0, last}, vlan};
	return k;
}

static int setup(void **state)
{
	struct vs_fdb *fdb = vs_fdb_create("fdb_test", 1024, NULL);

	if (fdb == NULL)
		return -1;
	*state = fdb;
	return 0;
}

static int teardown(void **state)
{
	vs_fdb_destroy(*state);
	return 0;
}

static void learn_new_mac(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k = key(1, 10);
	struct vs_fdb_entry *e;

	assert_null(vs_fdb_lookup(fdb, &k));
	assert_int_equal(vs_fdb_learn(fdb, &k, 3, 100), 0);
	e = vs_fdb_lookup(fdb, &k);
	assert_non_null(e);
	assert_int_equal(vs_fdb_entry_port(e), 3);
	assert_int_equal(fdb->n_entries, 1);
	assert_int_equal(fdb->stats.learned, 1);
}

static void same_mac_other_vlan_is_another_entry(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key a = key(1, 10), b = key(1, 20);

	assert_int_equal(vs_fdb_learn(fdb, &a, 3, 0), 0);
	assert_int_equal(vs_fdb_learn(fdb, &b, 4, 0), 0);
	assert_int_equal(vs_fdb_entry_port(vs_fdb_lookup(fdb, &a)), 3);
	assert_int_equal(vs_fdb_entry_port(vs_fdb_lookup(fdb, &b)), 4);
}

static void learn_on_new_port_moves_entry(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k = key(1, 0);

	assert_int_equal(vs_fdb_learn(fdb, &k, 1, 0), 0);
	assert_int_equal(vs_fdb_learn(fdb, &k, 1, 5), 2);
	assert_int_equal(vs_fdb_learn(fdb, &k, 2, 6), 1);
	assert_int_equal(vs_fdb_entry_port(vs_fdb_lookup(fdb, &k)), 2);
	assert_int_equal(fdb->n_entries, 1);
	assert_int_equal(fdb->stats.moved, 1);
}

static void ageing_removes_only_stale_entries(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key old = key(1, 0), fresh = key(2, 0);

	assert_int_equal(vs_fdb_learn(fdb, &old, 1, 0), 0);
	assert_int_equal(vs_fdb_learn(fdb, &fresh, 1, 200 * HZ), 0);
	/* not yet older than 300 s */
	assert_int_equal(vs_fdb_age(fdb, 300 * HZ, 300 * HZ), 0);
	assert_int_equal(vs_fdb_age(fdb, 300 * HZ + 1, 300 * HZ), 1);
	assert_null(vs_fdb_lookup(fdb, &old));
	assert_non_null(vs_fdb_lookup(fdb, &fresh));
	assert_int_equal(fdb->stats.aged, 1);
	/* a refresh restarts the clock */
	assert_int_equal(vs_fdb_learn(fdb, &fresh, 1, 450 * HZ), 2);
	assert_int_equal(vs_fdb_age(fdb, 600 * HZ, 300 * HZ), 0);
	assert_int_equal(vs_fdb_age(fdb, 751 * HZ, 300 * HZ), 1);
	assert_int_equal(fdb->n_entries, 0);
}

static void entry_refreshed_in_future_is_not_aged(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k = key(9, 0);

	/* a worker's clock may run slightly ahead of the control thread's */
	assert_int_equal(vs_fdb_learn(fdb, &k, 1, 1000), 0);
	assert_int_equal(vs_fdb_age(fdb, 999, 0), 0);
}

static void flush_by_port_and_vlan(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k;
	uint8_t i;

	for (i = 0; i < 10; i++) {
		k = key(i, i % 2 ? 10 : 20);
		assert_int_equal(vs_fdb_learn(fdb, &k, i % 3, 0), 0);
	}
	assert_int_equal(vs_fdb_flush(fdb, 10, -1), 5);
	assert_int_equal(fdb->n_entries, 5);
	/* remaining: i = 0,2,4,6,8 on ports 0,2,1,0,2 */
	assert_int_equal(vs_fdb_flush(fdb, -1, 2), 2);
	assert_int_equal(vs_fdb_flush(fdb, 99, -1), 0);
	assert_int_equal(vs_fdb_flush(fdb, -1, -1), 3);
	assert_int_equal(fdb->n_entries, 0);
}

static void full_table_refuses_and_recovers(void **state)
{
	struct vs_fdb *fdb = vs_fdb_create("fdb_small", 64, NULL);
	struct vs_fdb_key k;
	unsigned int i, n = 0;
	int ret = 0;

	assert_non_null(fdb);
	for (i = 0; i < 200 && ret != -ENOSPC; i++) {
		k = key((uint8_t)i, 1);
		ret = vs_fdb_learn(fdb, &k, 1, 0);
		if (ret == 0)
			n++;
	}
	assert_int_equal(ret, -ENOSPC);
	assert_true(n <= 64);
	assert_true(n >= 32); /* the cuckoo table fills most of its slots first */
	assert_int_equal(fdb->stats.full, 1);
	/* everything learned is still there */
	k = key(0, 1);
	assert_non_null(vs_fdb_lookup(fdb, &k));
	/* ageing frees room for new MACs */
	assert_int_equal(vs_fdb_age(fdb, 10, 5), n);
	k = key(250, 1);
	assert_int_equal(vs_fdb_learn(fdb, &k, 1, 11), 0);
	vs_fdb_destroy(fdb);
}

static int count_vlan7(const struct vs_fdb_entry *e, void *arg)
{
	(*(unsigned int *)arg)++;
	return e->key.vlan == 7 ? 0 : -1;
}

static void walk_sees_every_entry(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k;
	unsigned int count = 0;
	uint8_t i;

	for (i = 0; i < 5; i++) {
		k = key(i, 7);
		vs_fdb_learn(fdb, &k, 2, 0);
	}
	assert_int_equal(vs_fdb_walk(fdb, count_vlan7, &count), 0);
	assert_int_equal(count, 5);
}

static struct vs_fdb_cache cache; /* 16 KiB: keep it off the stack */

static void cache_hit_after_put_and_cleared_by_delete(void **state)
{
	struct vs_fdb *fdb = *state;
	struct vs_fdb_key k = key(7, 10), other = key(8, 10);
	struct vs_fdb_entry *e;
	uint32_t idx;

	memset(&cache, 0, sizeof(cache));
	vs_fdb_cache_sync(&cache, fdb);
	assert_int_equal(vs_fdb_learn(fdb, &k, 2, 0), 0);
	assert_int_equal(vs_fdb_learn(fdb, &other, 3, 0), 0);
	assert_null(vs_fdb_cache_lookup(&cache, fdb, vs_fdb_key_word(&k)));
	e = vs_fdb_lookup(fdb, &k);
	idx = (uint32_t)(e - fdb->entries);
	vs_fdb_cache_put(&cache, vs_fdb_key_word(&k), idx);
	assert_ptr_equal(vs_fdb_cache_lookup(&cache, fdb, vs_fdb_key_word(&k)), e);
	/* a learn that adds a key leaves cached indexes valid */
	vs_fdb_cache_sync(&cache, fdb);
	assert_ptr_equal(vs_fdb_cache_lookup(&cache, fdb, vs_fdb_key_word(&k)), e);
	/* a delete of any key invalidates the cache at the next sync */
	assert_int_equal(vs_fdb_flush(fdb, -1, 3), 1);
	assert_ptr_equal(vs_fdb_cache_lookup(&cache, fdb, vs_fdb_key_word(&k)), e);
	vs_fdb_cache_sync(&cache, fdb);
	assert_null(vs_fdb_cache_lookup(&cache, fdb, vs_fdb_key_word(&k)));
	/* an empty slot never matches the all-zero key */
	assert_null(vs_fdb_cache_lookup(&cache, fdb, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(learn_new_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(same_mac_other_vlan_is_another_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(learn_on_new_port_moves_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(ageing_removes_only_stale_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(entry_refreshed_in_future_is_not_aged, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_by_port_and_vlan, setup, teardown),
		cmocka_unit_test(full_table_refuses_and_recovers),
		cmocka_unit_test_setup_teardown(walk_sees_every_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(cache_hit_after_put_and_cleared_by_delete, setup,
			teardown),
	};

	if (vsw_test_eal_init("fdb_test") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
