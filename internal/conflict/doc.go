// Package conflict decides whether a transaction that lost the race for a
// commit version can be rebased onto the commits that won it.
//
// It implements Delta's optimistic-concurrency rules as pure functions over
// log actions: no I/O, no clock. The caller (package delta) describes what
// its transaction read and what it is about to write (a [Txn]), reads the
// winning commits, and calls [Check] for each one in version order. A nil
// result means the transaction can be retried at the next version; a
// [*Conflict] says why it cannot.
//
// The rules, in the order they are checked:
//
//  1. A winner that changed the protocol conflicts with every transaction.
//  2. A winner that changed the metadata (schema, partitioning, properties)
//     conflicts with every transaction.
//  3. Files the winner added conflict when they match what the transaction
//     read. Under WriteSerializable, files added by a blind append are
//     exempt (the transaction serialises before the append); under
//     Serializable every data-changing add counts.
//  4. A file the winner removed conflicts when the transaction read it
//     (by name, by matching a read predicate, or because it read the whole
//     table).
//  5. A file both the winner and the transaction remove conflicts.
//  6. A winner that recorded a txn action for an application id the
//     transaction also uses conflicts (idempotent writers must re-check).
//  7. A winner that changed a metadata domain the transaction also changes
//     conflicts.
//
// Invariant I1: a transaction that read nothing and removes nothing (a blind
// append) conflicts only through rules 1, 2, 6 and 7.
package conflict
