//go:build unix

package storage

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock without waiting. flock (not fcntl) locks
// belong to the open file description, so two opens in one process exclude
// each other, and closing an unrelated descriptor does not drop the lock.
func tryLock(f *os.File) (bool, error) {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		}
		return false, err
	}
}

func unlock(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// noFollow makes opening a lock file fail on a symbolic link.
const noFollow = unix.O_NOFOLLOW

// isLinkRefused reports whether path is a symbolic link (what O_NOFOLLOW
// refused).
func isLinkRefused(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
