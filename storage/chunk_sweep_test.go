package storage

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// TestKeychainSweepsChunksACrashLeftBehind: a chunked write cut short by a
// crash leaves chunks no head refers to and its pending note; the key's
// next write deletes them, unless the note is recent enough to belong to a
// write still under way in another process.
func TestKeychainSweepsChunksACrashLeftBehind(t *testing.T) {
	k, _ := testKeychain(t)
	k.EntryLimit = 1000
	const key = "account:swept"
	if err := k.Set(key, ebayToken("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := rawGet(k, pendingKey(key)); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("a finished write left its pending note: %v", err)
	}

	// What a crash after three chunks leaves: the note and the chunks.
	crash := func(gen string, started time.Time) head {
		h := head{gen: gen}
		if err := keyring.Set(k.Service(), pendingKey(key), gen+":"+strconv.FormatInt(started.UnixNano(), 10)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if err := keyring.Set(k.Service(), h.chunkKey(key, i), "orphan"); err != nil {
				t.Fatal(err)
			}
		}
		return h
	}
	present := func(h head) int {
		n := 0
		for i := 0; i < 3; i++ {
			if _, err := rawGet(k, h.chunkKey(key, i)); err == nil {
				n++
			}
		}
		return n
	}

	recent := crash("0123456789ab", time.Now())
	if err := k.Set(key, ebayToken("b")); err != nil {
		t.Fatal(err)
	}
	if n := present(recent); n != 3 {
		t.Fatalf("a recent write's chunks were swept (%d of 3 left): it may still be running", n)
	}

	old := crash("ba9876543210", time.Now().Add(-10*time.Minute))
	if err := k.Set(key, ebayToken("c")); err != nil {
		t.Fatal(err)
	}
	if n := present(old); n != 0 {
		t.Errorf("%d of 3 chunks of the interrupted write are left", n)
	}
	if _, err := rawGet(k, pendingKey(key)); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("pending note left: %v", err)
	}
	if got, err := k.Get(key); err != nil || !bytes.Equal(got, ebayToken("c")) {
		t.Fatalf("value after the sweep: %v", err)
	}

	// Deleting the key sweeps too.
	k.pendingAge = time.Nanosecond
	gone := crash("aaaaaaaaaaaa", time.Now())
	if err := k.Delete(key); err != nil {
		t.Fatal(err)
	}
	if n := present(gone); n != 0 {
		t.Errorf("delete left %d of 3 orphan chunks", n)
	}
}
