// Package faultstore wraps a storage.Store and fails chosen operations on
// purpose, for testing that the write path survives storage faults (in the
// spirit of pebble's vfs/errorfs).
//
// A Plan names the kinds of operation to watch and which one of them to
// fail:
//
//	// The third put-if-absent (e.g. the third commit attempt) fails;
//	// nothing is written.
//	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 3})
//
//	// Every Put or Writer.Close under "part-" fails from the first on.
//	fs := faultstore.New(inner, faultstore.Plan{
//		FailOn: faultstore.OpPut | faultstore.OpCommit, N: 1, Repeat: true, PathPrefix: "part-",
//	})
//
//	// The commit lands but its acknowledgement is lost: the object is
//	// written, then the caller sees an error ("commit state unknown").
//	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 1, AfterEffect: true})
//
// Other misbehaviours of object stores: Err: context.DeadlineExceeded is
// a timeout; ExistsAfterEffect answers a landed PutIfAbsent with
// storage.ErrExist, as a transport retry of it would; Slow delays matched
// calls (honouring ctx); StaleList hides the newest entries of listings,
// as an eventually consistent listing does.
//
// Injected errors match ErrInjected (errors.Is) and are *Fault values
// (errors.As) that say which operation failed. They never match
// storage.ErrExist or storage.ErrNotExist, so code under test cannot mistake
// a fault for a lost race or a missing object.
//
// Operations are counted per kind whether or not they fail (Count), so a
// test can also assert how many requests a code path makes. A Store is safe
// for concurrent use; with concurrent callers, which call is "the N-th" is
// decided by arrival order.
package faultstore
