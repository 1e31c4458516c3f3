#!/usr/bin/env bash
# Reruns the cluster benchmarks of docs/BENCHMARKS.md ("Cluster") and prints
# their RESULT lines: acks=all produce throughput, RF=3 on three nodes against
# RF=1 on one node (100 B and 1 KiB records, medians of REPS runs); the time
# from a partition leader's SIGKILL and SIGTERM to the producer's next
# acknowledgement (p50/p99 over KILLS of each); the time a follower down for
# DOWN under load takes to rejoin the ISR after its restart.
#
#   scripts/cluster-bench.sh                    # REPS=3 KILLS=10 DOWN=20s
#   REPS=5 DOWN=20s scripts/cluster-bench.sh
#
# Every node is a gregor process on loopback, built from this checkout by the
# test (test/e2e/cluster_bench_test.go). The follower test produces 50 MB/s
# for DOWN to three data directories under $TMPDIR: about 3 GB for 20 s,
# 9 GB for DOWN=60s; mind the free space.
set -euo pipefail
cd "$(dirname "$0")/.."
export GREGOR_CLUSTER_BENCH=1 REPS=${REPS:-3} KILLS=${KILLS:-10} DOWN=${DOWN:-20s}
go test -count=1 -timeout 60m -run 'TestClusterBench' -v ./test/e2e | tee /dev/stderr | grep RESULT
