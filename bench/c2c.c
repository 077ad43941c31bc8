/* Core-to-core cache-line round trip estimate.
 *
 * Two threads, pinned to two CPUs, bounce one counter in a single cache line:
 * the "ping" thread writes an odd value and waits for the "pong" thread to answer
 * with the next even value. Each round trip moves the line to the other core and
 * back, so the time per iteration is roughly two cache-line transfers.
 *
 * Usage: c2c [CPU_A CPU_B [ITERATIONS [TRIALS]]]   (defaults: 0 1 200000 7)
 * Prints one JSON object: the median and the best round trip in nanoseconds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct shared {
	_Alignas(64) _Atomic uint64_t seq;
	char pad[64 - sizeof(uint64_t)];
	_Alignas(64) _Atomic int stop;
};

static struct shared sh;
static long iterations;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *pong(void *arg)
{
	uint64_t want = 1;

	if (pin(*(int *)arg) != 0) {
		fprintf(stderr, "c2c: cannot pin pong thread\n");
		exit(1);
	}
	for (;;) {
		uint64_t v;

		while ((v = atomic_load_explicit(&sh.seq, memory_order_acquire)) != want) {
			if (atomic_load_explicit(&sh.stop, memory_order_relaxed))
				return NULL;
		}
		atomic_store_explicit(&sh.seq, v + 1, memory_order_release);
		want = v + 2;
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int cpu_a = argc > 1 ? atoi(argv[1]) : 0;
	int cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	int trials = argc > 4 ? atoi(argv[4]) : 7;
	double res[64];
	pthread_t t;

	iterations = argc > 3 ? atol(argv[3]) : 200000;
	if (trials < 1 || trials > 64 || iterations < 1) {
		fprintf(stderr, "c2c: bad arguments\n");
		return 2;
	}
	if (pin(cpu_a) != 0) {
		fprintf(stderr, "c2c: cannot pin to CPU %d\n", cpu_a);
		return 1;
	}
	if (pthread_create(&t, NULL, pong, &cpu_b) != 0) {
		fprintf(stderr, "c2c: pthread_create failed\n");
		return 1;
	}

	uint64_t v = 0;
	for (int k = 0; k < trials; k++) {
		double t0 = now_ns();

		for (long i = 0; i < iterations; i++) {
			atomic_store_explicit(&sh.seq, v + 1, memory_order_release);
			while (atomic_load_explicit(&sh.seq, memory_order_acquire) != v + 2)
				;
			v += 2;
		}
		res[k] = (now_ns() - t0) / iterations;
	}
	atomic_store(&sh.stop, 1);
	pthread_join(t, NULL);

	qsort(res, trials, sizeof(res[0]), cmp_double);
	printf("{\"type\":\"c2c\",\"cpus\":[%d,%d],\"iterations\":%ld,\"trials\":%d,"
	       "\"round_trip_ns_median\":%.1f,\"round_trip_ns_min\":%.1f}\n",
	       cpu_a, cpu_b, iterations, trials, res[trials / 2], res[0]);
	return 0;
}
