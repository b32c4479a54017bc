package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// ErrBusy is wrapped by lock errors when another process or goroutine held
// the lock for longer than the caller was willing to wait.
var ErrBusy = errors.New("in use by another SellerConnect window or command")

// LockAccount takes the account's lock, waiting until ctx ends. The lock
// works across processes (the GUI and `sellerconnect token` run side by
// side) and between goroutines of one process. Call release exactly once.
// On timeout the error wraps ErrBusy and ctx.Err().
func LockAccount(ctx context.Context, dataDir, accountID string) (release func(), err error) {
	if accountID == "" {
		return nil, errors.New("lock: empty account id")
	}
	rel, err := lockFile(ctx, filepath.Join(dataDir, "locks", "account-"+lockName(accountID)+".lock"), true)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", accountID, err)
	}
	return rel, nil
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// lockName turns an id into a file name: itself when it is plain, else a hash.
func lockName(id string) string {
	if safeName.MatchString(id) && id != "." && id != ".." {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h-" + hex.EncodeToString(sum[:12])
}

// inProcess holds one token per lock file path. OS file locks already
// exclude each other between separate opens in one process (flock locks
// belong to the open file description, LockFileEx to the handle), but this
// layer lets goroutines wait on a channel, honouring ctx, instead of polling.
var inProcess sync.Map // path -> chan struct{}

// lockDirs are the lock folders found ready: a refresh takes a lock, and
// the folder needs checking once.
var lockDirs sync.Map // path -> true

// lockDir makes sure dir exists and is a directory of its own, not a link.
func lockDir(dir string) error {
	if _, ok := lockDirs.Load(dir); ok {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("lock: %s is not a directory of its own (a link?): remove it", dir)
	}
	lockDirs.Store(dir, true)
	return nil
}

// lockFile takes an exclusive lock on path (created 0600, never removed:
// removing lock files races with their users). With wait false it fails
// at once with ErrBusy when the lock is held.
func lockFile(ctx context.Context, path string, wait bool) (func(), error) {
	if err := lockDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	v, _ := inProcess.LoadOrStore(abs, make(chan struct{}, 1))
	token := v.(chan struct{})
	if wait {
		select {
		case token <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w (%w)", filepath.Base(path), ErrBusy, ctx.Err())
		}
	} else {
		select {
		case token <- struct{}{}:
		default:
			return nil, ErrBusy
		}
	}
	// A link planted in the data directory is not followed: the lock
	// file is created, or opened, only as a file of its own.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		<-token
		if isLinkRefused(abs) {
			return nil, fmt.Errorf("lock: %s is a symbolic link, which SellerConnect does not follow: remove it", abs)
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	delay := 2 * time.Millisecond
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			<-token
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		if !wait {
			f.Close()
			<-token
			return nil, ErrBusy
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.Close()
			<-token
			return nil, fmt.Errorf("lock %s: %w (%w)", filepath.Base(path), ErrBusy, ctx.Err())
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			unlock(f)
			f.Close()
			<-token
		})
	}, nil
}
