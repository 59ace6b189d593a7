package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Two writers race for the same commit; the second loses with ErrExist.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lakehouse-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	store, err := storage.Open(ctx, dir, nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()

	commit := "_delta_log/00000000000000000000.json"
	fmt.Println("first:", store.PutIfAbsent(ctx, commit, []byte(`{"commitInfo":{}}`+"\n")))
	err = store.PutIfAbsent(ctx, commit, []byte(`{"commitInfo":{"other":true}}`+"\n"))
	fmt.Println("second lost:", errors.Is(err, storage.ErrExist))

	_, err = store.Get(ctx, "_delta_log/00000000000000000001.json")
	fmt.Println("next version missing:", storage.IsNotExist(err))
	// Output:
	// first: <nil>
	// second lost: true
	// next version missing: true
}

// Listing with a partial file name as prefix finds versions 10 to 19 in
// order.
func ExampleStore_List() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "mem://", nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	for _, v := range []int{12, 3, 10, 25, 19} {
		if err := store.Put(ctx, fmt.Sprintf("_delta_log/%020d.json", v), []byte("{}\n")); err != nil {
			panic(err)
		}
	}
	for fi, err := range store.List(ctx, "_delta_log/0000000000000000001") {
		if err != nil {
			panic(err)
		}
		fmt.Println(fi.Path, fi.Size)
	}
	// Output:
	// _delta_log/00000000000000000010.json 3
	// _delta_log/00000000000000000012.json 3
	// _delta_log/00000000000000000019.json 3
}

// A large object is streamed with Create and read back at random offsets.
func ExampleStore_Create() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "mem://label/warehouse/events", nil)
	if err != nil {
		panic(err)
	}
	defer store.Close()

	w, err := store.Create(ctx, "part-00000.parquet")
	if err != nil {
		panic(err)
	}
	defer w.Abort() // a no-op once Close succeeded
	for _, chunk := range []string{"PAR1", "....column data....", "footer", "PAR1"} {
		if _, err := io.WriteString(w, chunk); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := store.Open(ctx, "part-00000.parquet")
	if err != nil {
		panic(err)
	}
	defer r.Close()
	magic := make([]byte, 4)
	if _, err := r.ReadAt(magic, r.Size()-4); err != nil {
		panic(err)
	}
	fmt.Println(r.Size(), string(magic))
	// Output:
	// 33 PAR1
}
