//go:build unix

package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirMadePrivate: a data directory created beforehand with mode
// 0755 is made 0700 when it is ours.
func TestDataDirMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "made-before")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := DataDir(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %04o, want 0700", fi.Mode().Perm())
	}
}

// TestDataDirOfAnotherUserRefused: a directory another user owns is
// refused with a message saying what to do.
func TestDataDirOfAnotherUserRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("changing a directory's owner needs root; CI runs as root")
	}
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := DataDir(dir)
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") || !strings.Contains(err.Error(), "--data-dir") {
		t.Fatalf("another user's directory: %v", err)
	}
}

// TestLockDoesNotFollowPlantedLinks: a symbolic link planted where an
// account's lock file goes is not written through.
func TestLockDoesNotFollowPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	locks := filepath.Join(dir, "locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(locks, "account-planted.lock")); err != nil {
		t.Fatal(err)
	}
	release, err := LockAccount(context.Background(), dir, "planted")
	if err == nil {
		release()
		t.Fatal("a planted link was followed")
	}
	if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("the error does not say why: %v", err)
	}
	// A planted link in place of the locks folder itself.
	dir2 := t.TempDir()
	if err := os.Symlink(t.TempDir(), filepath.Join(dir2, "locks")); err != nil {
		t.Fatal(err)
	}
	if release, err := LockAccount(context.Background(), dir2, "x"); err == nil {
		release()
		t.Fatal("a linked locks folder was used")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Fatal("the link's target was changed")
	}
}
