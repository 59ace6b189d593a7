package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames tmp to final unless final exists (EEXIST, which
// matches fs.ErrExist).
func renameNoReplace(tmp, final string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, final, unix.RENAME_NOREPLACE)
	if err != nil {
		return &os.LinkError{Op: "renameat2", Old: tmp, New: final, Err: err}
	}
	return nil
}
