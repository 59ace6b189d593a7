package delta_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lakehouse-go/lakehouse/delta"
)

// SetDomainMetadata keeps an application's own state in the log, committed
// with the rows it describes: here an ingestion watermark.
func ExampleTransaction_SetDomainMetadata() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	rr := orders([]int64{4}, []string{"Lima"}, []float64{40})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetDomainMetadata("com.example.ingest", `{"watermark":"2026-12-04T10:00:00Z"}`); err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, snap.DomainMetadata()["com.example.ingest"].Configuration)
	fmt.Println("domainMetadata feature:", snap.Protocol().SupportsFeature("domainMetadata"))
	// Output:
	// version 4 {"watermark":"2026-12-04T10:00:00Z"}
	// domainMetadata feature: true
}

// RemoveDomainMetadata drops a domain; Delta's own domains ("delta.…")
// cannot be written by applications.
func ExampleTransaction_RemoveDomainMetadata() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	set := func(change func(*delta.Transaction) error) error {
		txn, err := tbl.Begin(ctx, nil)
		if err != nil {
			return err
		}
		defer txn.Rollback()
		if err := change(txn); err != nil {
			return err
		}
		_, err = txn.Commit(ctx)
		return err
	}
	if err := set(func(x *delta.Transaction) error { return x.SetDomainMetadata("com.example.ingest", "{}") }); err != nil {
		log.Fatal(err)
	}
	if err := set(func(x *delta.Transaction) error { return x.RemoveDomainMetadata("com.example.ingest") }); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("domains:", len(snap.DomainMetadata()))
	fmt.Println(set(func(x *delta.Transaction) error { return x.SetDomainMetadata("delta.clustering", "{}") }))
	// Output:
	// domains: 0
	// delta: invalid argument: domain "delta.clustering" is system-controlled (names starting with "delta." are Delta's own)
}
