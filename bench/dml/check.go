package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
)

// stats of one engine on one workload.
type stats struct {
	msMed, msMin, msMax    float64
	rssMed, rssMin, rssMax int64
}

func summarize(ms []measurement) stats {
	ts := make([]float64, len(ms))
	rs := make([]int64, len(ms))
	for i, m := range ms {
		ts[i], rs[i] = m.ms, m.rss
	}
	slices.Sort(ts)
	slices.Sort(rs)
	return stats{
		msMed: medianF(ts), msMin: ts[0], msMax: ts[len(ts)-1],
		rssMed: int64(medianF(int64s(rs))), rssMin: rs[0], rssMax: rs[len(rs)-1],
	}
}

func int64s(v []int64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func medianF(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// report prints the markdown table BENCHMARKS.md records.
func report(w io.Writer, rows, upserts int64, runs int, engines []engine, ws []dmlwork.Workload,
	results map[string]map[string][]measurement, idle map[string]measurement, load0, load1 string) {
	fmt.Fprintf(w, "%d rows, %d-row MERGE source; medians of %d runs (min–max); load average %s at start, %s at end", rows, upserts, runs, load0, load1)
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| workload | engine | time | peak RSS | time / delta-rs | peak RSS / delta-rs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, wl := range ws {
		base, haveBase := results[wl.Name]["delta-rs"]
		var b stats
		if haveBase {
			b = summarize(base)
		}
		for _, e := range engines {
			s := summarize(results[wl.Name][e.name])
			tr, rr := "—", "—"
			if haveBase && e.name != "delta-rs" {
				tr = fmt.Sprintf("**%.2f**", s.msMed/b.msMed)
				rr = fmt.Sprintf("**%.2f**", float64(s.rssMed)/float64(b.rssMed))
			}
			fmt.Fprintf(w, "| %s | %s | %s ms (%s–%s) | %.0f MiB (%.0f–%.0f) | %s | %s |\n",
				wl.What, e.label, num(s.msMed), num(s.msMin), num(s.msMax),
				mib(s.rssMed), mib(s.rssMin), mib(s.rssMax), tr, rr)
		}
	}
	fmt.Fprintln(w)
	var parts []string
	for _, e := range engines {
		parts = append(parts, fmt.Sprintf("%s %.0f MiB", e.name, mib(idle[e.name].rss)))
	}
	fmt.Fprintf(w, "Peak RSS of a child that starts and exits without work: %s.\n", strings.Join(parts, ", "))
}

// num formats milliseconds with thousands separators.
func num(ms float64) string {
	s := fmt.Sprintf("%.0f", ms)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
