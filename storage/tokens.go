package storage

import (
	"errors"
	"fmt"
	"strconv"
)

// Secrets is what Tokens needs of a keychain: *Keychain has it. Get wraps
// ErrNotFound for a missing key.
type Secrets interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Delete(key string) error
}

// Tokens keeps each account's token in the keychain under a generation
// that the account's row names, and changes both in an order a crash
// cannot break:
//
//  1. Begin (before a refresh is sent) records in the row the generation
//     the answer will be saved under (Pending).
//  2. Save writes the new token to the keychain under that generation,
//     then commits the row naming it, then deletes the old generation.
//
// Load reconciles what a crash left: a pending generation that reached the
// keychain is the rotated token the provider already answered, and is
// adopted, never discarded; one that did not says the refresh was cut
// short (Loaded.Interrupted).
//
// Every call for an account is made holding that account's lock
// (LockAccount), in this process and across processes.
type Tokens struct {
	DB      *DB
	Secrets Secrets
}

// TokenKey is the keychain key of an account's token generation. Generation
// 0 is the key earlier versions wrote.
func TokenKey(id string, gen int64) string {
	if gen == 0 {
		return "account:" + id
	}
	return "account:" + id + "#" + strconv.FormatInt(gen, 10)
}

// Stamp is what changes whenever the stored token or its marker changes.
func (ts TokenState) Stamp() string {
	return strconv.FormatInt(ts.Generation, 10) + "/" + ts.Sync
}

// Loaded is a token read from the keychain.
type Loaded struct {
	Value []byte
	State TokenState
	// Adopted: a newer generation a crash left unnamed was taken up.
	Adopted bool
	// Interrupted: a refresh was begun and its answer never saved (the
	// process doing it stopped). A rotating provider may have replaced
	// the token that Value holds.
	Interrupted bool
}

// State returns the account's token bookkeeping without touching the
// keychain.
func (t *Tokens) State(id string) (TokenState, error) { return t.DB.TokenState(id) }

// Load returns the account's stored token, reconciling a crash's leftovers
// first. It wraps ErrNoAccount when the account is gone and ErrNotFound
// when the keychain holds no token for it.
func (t *Tokens) Load(id string) (Loaded, error) {
	ts, err := t.DB.TokenState(id)
	if err != nil {
		return Loaded{}, err
	}
	return t.LoadAt(id, ts)
}

// LoadAt is Load for a caller that has just read the account's
// bookkeeping, ts, holding its lock.
func (t *Tokens) LoadAt(id string, ts TokenState) (Loaded, error) {
	var l Loaded
	var err error
	if ts.Pending > ts.Generation {
		v, err := t.Secrets.Get(TokenKey(id, ts.Pending))
		switch {
		case err == nil:
			if ts, err = t.adopt(id, ts, ts.Pending); err != nil {
				return Loaded{}, err
			}
			return Loaded{Value: v, State: ts, Adopted: true}, nil
		case errors.Is(err, ErrNotFound):
			l.Interrupted = true
			// A chunked write the crash cut leaves chunks under the
			// pending generation: nothing will name them, so they go.
			if ab, ok := t.Secrets.(interface{ Abandon(string) error }); ok {
				_ = ab.Abandon(TokenKey(id, ts.Pending))
			}
			if ts, err = t.DB.SetTokenState(id, ts.Generation, 0, ts.Sync); err != nil {
				return Loaded{}, err
			}
		default:
			return Loaded{}, err
		}
	}
	v, err := t.Secrets.Get(TokenKey(id, ts.Generation))
	if errors.Is(err, ErrNotFound) {
		// The row may have lost its last commit (power loss with
		// synchronous=NORMAL) while the keychain kept the next token.
		if nv, nerr := t.Secrets.Get(TokenKey(id, ts.Generation+1)); nerr == nil {
			if ts, err = t.adopt(id, ts, ts.Generation+1); err != nil {
				return Loaded{}, err
			}
			return Loaded{Value: nv, State: ts, Adopted: true}, nil
		}
	}
	if err != nil {
		return Loaded{}, err
	}
	l.Value, l.State = v, ts
	return l, nil
}

func (t *Tokens) adopt(id string, ts TokenState, gen int64) (TokenState, error) {
	nts, err := t.DB.SetTokenState(id, gen, 0, "")
	if err != nil {
		return TokenState{}, err
	}
	_ = t.Secrets.Delete(TokenKey(id, ts.Generation))
	return nts, nil
}

// Begin records, before a refresh is sent, the generation its answer will
// be saved under, with the marker sync for other processes, and returns
// the bookkeeping as stored.
func (t *Tokens) Begin(id, sync string) (TokenState, error) { return t.DB.beginRefresh(id, sync) }

// End clears a begun refresh that got no token to save (the provider
// refused, or no answer came), leaving the marker as it is.
func (t *Tokens) End(id string) error { return t.DB.endRefresh(id) }

// SetSync changes the marker alone.
func (t *Tokens) SetSync(id, sync string) error {
	_, err := t.DB.setSync(id, sync)
	return err
}

// Save stores a new token: keychain first, under the next generation,
// then the row that names it, then the old generation is deleted. If the
// keychain refuses, nothing changed. If the account is gone, the new
// secret is removed again and the error wraps ErrNoAccount.
func (t *Tokens) Save(id string, value []byte) (TokenState, error) {
	ts, err := t.DB.TokenState(id)
	if err != nil {
		return TokenState{}, err
	}
	gen := max(ts.Pending, ts.Generation+1)
	key := TokenKey(id, gen)
	if err := t.Secrets.Set(key, value); err != nil {
		return TokenState{}, err
	}
	nts, err := t.DB.SetTokenState(id, gen, 0, "")
	if err != nil {
		if errors.Is(err, ErrNoAccount) {
			_ = t.Secrets.Delete(key)
		}
		// Otherwise the keychain holds gen and the row still names the old
		// one: Load adopts it (Pending, or the next generation).
		return TokenState{}, err
	}
	// An old generation left behind is harmless: nothing names it, and
	// Remove deletes it with the account.
	_ = t.Secrets.Delete(TokenKey(id, ts.Generation))
	return nts, nil
}

// Create stores the token of a new account and inserts its row, all or
// nothing: if the row cannot be written the secret is removed again.
func (t *Tokens) Create(r Record, value []byte, entries []TimelineEntry, keep TimelineKeep) error {
	const gen = 1
	// Checked before the keychain is written: the key of a taken id holds
	// that account's token.
	if _, ok, err := t.DB.Account(r.ID); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("account %s: %w", r.ID, ErrAccountExists)
	}
	key := TokenKey(r.ID, gen)
	if err := t.Secrets.Set(key, value); err != nil {
		return err
	}
	if err := t.DB.InsertAccount(r, gen, "", entries, keep); err != nil {
		if derr := t.Secrets.Delete(key); derr != nil && !errors.Is(derr, ErrNotFound) {
			return fmt.Errorf("%w (and removing its token from the keychain failed: %v)", err, derr)
		}
		return err
	}
	return nil
}

// Remove deletes the account's row, then every generation of its token
// the row named or may have left behind.
func (t *Tokens) Remove(id string) error {
	ts, err := t.DB.TokenState(id)
	if errors.Is(err, ErrNoAccount) {
		ts = TokenState{}
	} else if err != nil {
		return err
	}
	if err := t.DB.DeleteAccount(id); err != nil {
		return err
	}
	var first error
	// The generations that can exist: the legacy key, the one before the
	// current (a delete that failed), the current, and the next (a save
	// or a refresh a crash cut short).
	gens := []int64{0, ts.Generation, ts.Generation + 1}
	if ts.Generation > 1 {
		gens = append(gens, ts.Generation-1)
	}
	if ts.Pending > ts.Generation+1 {
		gens = append(gens, ts.Pending)
	}
	for _, g := range gens {
		if err := t.Secrets.Delete(TokenKey(id, g)); err != nil && !errors.Is(err, ErrNotFound) && first == nil {
			first = err
		}
	}
	return first
}
