// Package interop is the interop suite's Go side: it drives real Delta peers
// (delta-rs through the Python deltalake package, Apache Spark with
// delta-spark) and the lakehouse CLI side by side, and compares what each one
// reads from tables the others wrote.
//
// The peers run as long-lived Python subprocesses speaking JSON lines (see
// interop/peers/serve.py); every engine prints rows in the canonical JSON-lines
// form of `lakehouse cat --format jsonl`, and this package compares those rows
// after a light normalisation (sorted keys, floats by value).
//
// The suite itself lives in tests behind the build tag "interop" so that a
// plain `go test ./...` never starts a JVM:
//
//	make interop            # or: bash scripts/interop.sh
//
// Each case records pass, fail or skip (with the reason) per writer→reader
// pair into interop/out/results.jsonl, from which the suite regenerates
// INTEROP.md at the repository root. What a result does to the Go test is
// Judge's decision: a skip (a peer, the CLI build or `lakehouse write`
// missing) is only logged locally but fails the run under CI=true.
package interop
