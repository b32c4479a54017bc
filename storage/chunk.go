package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Values larger than the entry limit are kept as chunks plus a head entry:
//
//	key              -> "sellerconnect-chunked:v1:<gen>:<count>:<length>:<sha256>"
//	key#<gen>.0 ...  -> the value's bytes, in order
//
// A write puts the chunks under a new random generation first, then
// replaces the head (one atomic keychain write), then deletes the old
// generation's chunks. A reader follows the head, so until the head flips it
// reads the complete old value, and afterwards the complete new one. A crash
// can leave unreferenced chunks behind, never a broken value. Generations
// are random so that two writers, even in different processes, never write
// into the same chunks.
//
// The keychain cannot list its entries, so chunks a crash left unreferenced
// could never be found again. A chunked write therefore first notes its
// generation and start time under key#pending, and removes the note once
// the head has flipped; the key's next write (or delete) finds a note older
// than any write takes and deletes that generation's chunks.
//
// Small values are stored in the head entry as they are, readable by any
// keychain tool, unless they happen to start with the head's prefix: those
// are chunked so that a head is never mistaken for a value.
const headPrefix = "sellerconnect-chunked:v1:"

// minChunk is the smallest chunk tried when the keychain refuses a chunk as
// too big before giving up.
const minChunk = 256

type head struct {
	gen    string
	count  int
	length int
	sum    string
}

// staleChunkWrite is how long after its start a chunked write whose note
// remains is taken for one a crash cut short. Each keychain call has a
// timeout of seconds, so no live write is that slow.
const staleChunkWrite = 2 * time.Minute

func pendingKey(key string) string { return key + "#pending" }

// sweepPending removes the chunks of an interrupted chunked write of key, if
// its note says there was one. cur is the generation the head points to.
// Failures leave garbage, not damage: they are ignored.
func (k *Keychain) sweepPending(c *call, key, cur string) {
	age := k.pendingAge
	if age <= 0 {
		age = staleChunkWrite
	}
	k.sweepPendingOlder(c, key, cur, age)
}

// sweepPendingOlder is sweepPending for notes at least age old (0: any).
func (k *Keychain) sweepPendingOlder(c *call, key, cur string, age time.Duration) {
	raw, err := c.get(pendingKey(key))
	if err != nil {
		return
	}
	gen, at, _ := strings.Cut(raw, ":")
	started, perr := strconv.ParseInt(at, 10, 64)
	switch {
	case gen == cur || gen == "" || perr != nil:
		// A finished write that could not remove its note, or a damaged note.
	case time.Since(time.Unix(0, started)) < age:
		return // perhaps another process's write, still under way
	default:
		// Chunks are written in order and deleted last first, so what is
		// left is a prefix: delete from the first until one is missing.
		h := head{gen: gen}
		for i := 0; i < maxOrphanChunks; i++ {
			if err := c.del(h.chunkKey(key, i)); err != nil {
				break
			}
		}
	}
	_ = c.del(pendingKey(key))
}

// maxOrphanChunks bounds one sweep (a value of 1 MiB in 256-byte chunks).
const maxOrphanChunks = 4096

func (h head) String() string {
	return fmt.Sprintf("%s%s:%d:%d:%s", headPrefix, h.gen, h.count, h.length, h.sum)
}

func (h head) chunkKey(key string, i int) string {
	return key + "#" + h.gen + "." + strconv.Itoa(i)
}

// parseHead reports whether s is a chunk head, and parses it.
func parseHead(s string) (head, bool, error) {
	if !strings.HasPrefix(s, headPrefix) {
		return head{}, false, nil
	}
	f := strings.Split(s[len(headPrefix):], ":")
	if len(f) != 4 {
		return head{}, true, fmt.Errorf("malformed chunk head (%d fields)", len(f))
	}
	n, err1 := strconv.Atoi(f[1])
	l, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || n < 1 || l < 0 || f[0] == "" || len(f[3]) != 64 {
		return head{}, true, errors.New("malformed chunk head")
	}
	return head{gen: f[0], count: n, length: l, sum: f[3]}, true, nil
}

func checksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// errChunkMissing marks a chunk that was not there: either a concurrent
// writer in another process replaced the value, or the value is damaged.
var errChunkMissing = errors.New("chunk missing")

func (k *Keychain) get(c *call, key string) ([]byte, error) {
	var lastGen string
	for attempt := 0; ; attempt++ {
		raw, err := c.get(key)
		if err != nil {
			return nil, err
		}
		h, chunked, err := parseHead(raw)
		if err != nil {
			return nil, c.damaged(err)
		}
		if !chunked {
			return []byte(raw), nil
		}
		v, err := k.readChunks(c, key, h)
		if !errors.Is(err, errChunkMissing) {
			return v, err
		}
		// Another process may have flipped the head and deleted the chunks
		// we were reading: read the head again. The same head twice means
		// the chunks are really gone.
		if h.gen == lastGen || attempt >= 4 {
			return nil, c.damaged(err)
		}
		lastGen = h.gen
	}
}

func (k *Keychain) readChunks(c *call, key string, h head) ([]byte, error) {
	buf := make([]byte, 0, h.length)
	for i := 0; i < h.count; i++ {
		part, err := c.get(h.chunkKey(key, i))
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: %d of %d", errChunkMissing, i+1, h.count)
		}
		if err != nil {
			return nil, err
		}
		buf = append(buf, part...)
	}
	if len(buf) != h.length || checksum(buf) != h.sum {
		return nil, c.damaged(fmt.Errorf("reassembled value fails its checksum (%d of %d bytes)", len(buf), h.length))
	}
	return buf, nil
}

func (c *call) damaged(err error) error {
	return &KeychainError{Kind: KindDamaged, Op: c.op, Key: c.key, Err: err, Advice: adviceFor(KindDamaged)}
}

func (k *Keychain) set(c *call, key string, value []byte) error {
	// The old head tells which chunks to delete once the new value is in.
	oldRaw, err := c.get(key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	old, oldChunked, _ := parseHead(oldRaw)
	k.sweepPending(c, key, old.gen)

	limit := k.EntryLimit
	if (limit <= 0 || len(value) <= limit) && !strings.HasPrefix(string(value), headPrefix) {
		err := c.set(key, string(value))
		if !isTooBig(err) {
			if err == nil && oldChunked {
				k.deleteChunks(c, key, old)
			}
			return err
		}
		// The keychain's real limit is lower than we thought: chunk.
		limit = len(value) / 2
	}
	if limit <= 0 || limit > len(value) {
		limit = max(len(value), 1)
	}
	for size := limit; ; size /= 2 {
		if size < minChunk && size < limit {
			return &KeychainError{Kind: KindTooBig, Op: c.op, Key: key,
				Err:    fmt.Errorf("%d bytes refused even in chunks of %d", len(value), minChunk),
				Advice: adviceFor(KindTooBig)}
		}
		h, err := k.writeChunks(c, key, value, size)
		if isTooBig(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := c.set(key, h.String()); err != nil {
			// The new chunks are unreferenced; the old value stands.
			k.deleteChunks(c, key, h)
			_ = c.del(pendingKey(key))
			return err
		}
		if oldChunked && old.gen != h.gen {
			k.deleteChunks(c, key, old)
		}
		_ = c.del(pendingKey(key))
		return nil
	}
}

// writeChunks writes value in chunks of size under a new generation.
func (k *Keychain) writeChunks(c *call, key string, value []byte, size int) (head, error) {
	n := (len(value) + size - 1) / size
	if n == 0 {
		n = 1 // an empty value that needs a head still gets one chunk
	}
	h := head{gen: randomHex(6), count: n, length: len(value), sum: checksum(value)}
	if err := c.set(pendingKey(key), h.gen+":"+strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
		return head{}, err
	}
	for i := 0; i < n; i++ {
		part := value[i*size : min((i+1)*size, len(value))]
		if err := c.set(h.chunkKey(key, i), string(part)); err != nil {
			h.count = i // only these exist
			k.deleteChunks(c, key, h)
			_ = c.del(pendingKey(key))
			return head{}, err
		}
	}
	return h, nil
}

// deleteChunks removes a generation's chunks, last first, so that an
// interrupted clean-up leaves a prefix. Failures only leave garbage behind:
// they are not the caller's concern.
func (k *Keychain) deleteChunks(c *call, key string, h head) {
	for i := h.count - 1; i >= 0; i-- {
		if err := c.del(h.chunkKey(key, i)); errors.Is(err, errAbandoned) {
			return
		}
	}
}

func (k *Keychain) delete(c *call, key string) error {
	raw, err := c.get(key)
	if err != nil {
		return err
	}
	cur, _, _ := parseHead(raw)
	k.sweepPending(c, key, cur.gen)
	// The head goes first: the value disappears in one step.
	if err := c.del(key); err != nil {
		return err
	}
	if h, chunked, err := parseHead(raw); chunked && err == nil {
		k.deleteChunks(c, key, h)
	}
	return nil
}

func isTooBig(err error) bool {
	var ke *KeychainError
	return errors.As(err, &ke) && ke.Kind == KindTooBig || errors.Is(err, keyring.ErrSetDataTooBig)
}
