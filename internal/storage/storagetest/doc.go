// Package storagetest is the conformance suite for storage.Store
// implementations, in the spirit of testing/fstest and gocloud's
// drivertest: every backend runs the same checks of the contract S1–S5
// (sorted listing, atomic put-if-absent, not-found mapping, idempotent
// delete, no partial objects) plus ranged reads, streaming writes and path
// validation.
//
// A backend's test calls
//
//	storagetest.Run(t, func(t *testing.T) storage.Store { return newEmptyStore(t) })
//
// newStore is called once per subtest and must return an empty store that
// no other subtest uses (a fresh temp dir, bucket or key prefix). The suite
// closes each store when its subtest ends.
package storagetest
