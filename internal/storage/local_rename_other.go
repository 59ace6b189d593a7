//go:build !linux

package storage

import (
	"errors"
	"os"
)

// renameNoReplace has no atomic implementation off Linux.
func renameNoReplace(tmp, final string) error {
	return &os.LinkError{Op: "rename-no-replace", Old: tmp, New: final, Err: errors.ErrUnsupported}
}
