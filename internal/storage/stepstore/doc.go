// Package stepstore wraps a storage.Store and calls a function before each
// storage step, so crash tests can stop a write path at every point where
// storage sees it: the crash matrices of delta, optimize and stream kill
// their child process from that function.
//
// A step is every Store call, and for a streamed object its creation and
// close (and, with Options.FirstWrite, its first write).
package stepstore
