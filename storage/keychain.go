package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each keychain call unless Keychain.Timeout says
// otherwise. Unlocking may show the user a prompt; three seconds is enough
// for a healthy keychain and short enough that the app does not hang.
const DefaultTimeout = 3 * time.Second

// EntryLimit is the largest value, in bytes, stored in one keychain entry on
// this platform; larger values are split into chunks. 0 means no limit.
// go-keyring refuses more than 2,560 bytes on Windows, and on macOS its
// 4,096-byte command line (base64 of the value plus the names) leaves about
// 2,900; Linux's Secret Service has no limit. Tests lower it.
var EntryLimit = defaultEntryLimit(runtime.GOOS)

func defaultEntryLimit(goos string) int {
	switch goos {
	case "windows":
		return 2560
	case "darwin":
		return 2800
	default:
		return 0
	}
}

// ErrNotFound is returned (wrapped) when the keychain has no entry for a key.
var ErrNotFound = errors.New("no such keychain entry")

// Keychain stores secrets in the operating system's keychain (the Secret
// Service on Linux, Keychain on macOS, Credential Manager on Windows) under
// one service name per data directory. It is safe for concurrent use.
type Keychain struct {
	// Timeout bounds each call to the keychain; 0 means DefaultTimeout.
	Timeout time.Duration
	// EntryLimit is the largest value kept in one entry; 0 means no limit.
	// NewKeychain sets it from the package's EntryLimit.
	EntryLimit int

	service string
	backend backend
	// pendingAge is how old a chunked write's pending note must be before
	// its chunks count as left behind by a crash (0: staleChunkWrite).
	pendingAge time.Duration
}

// backend is the keychain itself: go-keyring's functions.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Set(s, u, v string) error        { return keyring.Set(s, u, v) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// NewKeychain returns the keychain for a data directory. It does not touch
// the keychain; call Probe to learn at start-up whether it works.
func NewKeychain(dataDir string) *Keychain {
	return &Keychain{
		EntryLimit: EntryLimit,
		service:    serviceName(dataDir),
		backend:    goKeyring{},
	}
}

// Service returns the keychain service name the entries are kept under.
func (k *Keychain) Service() string { return k.service }

func (k *Keychain) timeout() time.Duration {
	if k.Timeout > 0 {
		return k.Timeout
	}
	return DefaultTimeout
}

// Get returns the value stored under key, or an error wrapping ErrNotFound
// when there is none, or a *KeychainError.
func (k *Keychain) Get(key string) ([]byte, error) {
	var out []byte
	err := k.run("get", key, func(c *call) error {
		v, err := k.get(c, key)
		out = v
		return err
	})
	return out, err
}

// Set stores value under key, replacing any previous value. When Set
// returns an error the previous value is still there, except after a
// timeout, where the keychain may yet complete the write.
func (k *Keychain) Set(key string, value []byte) error {
	return k.run("set", key, func(c *call) error { return k.set(c, key, value) })
}

// Delete removes key and all its chunks. It returns an error wrapping
// ErrNotFound when there was nothing to delete.
func (k *Keychain) Delete(key string) error {
	return k.run("delete", key, func(c *call) error { return k.delete(c, key) })
}

// Abandon removes what an interrupted write of key left: chunks of a write
// that never got its head, however recent (the caller knows no write of key
// is under way: it holds the key's account lock), and the head if there is
// one. A missing key is not an error.
func (k *Keychain) Abandon(key string) error {
	return k.run("delete", key, func(c *call) error {
		k.sweepPendingOlder(c, key, "", 0)
		err := k.delete(c, key)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
}

// Probe writes, reads back and deletes a throwaway entry, so the app can
// say at start-up that accounts cannot be saved, and why. It returns nil or
// a *KeychainError.
func (k *Keychain) Probe() error {
	key := "probe-" + randomHex(6)
	want := []byte("probe " + randomHex(8))
	if err := k.Set(key, want); err != nil {
		return asProbe(err)
	}
	got, err := k.Get(key)
	_ = k.Delete(key)
	if err != nil {
		return asProbe(err)
	}
	if !bytes.Equal(got, want) {
		return &KeychainError{Kind: KindOther, Op: "probe", Key: key,
			Err:    errors.New("the keychain returned a different value than was stored"),
			Advice: adviceFor(KindOther)}
	}
	return nil
}

func asProbe(err error) error {
	var ke *KeychainError
	if errors.As(err, &ke) {
		c := *ke
		c.Op = "probe"
		return &c
	}
	return &KeychainError{Kind: KindOther, Op: "probe", Err: err, Advice: adviceFor(KindOther)}
}

// --- calls with a timeout -------------------------------------------------

// errAbandoned stops the rest of an operation whose caller gave up waiting.
var errAbandoned = errors.New("abandoned after a timeout")

// gates serialise operations on one entry (service and key) within the
// process. go-keyring calls cannot be cancelled: a call that times out keeps
// running in its goroutine. Holding the gate until it really ends keeps a
// late write from overtaking a newer one, and operations still waiting for
// the gate when their caller gives up never start.
var gates sync.Map // string -> chan struct{}

func gateFor(service, key string) chan struct{} {
	g, _ := gates.LoadOrStore(service+"\x00"+key, make(chan struct{}, 1))
	return g.(chan struct{})
}

// call is one logical operation (Get, Set, Delete) made of keychain calls.
type call struct {
	k         *Keychain
	op, key   string
	abandoned atomic.Bool
	progress  chan struct{}
}

// run performs body in a goroutine holding the entry's gate and waits at
// most the timeout for each of its keychain calls.
func (k *Keychain) run(op, key string, body func(c *call) error) error {
	c := &call{k: k, op: op, key: key, progress: make(chan struct{}, 1)}
	done := make(chan error, 1)
	gate := gateFor(k.service, key)
	go func() {
		gate <- struct{}{}
		defer func() { <-gate }()
		if c.abandoned.Load() {
			done <- errAbandoned
			return
		}
		done <- body(c)
	}()
	timer := time.NewTimer(k.timeout())
	defer timer.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-c.progress:
			timer.Reset(k.timeout())
		case <-timer.C:
			c.abandoned.Store(true)
			select {
			case err := <-done: // it finished just now
				return err
			default:
			}
			return &KeychainError{Kind: KindTimeout, Op: op, Key: key,
				Err:    fmt.Errorf("no answer within %s", k.timeout()),
				Advice: adviceFor(KindTimeout)}
		}
	}
}

// do runs one keychain call unless the caller has given up.
func (c *call) do(f func() error) error {
	if c.abandoned.Load() {
		return errAbandoned
	}
	err := f()
	select {
	case c.progress <- struct{}{}:
	default:
	}
	return err
}

func (c *call) get(user string) (string, error) {
	var v string
	err := c.do(func() error {
		var err error
		v, err = c.k.backend.Get(c.k.service, user)
		return err
	})
	return v, c.wrap(user, err)
}

func (c *call) set(user, value string) error {
	return c.wrap(user, c.do(func() error { return c.k.backend.Set(c.k.service, user, value) }))
}

func (c *call) del(user string) error {
	return c.wrap(user, c.do(func() error { return c.k.backend.Delete(c.k.service, user) }))
}

// wrap turns go-keyring's errors into ErrNotFound or a *KeychainError.
func (c *call) wrap(user string, err error) error {
	switch {
	case err == nil, errors.Is(err, errAbandoned):
		return err
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("keychain entry %q: %w", user, ErrNotFound)
	}
	kind := classify(err)
	return &KeychainError{Kind: kind, Op: c.op, Key: c.key, Err: err, Advice: adviceFor(kind)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("storage: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
