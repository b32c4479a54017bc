//go:build unix

package storage

import (
	"fmt"
	"os"
	"syscall"
)

// checkOwner refuses a data directory owned by another user: whoever owns
// it can read and replace what SellerConnect keeps there.
func checkOwner(dir string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("the data directory %s belongs to another user (uid %d, you are %d); SellerConnect will not keep your accounts there: choose a directory of your own with --data-dir", dir, st.Uid, uid)
	}
	return nil
}
