package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// writeFileAtomic replaces path with data so that a reader, or the file
// after a crash or power loss, has either the old or the new content: the
// bytes go to a temporary file in the same directory, which is synced,
// renamed over path, and then the directory is synced so the rename itself
// is durable. The file's mode is 0600.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil && !isUnsupported(err) {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot replace %s: %w", path, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("cannot write %s: sync directory: %w", path, err)
	}
	return nil
}

func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

func isUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }

// backupCorrupt copies a damaged file's bytes to path.corrupt-<UTC time>
// (0600) and returns the copy's name. When an identical copy already exists
// it is reused, so repeated reads of the same damaged file add no copies.
func backupCorrupt(path string, data []byte) (string, error) {
	matches, _ := filepath.Glob(path + ".corrupt-*")
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil && bytes.Equal(b, data) {
			return m, nil
		}
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	name := path + ".corrupt-" + stamp
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s.corrupt-%s-%d", path, stamp, i)
	}
	if err := writeFileAtomic(name, data); err != nil {
		return "", err
	}
	return name, nil
}
