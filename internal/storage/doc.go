// Package storage is the object-store boundary of lakehouse: every byte a
// table reads or writes goes through a [Store]. Paths are slash-separated and
// relative to the table root ("_delta_log/00000000000000000000.json",
// "part=1/part-00000-….parquet").
//
// # Contract
//
// The contract mirrors what the Delta protocol needs from storage:
//
//   - S1: List returns entries sorted by full path in UTF-8 byte order.
//   - S2: PutIfAbsent is atomic: of any number of concurrent callers for one
//     path, exactly one succeeds and the others get an error matching
//     ErrExist. The loser's bytes are never visible.
//   - S3: a missing object gives an error matching ErrNotExist
//     (errors.Is(err, fs.ErrNotExist) also holds).
//   - S4: Delete is idempotent: deleting a missing object is not an error.
//   - S5: readers never observe a partially written object.
//
// A Delta commit is exactly S2 applied to "_delta_log/%020d.json"; S1 with
// Delta's zero-padded names makes a listing come out in version order.
// Package storagetest checks all five rules (and more) against any Store.
//
// # Paths
//
// A path is valid when [io/fs.ValidPath] accepts it and it is not "." —
// no leading or trailing slash, no empty, "." or ".." elements. Anything else
// fails with an error matching [ErrInvalidPath]. List prefixes follow the
// same rule but may end in "/" and may stop in the middle of a name
// ("_delta_log/0000000000000000001" lists versions 10–19).
//
// # Backends
//
// [Open] picks the backend from a URL:
//
//   - a plain path ("/data/t1", "./t1") or "file:///data/t1": the local
//     disk store. PutIfAbsent writes a temporary file in the target
//     directory, fsyncs it and hard-links it into place (on file systems
//     that refuse hard links, Linux's rename with RENAME_NOREPLACE), so the
//     kernel decides the race (gocloud's fileblob checks-then-renames and lets two
//     writers both win). Put and Create write a temporary file and rename
//     it. Temporary files are named ".lakehouse-tmp-*" and never listed;
//     a crash can leave one behind, and such names are reserved
//     ([TempFiles] finds and removes leftovers, for VACUUM). Delete
//     leaves emptied directories in place (as Spark does); they are not
//     objects and never listed.
//   - "mem://": a fresh in-memory gocloud memblob bucket per Open call, so
//     two Opens of "mem://t1" are independent stores. The host is only a
//     label; a path after it becomes a key prefix. To share one in-memory
//     bucket, open it yourself and pass it to [NewBlobStore].
//   - any other scheme ("s3://bucket/warehouse/t1", "gs://…", "azblob://…"):
//     gocloud's [blob.URLMux]. The scheme, host (the bucket) and query go to
//     the mux; the URL path becomes a key prefix, so
//     "s3://bucket/warehouse/t1" stores "_delta_log/…" under
//     "warehouse/t1/_delta_log/…". The application registers the driver with
//     a blank import (import _ "gocloud.dev/blob/s3blob"); this package
//     imports none of the cloud drivers.
//
// On blob stores PutIfAbsent is gocloud's IfNotExist write (S3
// "If-None-Match: *", GCS ifGenerationMatch=0, Azure "If-None-Match: *",
// memblob under its mutex), sent through [blob.Bucket.Upload]: gocloud
// v0.47.0's azureblob writer panics when a conditional Write/Close loses, and
// the Upload path does not. Each driver call is still guarded by recover so a
// driver panic becomes an error.
//
// # Reading
//
// [Store.Open] returns a [ReaderAt]. On disk it is the *os.File. On blob
// stores every ReadAt is one ranged request, except that the first read
// touching the last [OpenOptions.TailCacheSize] bytes (64 KiB by default)
// fetches that whole tail once and keeps it: a Parquet reader's two footer
// reads (length+magic, then the footer) cost one request. The context given
// to Open governs every read made through the returned reader.
package storage
