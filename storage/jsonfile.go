package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// CorruptError reports a data file that cannot be decoded. A copy of its
// bytes was kept at Backup; the file itself is left in place and is not
// overwritten until the user restores it or chooses to start over
// (DiscardCorrupt).
type CorruptError struct {
	Path   string // the damaged file
	Backup string // the copy kept aside; "" when even copying failed
	Err    error  // what is wrong with it
}

func (e *CorruptError) Error() string {
	kept := "a copy was kept at " + e.Backup
	if e.Backup == "" {
		kept = "making a copy failed too"
	}
	return fmt.Sprintf("%s is damaged (%v); %s. SellerConnect will not overwrite it: restore a good copy, "+
		"or choose to start over, which keeps the damaged file aside", e.Path, e.Err, kept)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// SchemaError reports a file written by a newer SellerConnect. It is read
// by nobody and overwritten by nobody: an older build would drop what it
// does not understand.
type SchemaError struct {
	Path  string
	Found int
	Known int
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s was written by a newer SellerConnect (format %d; this version knows up to %d): update SellerConnect",
		e.Path, e.Found, e.Known)
}

// lockWait bounds how long a read-modify-write waits for another process.
const lockWait = 30 * time.Second

// jsonFile is a JSON file in the data directory, replaced atomically and
// changed under a cross-process lock.
type jsonFile struct {
	dir  string
	path string
	lock string
}

func newJSONFile(dataDir, name string) (*jsonFile, error) {
	if dataDir == "" {
		return nil, errors.New("storage: empty data directory")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := ensureDir(abs); err != nil {
		return nil, err
	}
	return &jsonFile{dir: abs, path: filepath.Join(abs, name), lock: filepath.Join(abs, "locks", name+".lock")}, nil
}

// read returns the file's bytes; missing files give (nil, false, nil).
// An unreadable file is an error that names it: it is not treated as empty.
func (f *jsonFile) read() ([]byte, bool, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s (%w); SellerConnect will not replace it: check its permissions", f.path, err)
	}
	return data, true, nil
}

// corrupt keeps a copy of data aside and returns the error to report.
func (f *jsonFile) corrupt(data []byte, cause error) *CorruptError {
	backup, err := backupCorrupt(f.path, data)
	if err != nil {
		backup = ""
	}
	return &CorruptError{Path: f.path, Backup: backup, Err: cause}
}

// locked runs fn holding the file's cross-process lock.
func (f *jsonFile) locked(fn func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	release, err := lockFile(ctx, f.lock, true)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(f.path), err)
	}
	defer release()
	removeStaleTemps(f.path)
	return fn()
}

// discard moves a damaged file aside (after checking that it is still
// damaged) so that the next write starts afresh. It returns the backup.
func (f *jsonFile) discard(decode func([]byte) error) (string, error) {
	var backup string
	err := f.locked(func() error {
		data, ok, err := f.read()
		if err != nil || !ok {
			return err
		}
		derr := decode(data)
		if derr == nil {
			return fmt.Errorf("%s is not damaged; nothing to discard", f.path)
		}
		var se *SchemaError
		if errors.As(derr, &se) {
			return derr
		}
		backup, err = backupCorrupt(f.path, data)
		if err != nil {
			return fmt.Errorf("cannot keep a copy of %s, so it stays: %w", f.path, err)
		}
		if err := os.Remove(f.path); err != nil {
			return err
		}
		return syncDir(f.dir)
	})
	return backup, err
}
