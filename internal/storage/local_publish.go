package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// publishNoReplace gives the complete temporary file tmp the name final
// only if final does not exist, atomically; fs.ErrExist means it did.
//
// link(2) is the portable way. Some file systems refuse hard links (FAT,
// several FUSE and network mounts, some container bind mounts); there,
// Linux's renameat2(RENAME_NOREPLACE) is the other atomic primitive. With
// neither, put-if-absent cannot be made atomic and the error says so
// instead of silently degrading to check-then-write.
func (s *localStore) publishNoReplace(tmp, final string) error {
	err := s.link(tmp, final)
	if err == nil || errors.Is(err, fs.ErrExist) || !linkUnsupported(err) {
		return err
	}
	rerr := renameNoReplace(tmp, final)
	if rerr == nil || errors.Is(rerr, fs.ErrExist) {
		return rerr
	}
	return fmt.Errorf("the file system supports neither hard links (%v) nor rename-without-replace (%v), so put-if-absent cannot be atomic here: %w",
		err, rerr, errors.ErrUnsupported)
}

// linkUnsupported reports a link(2) failure that means "not on this file
// system" rather than a real error.
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) ||
		errors.Is(err, errors.ErrUnsupported)
}
