package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// The generator writes the raw transaction files one "arrival" at a time:
// arrival b holds filesPerArrival JSON-lines files of rowsPerFile records.
// Which records are bad is a pure function of the record's global index,
// so a test can count the bad rows of each kind without reading the files.
const (
	filesPerArrival = 3
	rowsPerFile     = 200
)

var (
	categories = []string{"groceries", "electronics", "travel", "dining", "utilities"}
	currencies = []string{"USD", "EUR", "GBP"}
	// usdRate converts an amount in a currency to US dollars; silver
	// computes amount_usd with the same table.
	usdRate = map[string]float64{"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
	// firstDay is the date of the earliest transaction.
	firstDay = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// rowKind says what the generator writes for one record.
type rowKind int

const (
	goodRow      rowKind = iota
	malformedRow         // a line cut off mid-record: not JSON
	negativeRow          // amount below zero
	nullDateRow          // transaction_date is null
	badTypeRow           // amount is the string "n/a": rescued, not parsed
)

// kindOf is the kind of record g; the kinds never overlap.
func kindOf(g int) rowKind {
	switch {
	case g%43 == 11:
		return malformedRow
	case g%37 == 5:
		return negativeRow
	case g%41 == 7:
		return nullDateRow
	case g%47 == 13:
		return badTypeRow
	}
	return goodRow
}

// duplicatedInFile reports whether good record g is written twice in a row,
// as a producer that retried a send would.
func duplicatedInFile(g int) bool { return kindOf(g) == goodRow && g%29 == 3 }

// resentFromEarlier returns the index of a good record of the previous
// arrival that record g's file repeats, as a late re-delivery would.
func resentFromEarlier(g int) (int, bool) {
	prev := g - filesPerArrival*rowsPerFile
	if prev < 0 || g%31 != 2 || kindOf(prev) != goodRow {
		return 0, false
	}
	return prev, true
}

// recordLine renders record g as one JSON line (without the newline).
func recordLine(g int) string {
	id := fmt.Sprintf("txn-%07d", g)
	customer := fmt.Sprintf("cust-%03d", g*17%50)
	category := categories[g/10%len(categories)]
	currency := currencies[g*5%len(currencies)]
	day := firstDay.AddDate(0, 0, g*7%10).Format(time.DateOnly)
	cents := g*7919%50000 + 100
	amount := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	date := `"` + day + `"`
	switch kindOf(g) {
	case malformedRow:
		return fmt.Sprintf(`{"transaction_id":"%s","customer_id":"%s","amount":`, id, customer)
	case negativeRow:
		amount = "-" + amount
	case nullDateRow:
		date = "null"
	case badTypeRow:
		amount = `"n/a"`
	}
	return fmt.Sprintf(`{"transaction_id":"%s","customer_id":"%s","amount":%s,"currency":"%s","category":"%s","transaction_date":%s}`,
		id, customer, amount, currency, category, date)
}

// arrivals counts the arrivals already written under rawDir.
func arrivals(rawDir string) (int, error) {
	n := 0
	for {
		_, err := os.Stat(filepath.Join(rawDir, fileName(n, 0)))
		if os.IsNotExist(err) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		n++
	}
}

func fileName(arrival, file int) string {
	return fmt.Sprintf("transactions-%04d-%02d.json", arrival, file)
}

// writeArrival writes the files of arrival b under rawDir. Each file is
// written under a dot-prefixed name and renamed, so that an ingest running
// at the same time never lists a half-written file.
func writeArrival(ctx context.Context, rawDir string, b int) error {
	if err := os.MkdirAll(rawDir, 0o755); err != nil {
		return err
	}
	for f := range filesPerArrival {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.Join(rawDir, fileName(b, f))
		tmp := filepath.Join(rawDir, "."+fileName(b, f)+".tmp")
		if err := writeFile(tmp, func(w io.Writer) error {
			for i := range rowsPerFile {
				g := (b*filesPerArrival+f)*rowsPerFile + i
				lines := []string{recordLine(g)}
				if duplicatedInFile(g) {
					lines = append(lines, recordLine(g))
				}
				if prev, ok := resentFromEarlier(g); ok {
					lines = append(lines, recordLine(prev))
				}
				for _, l := range lines {
					if _, err := io.WriteString(w, l+"\n"); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := os.Rename(tmp, name); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, fill func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
