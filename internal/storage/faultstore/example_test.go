package faultstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// The second commit attempt fails; the store is left without it.
func Example() {
	ctx := context.Background()
	inner, err := storage.Open(ctx, "mem://", nil)
	if err != nil {
		panic(err)
	}
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 2})
	defer fs.Close()

	for v := range 3 {
		err := fs.PutIfAbsent(ctx, fmt.Sprintf("_delta_log/%020d.json", v), []byte("{}\n"))
		fmt.Printf("commit %d: injected=%v err=%v\n", v, errors.Is(err, faultstore.ErrInjected), err)
	}
	for fi, err := range inner.List(ctx, "_delta_log/") {
		if err != nil {
			panic(err)
		}
		fmt.Println(fi.Path)
	}
	fmt.Println("put-if-absent calls:", fs.Count(faultstore.OpPutIfAbsent))
	// Output:
	// commit 0: injected=false err=<nil>
	// commit 1: injected=true err=faultstore: injected fault on put-if-absent "_delta_log/00000000000000000001.json" (matching op #2)
	// commit 2: injected=false err=<nil>
	// _delta_log/00000000000000000000.json
	// _delta_log/00000000000000000002.json
	// put-if-absent calls: 3
}
