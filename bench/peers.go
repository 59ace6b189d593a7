package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/bench/internal/compactwork"
	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

//go:embed peers.py
var peersScript []byte

// errPeerMissing is a peer engine that cannot run here; under CI=true
// the harness fails with it rather than leaving the engine out.
var errPeerMissing = errors.New("bench: peer engine missing")

// peers runs children: the Go engines by re-executing the harness, the
// Python ones through peers.py.
type peers struct {
	script  string            // peers.py, written under the cache dir
	python  map[string]string // engine → interpreter
	absent  map[string]string // engine → why it cannot run
	selfCmd []string
}

// newPeers checks which Python engines can run. A missing one is left
// out of the report with the reason, except under CI=true, where it is an
// error.
func newPeers(cfg config) (*peers, error) {
	p := &peers{python: map[string]string{}, absent: map[string]string{}, selfCmd: cfg.Self,
		script: filepath.Join(cfg.Dir, "peers.py")}
	if err := os.WriteFile(p.script, peersScript, 0o644); err != nil {
		return nil, err
	}
	for _, c := range []struct{ engine, python, module, setup string }{
		{engDeltaRS, cfg.Python, "deltalake", ".ci/setup.d/interop.sh"},
		{engDuckDB, cfg.DuckDBPython, "duckdb", ".ci/setup.d/duckdb.sh"},
	} {
		err := exec.Command(c.python, "-c", "import "+c.module).Run()
		if err == nil {
			p.python[c.engine] = c.python
			continue
		}
		why := fmt.Sprintf("not run: %s cannot import %s (%v; see %s)", c.python, c.module, err, c.setup)
		if prereq.InCI() {
			return nil, fmt.Errorf("%w: %s", errPeerMissing, why)
		}
		p.absent[c.engine] = why
	}
	return p, nil
}

// missing says why engine e cannot run, or "" when it can.
func (p *peers) missing(e string) string { return p.absent[e] }

// run runs one measurement in a child process and returns its sample.
func (p *peers) run(ctx context.Context, cfg config, spec childSpec) (sample, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return sample{}, err
	}
	var cmd *exec.Cmd
	py, ok := p.python[spec.Engine]
	switch {
	case ok && spec.Kind == kindDML:
		return p.runDML(ctx, py, spec)
	case ok && spec.Kind == kindCompact:
		return p.runCompact(ctx, py, spec)
	case ok:
		cmd = exec.CommandContext(ctx, py, p.script, string(js))
	default:
		cmd = exec.CommandContext(ctx, p.selfCmd[0], p.selfCmd[1:]...)
		cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("child: %w: %s", err, lastLines(stderr.String(), 5))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var smp sample
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &smp); err != nil {
		return sample{}, fmt.Errorf("child printed %q: %w", lastLines(stdout.String(), 3), err)
	}
	return smp, nil
}

// runDML runs bench/dml's delta-rs script on a DML workload.
func (p *peers) runDML(ctx context.Context, python string, spec childSpec) (sample, error) {
	w := dmlWorkload(sizes{DMLRows: spec.Rows}, spec.DML)
	js, err := json.Marshal(map[string]any{"where": w.Where, "set": w.Set, "on": w.On})
	if err != nil {
		return sample{}, err
	}
	cmd := exec.CommandContext(ctx, python, "-c", dmlwork.DeltaRSScript, w.Op, spec.Table, string(js),
		strconv.FormatInt(spec.Rows, 10), strconv.FormatInt(spec.Upserts, 10))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("child: %w: %s", err, lastLines(stderr.String(), 5))
	}
	var res struct {
		Ms      float64          `json:"ms"`
		PeakRSS int64            `json:"peak_rss"`
		Counts  map[string]int64 `json:"counts"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		return sample{}, fmt.Errorf("child printed %q: %w", lastLines(stdout.String(), 3), err)
	}
	return sample{Ms: res.Ms, PeakRSS: res.PeakRSS, Rows: res.Counts["deleted"] + res.Counts["updated"] + res.Counts["inserted"]}, nil
}

// runCompact runs bench/optimize's delta-rs compaction script.
func (p *peers) runCompact(ctx context.Context, python string, spec childSpec) (sample, error) {
	cmd := exec.CommandContext(ctx, python, "-c", compactwork.DeltaRSScript, spec.Table, strconv.FormatInt(spec.Target, 10))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("child: %w: %s", err, lastLines(stderr.String(), 5))
	}
	var res struct {
		Ms      float64 `json:"ms"`
		Removed int64   `json:"removed"`
		RSSKB   int64   `json:"rss_kb"`
	}
	if err := json.Unmarshal([]byte(lastLines(stdout.String(), 1)), &res); err != nil {
		return sample{}, fmt.Errorf("child printed %q: %w", lastLines(stdout.String(), 3), err)
	}
	return sample{Ms: res.Ms, PeakRSS: res.RSSKB << 10, Rows: res.Removed}, nil
}

// pprofTop is `go tool pprof -top` of a profile, cut to its top 10; a
// note instead when the go tool cannot read it.
func pprofTop(ctx context.Context, binary, profile string) string {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=10", binary, profile).Output()
	if err != nil {
		return fmt.Sprintf("(no profile: go tool pprof: %v)", err)
	}
	return topProfile(string(out), 10)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
