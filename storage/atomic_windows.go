//go:build windows

package storage

// syncDir is not needed on Windows: NTFS journals the rename (MoveFileEx
// with MOVEFILE_REPLACE_EXISTING, as os.Rename uses), and directories cannot
// be opened for syncing.
func syncDir(dir string) error { return nil }
