//go:build !windows

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// loginFile is a login item kept as one file (an XDG autostart entry, a
// LaunchAgent): where it goes, what it holds, and whether what is there
// is on.
type loginFile struct {
	path    func(Item) (string, error)
	content func(Item) ([]byte, error)
	on      func(data []byte) bool
	dirMode os.FileMode       // of a folder made for it
	shown   func(Item) string // where it goes, when path cannot say
}

func (f loginFile) enable(it Item) error {
	data, err := f.content(it)
	if err != nil {
		return err
	}
	p, err := f.path(it)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), f.dirMode); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return writeFileAtomic(p, data, 0o644)
}

func (f loginFile) disable(it Item) error {
	p, err := f.path(it)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func (f loginFile) enabled(it Item) (bool, error) {
	p, err := f.path(it)
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return f.on(data), nil
}

func (f loginFile) where(it Item) string {
	p, err := f.path(it)
	if err != nil {
		return f.shown(it)
	}
	return p
}

// writeFileAtomic writes through a temporary file and a rename, so a
// desktop reading the folder at login never sees half an entry.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(mode)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("autostart: %w", werr)
	}
	return nil
}
