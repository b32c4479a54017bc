// Package faultstore wraps a secret store (anything with Get, Set and
// Delete, such as *storage.Keychain) and makes chosen calls fail or stall,
// so that the code above it can be tested against a keychain that refuses,
// hangs or half-succeeds. It is safe for concurrent use.
package faultstore

import (
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/sellerconnect/sellerconnect/storage"
)

// Inner is the store being wrapped.
type Inner interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Delete(key string) error
}

// Op names a store method.
type Op string

const (
	Get    Op = "get"
	Set    Op = "set"
	Delete Op = "delete"
)

// ErrInjected is wrapped by the default injected error.
var ErrInjected = errors.New("injected fault")

// Fault describes what to do to matching calls.
type Fault struct {
	// Op is the method to affect; "" means all three.
	Op Op
	// KeyPrefix limits the fault to keys with this prefix; "" means all.
	KeyPrefix string
	// Count is how many matching calls to affect; 0 means until cleared.
	Count int
	// Stall delays each affected call before it proceeds (or fails).
	// Negative means: block until Clear, ClearAll or Release is called.
	Stall time.Duration
	// Err is returned by affected calls. nil with a Stall means the call
	// proceeds normally after the stall; nil without a Stall means the
	// default error, a *storage.KeychainError of kind Other wrapping
	// ErrInjected.
	Err error
	// AfterInner makes an affected call reach the inner store first and
	// then return Err: a write that happened but was reported as failed,
	// as after a keychain timeout.
	AfterInner bool
}

// Store is the wrapper.
type Store struct {
	inner Inner

	mu      sync.Mutex
	faults  []*rule
	calls   map[Op]int
	release chan struct{} // closed to wake blocked calls
}

type rule struct {
	Fault
	left int // remaining count when Count > 0
}

// New wraps inner.
func New(inner Inner) *Store {
	return &Store{inner: inner, calls: map[Op]int{}, release: make(chan struct{})}
}

// NewMemory returns a fault store over an in-memory map, for tests that do
// not need a real keychain.
func NewMemory() *Store { return New(&Memory{}) }

// Inject adds a fault. Faults are matched in the order they were added;
// the first match with calls left applies.
func (s *Store) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &rule{Fault: f, left: f.Count})
}

// Fail makes the next count calls of op fail with err (nil: the default
// error); count 0 means until cleared.
func (s *Store) Fail(op Op, count int, err error) {
	s.Inject(Fault{Op: op, Count: count, Err: err})
}

// Stall delays the next count calls of op by d (negative: until Release or
// Clear); count 0 means until cleared.
func (s *Store) Stall(op Op, count int, d time.Duration) {
	s.Inject(Fault{Op: op, Count: count, Stall: d})
}

// Clear removes the faults for op ("" for all) and releases blocked calls.
func (s *Store) Clear(op Op) {
	s.mu.Lock()
	kept := s.faults[:0]
	for _, r := range s.faults {
		if op != "" && r.Op != op {
			kept = append(kept, r)
		}
	}
	s.faults = kept
	s.mu.Unlock()
	s.Release()
}

// ClearAll removes every fault and releases blocked calls.
func (s *Store) ClearAll() { s.Clear("") }

// Release wakes every call blocked by a negative Stall; their faults stay.
func (s *Store) Release() {
	s.mu.Lock()
	close(s.release)
	s.release = make(chan struct{})
	s.mu.Unlock()
}

// Calls returns how many calls of op the store has seen ("" for all).
func (s *Store) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if op == "" {
		return s.calls[Get] + s.calls[Set] + s.calls[Delete]
	}
	return s.calls[op]
}

// match counts the call and returns the fault that applies, if any.
func (s *Store) match(op Op, key string) (*Fault, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	for _, r := range s.faults {
		if (r.Op != "" && r.Op != op) || !strings.HasPrefix(key, r.KeyPrefix) {
			continue
		}
		if r.Count > 0 {
			if r.left == 0 {
				continue
			}
			r.left--
		}
		f := r.Fault
		return &f, s.release
	}
	return nil, nil
}

// apply stalls as the fault says and returns the error to give (nil: go on).
func apply(f *Fault, op Op, key string, release <-chan struct{}) error {
	switch {
	case f.Stall < 0:
		<-release
	case f.Stall > 0:
		t := time.NewTimer(f.Stall)
		select {
		case <-t.C:
		case <-release:
			t.Stop()
		}
	}
	if f.Err != nil {
		return f.Err
	}
	if f.Stall != 0 {
		return nil
	}
	return &storage.KeychainError{Kind: storage.KindOther, Op: string(op), Key: key,
		Err: ErrInjected, Advice: "This failure was injected by a test"}
}

// Get implements the store.
func (s *Store) Get(key string) ([]byte, error) {
	f, rel := s.match(Get, key)
	if f == nil {
		return s.inner.Get(key)
	}
	if f.AfterInner {
		v, err := s.inner.Get(key)
		if ferr := apply(f, Get, key, rel); ferr != nil {
			return nil, ferr
		}
		return v, err
	}
	if err := apply(f, Get, key, rel); err != nil {
		return nil, err
	}
	return s.inner.Get(key)
}

// Set implements the store.
func (s *Store) Set(key string, value []byte) error {
	return s.do(Set, key, func() error { return s.inner.Set(key, value) })
}

// Delete implements the store.
func (s *Store) Delete(key string) error {
	return s.do(Delete, key, func() error { return s.inner.Delete(key) })
}

func (s *Store) do(op Op, key string, call func() error) error {
	f, rel := s.match(op, key)
	if f == nil {
		return call()
	}
	if f.AfterInner {
		err := call()
		if ferr := apply(f, op, key, rel); ferr != nil {
			return ferr
		}
		return err
	}
	if err := apply(f, op, key, rel); err != nil {
		return err
	}
	return call()
}

// Memory is an in-memory store with the keychain's ErrNotFound behaviour.
type Memory struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get implements the store.
func (m *Memory) Get(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

// Set implements the store.
func (m *Memory) Set(key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]byte{}
	}
	m.m[key] = append([]byte(nil), value...)
	return nil
}

// Delete implements the store.
func (m *Memory) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; !ok {
		return storage.ErrNotFound
	}
	delete(m.m, key)
	return nil
}

// Snapshot returns a copy of the contents.
func (m *Memory) Snapshot() map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.m)
}
