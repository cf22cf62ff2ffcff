/*
 * The C client's side of `npm run bench`: the same measurements as bench/rpc.bench.ts,
 * made through libvirt's own client library against the same daemon.
 *
 *   libvirt-bench URI MODE COUNT [THREADS]
 *   libvirt-bench URI download|upload BYTES POOL VOLUME
 *
 * MODE: libversion | lookup | concurrent | listall | allstats | openclose; download reads the
 * volume's first BYTES into a sink that discards them, upload sends BYTES of a pattern made in
 * memory (no file on either side, so only the client and the daemon are measured).
 * Prints one JSON object: {"mode":..., "count":..., "wall_ns":..., "cpu_ns":...}.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *uri;
static virConnectPtr shared;
static long per_thread;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long cpu_ns(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return ((long long)u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000LL +
         ((long long)u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000LL;
}

static void die(const char *what) {
  virErrorPtr e = virGetLastError();
  fprintf(stderr, "libvirt-bench: %s failed: %s\n", what, e && e->message ? e->message : "?");
  exit(1);
}

static void one_call(virConnectPtr c, const char *mode) {
  if (strcmp(mode, "libversion") == 0 || strcmp(mode, "concurrent") == 0) {
    unsigned long v;
    if (virConnectGetLibVersion(c, &v) < 0) die("virConnectGetLibVersion");
  } else if (strcmp(mode, "lookup") == 0) {
    virDomainPtr d = virDomainLookupByName(c, "test");
    if (!d) die("virDomainLookupByName");
    virDomainFree(d);
  } else if (strcmp(mode, "listall") == 0) {
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(c, &doms, 0);
    if (n < 0) die("virConnectListAllDomains");
    for (int i = 0; i < n; i++) virDomainFree(doms[i]);
    free(doms);
  } else if (strcmp(mode, "allstats") == 0) {
    virDomainStatsRecordPtr *recs = NULL;
    int n = virConnectGetAllDomainStats(c, 0, &recs, 0);
    if (n < 0) die("virConnectGetAllDomainStats");
    virDomainStatsRecordListFree(recs);
  } else {
    fprintf(stderr, "libvirt-bench: unknown mode %s\n", mode);
    exit(2);
  }
}

static int discard(virStreamPtr st, const char *data, size_t n, void *opaque) {
  (void)st, (void)data, (void)opaque;
  return (int)n;
}

static long long remaining;

static int pattern(virStreamPtr st, char *data, size_t n, void *opaque) {
  (void)st, (void)opaque;
  if ((long long)n > remaining) n = (size_t)remaining;
  memset(data, 0x5a, n);
  remaining -= (long long)n;
  return (int)n;
}

/** One volume transfer of `bytes` through a stream, memory to memory. */
static void transfer(virConnectPtr c, const char *mode, long long bytes, const char *pool_name, const char *vol_name) {
  virStoragePoolPtr pool = virStoragePoolLookupByName(c, pool_name);
  if (!pool) die("virStoragePoolLookupByName");
  virStorageVolPtr vol = virStorageVolLookupByName(pool, vol_name);
  if (!vol) die("virStorageVolLookupByName");
  virStreamPtr st = virStreamNew(c, 0);
  if (strcmp(mode, "download") == 0) {
    if (virStorageVolDownload(vol, st, 0, (unsigned long long)bytes, 0) < 0) die("virStorageVolDownload");
    if (virStreamRecvAll(st, discard, NULL) < 0) die("virStreamRecvAll");
  } else {
    remaining = bytes;
    if (virStorageVolUpload(vol, st, 0, (unsigned long long)bytes, 0) < 0) die("virStorageVolUpload");
    if (virStreamSendAll(st, pattern, NULL) < 0) die("virStreamSendAll");
  }
  if (virStreamFinish(st) < 0) die("virStreamFinish");
  virStreamFree(st);
  virStorageVolFree(vol);
  virStoragePoolFree(pool);
}

static void *worker(void *arg) {
  for (long i = 0; i < per_thread; i++) one_call(shared, (const char *)arg);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: libvirt-bench URI MODE COUNT [THREADS]\n");
    return 2;
  }
  uri = argv[1];
  const char *mode = argv[2];
  long count = atol(argv[3]);
  int threads = argc > 4 ? atoi(argv[4]) : 8;
  long long w0, c0;

  if (strcmp(mode, "download") == 0 || strcmp(mode, "upload") == 0) {
    if (argc < 6) {
      fprintf(stderr, "usage: libvirt-bench URI download|upload BYTES POOL VOLUME\n");
      return 2;
    }
    shared = virConnectOpen(uri);
    if (!shared) die("virConnectOpen");
    w0 = now_ns();
    c0 = cpu_ns();
    transfer(shared, mode, atoll(argv[3]), argv[4], argv[5]);
    count = 1;
  } else if (strcmp(mode, "openclose") == 0) {
    w0 = now_ns();
    c0 = cpu_ns();
    for (long i = 0; i < count; i++) {
      virConnectPtr c = virConnectOpen(uri);
      if (!c) die("virConnectOpen");
      virConnectClose(c);
    }
  } else {
    shared = virConnectOpen(uri);
    if (!shared) die("virConnectOpen");
    one_call(shared, mode); /* warm-up */
    w0 = now_ns();
    c0 = cpu_ns();
    if (strcmp(mode, "concurrent") == 0) {
      pthread_t t[64];
      per_thread = count / threads;
      for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)mode);
      for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
      count = per_thread * threads;
    } else {
      for (long i = 0; i < count; i++) one_call(shared, mode);
    }
  }
  long long wall = now_ns() - w0, cpu = cpu_ns() - c0;
  printf("{\"mode\":\"%s\",\"count\":%ld,\"wall_ns\":%lld,\"cpu_ns\":%lld}\n", mode, count, wall, cpu);
  if (shared) virConnectClose(shared);
  return 0;
}
