.PHONY: interop bench

# The interop suite against delta-rs and Spark; regenerates INTEROP.md.
interop:
	bash scripts/interop.sh

# Issue 16's harness: every workload through lakehouse, delta-rs and the
# floor; regenerates BENCHMARKS.md's generated section. BENCHFLAGS passes
# flags, e.g. make bench BENCHFLAGS='-quick -workloads scan-full'.
bench:
	go run ./bench $(BENCHFLAGS)
