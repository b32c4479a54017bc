package storage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// ebayToken is an 8 KB value shaped like an eBay user token.
func ebayToken(seed string) []byte {
	var b strings.Builder
	b.WriteString("v^1.1#i^1#f^0#r^1#I^3#p^3#t^Ul4xMF8")
	for i := 0; b.Len() < 8192; i++ {
		fmt.Fprintf(&b, "%s%08x", seed, i*2654435761)
	}
	return []byte(b.String()[:8192])
}

func TestKeychainSetGetOverwriteDelete(t *testing.T) {
	k, _ := testKeychain(t)
	if _, err := k.Get("account:none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing entry: want ErrNotFound, got %v", err)
	}
	if err := k.Delete("account:none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing entry: want ErrNotFound, got %v", err)
	}
	v1 := []byte(`{"access_token":"a1","refresh_token":"r1","token_type":"Bearer"}`)
	v2 := []byte(`{"access_token":"a2","refresh_token":"r2","token_type":"Bearer"}`)
	if err := k.Set("account:a", v1); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get("account:a"); err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("Get after Set: %d bytes, %v", len(got), err)
	}
	if err := k.Set("account:a", v2); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get("account:a"); err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("Get after overwrite: %d bytes, %v", len(got), err)
	}
	// Plain values are stored as they are, readable by other keychain tools.
	if raw, err := rawGet(k, "account:a"); err != nil || raw != string(v2) {
		t.Fatalf("raw entry differs from the value (%v)", err)
	}
	if err := k.Delete("account:a"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get("account:a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: want ErrNotFound, got %v", err)
	}
}

func TestKeychainServicesAreSeparate(t *testing.T) {
	k1, _ := testKeychain(t)
	k2, _ := testKeychain(t)
	if k1.Service() == k2.Service() {
		t.Fatalf("two data directories share the service %s", k1.Service())
	}
	if err := k1.Set("account:x", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Get("account:x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an entry leaked between data directories: %v", err)
	}
}

func TestKeychainUnicode(t *testing.T) {
	k, _ := testKeychain(t)
	values := map[string]string{
		"account:ünïcødé-ключ-鍵":          "Grüße, мир, 世界, 🔑🛍️ and a NUL \x00 inside",
		"provider:vaultist:client_secret": strings.Repeat("秘密🔐", 700), // ~4.9 KB of multi-byte runes
	}
	for _, limit := range []int{0, 1000} {
		k.EntryLimit = limit // 1000 splits runes across chunks
		for key, v := range values {
			if err := k.Set(key, []byte(v)); err != nil {
				t.Fatalf("limit %d: Set %s: %v", limit, key, err)
			}
			got, err := k.Get(key)
			if err != nil || string(got) != v {
				t.Fatalf("limit %d: Get %s: %d bytes (want %d), %v", limit, key, len(got), len(v), err)
			}
		}
	}
}

// chunkKeys lists the chunk entries a head names.
func chunkKeys(t *testing.T, k *Keychain, key string) []string {
	t.Helper()
	raw, err := rawGet(k, key)
	if err != nil {
		t.Fatalf("raw head: %v", err)
	}
	h, chunked, err := parseHead(raw)
	if !chunked || err != nil {
		t.Fatalf("entry %s is not a chunk head (%v)", key, err)
	}
	var keys []string
	for i := 0; i < h.count; i++ {
		keys = append(keys, h.chunkKey(key, i))
	}
	return keys
}

func assertGone(t *testing.T, k *Keychain, users []string) {
	t.Helper()
	for _, u := range users {
		if _, err := rawGet(k, u); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("entry %s still there (%v)", u, err)
		}
	}
}

func TestKeychainChunked(t *testing.T) {
	k, _ := testKeychain(t)
	k.EntryLimit = 1000
	tok1, tok2 := ebayToken("first"), ebayToken("second")

	if err := k.Set("account:ebay-1", tok1); err != nil {
		t.Fatal(err)
	}
	first := chunkKeys(t, k, "account:ebay-1")
	if len(first) != 9 {
		t.Fatalf("8,192 bytes with a 1,000-byte limit: want 9 chunks, got %d", len(first))
	}
	for _, c := range first {
		if v, err := rawGet(k, c); err != nil || len(v) > 1000 {
			t.Fatalf("chunk %s: %d bytes, %v", c, len(v), err)
		}
	}
	if got, err := k.Get("account:ebay-1"); err != nil || !bytes.Equal(got, tok1) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}

	// Overwrite: a new generation; the old chunks are deleted.
	if err := k.Set("account:ebay-1", tok2); err != nil {
		t.Fatal(err)
	}
	second := chunkKeys(t, k, "account:ebay-1")
	if second[0] == first[0] {
		t.Fatal("overwrite reused the old generation")
	}
	assertGone(t, k, first)
	if got, err := k.Get("account:ebay-1"); err != nil || !bytes.Equal(got, tok2) {
		t.Fatalf("Get after overwrite: %d bytes, %v", len(got), err)
	}

	// Shrinking to a plain value drops the chunks too.
	if err := k.Set("account:ebay-1", []byte("small")); err != nil {
		t.Fatal(err)
	}
	assertGone(t, k, second)
	if got, err := k.Get("account:ebay-1"); err != nil || string(got) != "small" {
		t.Fatalf("Get small: %q, %v", got, err)
	}

	// Delete cleans every chunk.
	if err := k.Set("account:ebay-1", tok1); err != nil {
		t.Fatal(err)
	}
	third := chunkKeys(t, k, "account:ebay-1")
	if err := k.Delete("account:ebay-1"); err != nil {
		t.Fatal(err)
	}
	assertGone(t, k, append(third, "account:ebay-1"))
	if _, err := k.Get("account:ebay-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

// limitedBackend is the real keychain refusing values over max bytes the
// way go-keyring does on Windows and macOS.
type limitedBackend struct {
	backend
	max int
}

func (l limitedBackend) Set(s, u, v string) error {
	if len(v) > l.max {
		return keyring.ErrSetDataTooBig
	}
	return l.backend.Set(s, u, v)
}

// TestKeychainTooBigFallsBackToChunks: the keychain refuses a value that the
// entry limit let through (the platform's real limit is lower than
// thought): the value is chunked small enough, and a keychain that refuses
// even small chunks gives a too-big error that leaves the old value.
func TestKeychainTooBigFallsBackToChunks(t *testing.T) {
	k, _ := testKeychain(t)
	k.EntryLimit = 0
	k.backend = limitedBackend{backend: goKeyring{}, max: 2560}
	tok := ebayToken("toobig")
	if err := k.Set("account:big", tok); err != nil {
		t.Fatal(err)
	}
	for _, c := range chunkKeys(t, k, "account:big") {
		if v, err := rawGet(k, c); err != nil || len(v) > 2560 {
			t.Fatalf("chunk %s: %d bytes, %v", c, len(v), err)
		}
	}
	if got, err := k.Get("account:big"); err != nil || !bytes.Equal(got, tok) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
	// Empty and tiny values still go in one entry.
	for _, v := range []string{"", "x"} {
		if err := k.Set("account:small", []byte(v)); err != nil {
			t.Fatal(err)
		}
		if got, err := k.Get("account:small"); err != nil || string(got) != v {
			t.Fatalf("Get %q: %q, %v", v, got, err)
		}
	}
	k.backend = limitedBackend{backend: goKeyring{}, max: 100}
	err := k.Set("account:big", ebayToken("zqxsecretzqx"))
	ke := wantKind(t, err, KindTooBig)
	if strings.Contains(ke.Error(), "zqxsecretzqx") {
		t.Fatal("the error quotes the value")
	}
	k.backend = goKeyring{}
	if got, err := k.Get("account:big"); err != nil || !bytes.Equal(got, tok) {
		t.Fatalf("after a refused write the old value is not intact: %d bytes, %v", len(got), err)
	}
}

func TestKeychainValueLookingLikeAHead(t *testing.T) {
	k, _ := testKeychain(t)
	v := []byte(headPrefix + "not:really:a:head")
	if err := k.Set("account:tricky", v); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get("account:tricky"); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get: %q, %v", got, err)
	}
}

func TestKeychainDamagedChunk(t *testing.T) {
	k, _ := testKeychain(t)
	k.EntryLimit = 1000
	if err := k.Set("account:d", ebayToken("d")); err != nil {
		t.Fatal(err)
	}
	chunks := chunkKeys(t, k, "account:d")
	if err := keyring.Delete(k.Service(), chunks[3]); err != nil {
		t.Fatal(err)
	}
	_, err := k.Get("account:d")
	ke := wantKind(t, err, KindDamaged)
	mustContain(t, ke.Error(), "account:d", "Reconnect")
	// Tampering with a chunk's bytes is caught by the checksum.
	if err := k.Set("account:d", ebayToken("e")); err != nil {
		t.Fatal(err)
	}
	chunks = chunkKeys(t, k, "account:d")
	if err := keyring.Set(k.Service(), chunks[0], strings.Repeat("x", 1000)); err != nil {
		t.Fatal(err)
	}
	_, err = k.Get("account:d")
	wantKind(t, err, KindDamaged)
}

// faultyBackend is the real keychain with chosen Set calls failing or
// blocking, to interrupt chunked writes at chosen points.
type faultyBackend struct {
	backend
	mu       sync.Mutex
	sets     int
	failSet  int           // fail the n-th Set (1-based), 0 = never
	block    chan struct{} // when non-nil, Set waits for it to close
	setUsers []string
}

func (f *faultyBackend) Set(s, u, v string) error {
	f.mu.Lock()
	f.sets++
	n, block := f.sets, f.block
	f.setUsers = append(f.setUsers, u)
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	if n == f.failSet {
		return errors.New("org.freedesktop.DBus.Error.AccessDenied: injected")
	}
	return f.backend.Set(s, u, v)
}

func TestKeychainInterruptedChunkedWriteKeepsOldValue(t *testing.T) {
	k, _ := testKeychain(t)
	k.EntryLimit = 1000
	old := ebayToken("old")
	if err := k.Set("account:i", old); err != nil {
		t.Fatal(err)
	}
	// The new value needs 9 chunk writes and a head write: fail each in turn.
	for fail := 1; fail <= 10; fail++ {
		fb := &faultyBackend{backend: goKeyring{}, failSet: fail}
		k.backend = fb
		err := k.Set("account:i", ebayToken(fmt.Sprintf("new%d", fail)))
		wantKind(t, err, KindDenied)
		k.backend = goKeyring{}
		got, err := k.Get("account:i")
		if err != nil || !bytes.Equal(got, old) {
			t.Fatalf("after failing write %d: old value not intact (%d bytes, %v)", fail, len(got), err)
		}
	}
}

func TestKeychainTimeoutDoesNotLetALateWriteWin(t *testing.T) {
	k, _ := testKeychain(t)
	k.Timeout = 300 * time.Millisecond
	if err := k.Set("account:t", []byte("v0")); err != nil {
		t.Fatal(err)
	}
	fb := &faultyBackend{backend: goKeyring{}, block: make(chan struct{})}
	k.backend = fb
	start := time.Now()
	err := k.Set("account:t", []byte("v1")) // hangs in the keychain
	wantKind(t, err, KindTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	// A newer write while the old one still hangs must not start, or the
	// hanging one could land after it.
	err = k.Set("account:t", []byte("v2"))
	wantKind(t, err, KindTimeout)
	fb.mu.Lock()
	block := fb.block
	fb.block = nil
	fb.mu.Unlock()
	close(block)
	// The hung write completes; the abandoned newer one never ran.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := k.Get("account:t")
		if err == nil && string(got) == "v1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want v1 after the hung write lands, got %q, %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fb.mu.Lock()
	users := fb.setUsers
	fb.mu.Unlock()
	if len(users) != 1 {
		t.Fatalf("the keychain saw %d writes, want only the first: %v", len(users), users)
	}
	if err := k.Set("account:t", []byte("v3")); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Get("account:t"); string(got) != "v3" {
		t.Fatalf("got %q", got)
	}
}

// keychainChild runs one keychain call in a fresh process (go-keyring's
// D-Bus connection is per process) and prints the outcome as JSON.
func keychainChild() int {
	k := NewKeychain(os.Getenv("SC_DIR"))
	k.Timeout = 700 * time.Millisecond
	start := time.Now()
	err := k.Probe()
	out := map[string]any{"ms": time.Since(start).Milliseconds()}
	var ke *KeychainError
	if errors.As(err, &ke) {
		out["kind"], out["msg"], out["advice"] = string(ke.Kind), ke.Error(), ke.Advice
	} else if err != nil {
		out["kind"], out["msg"] = "not a KeychainError", err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
	return 0
}

type childOutcome struct {
	MS     int64
	Kind   string
	Msg    string
	Advice string
}

func probeInChild(t *testing.T, busAddress string) childOutcome {
	t.Helper()
	cmd := child(t, "keychain", "SC_DIR="+t.TempDir(), "DBUS_SESSION_BUS_ADDRESS="+busAddress)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var o childOutcome
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	return o
}

func TestKeychainNoSessionBus(t *testing.T) {
	o := probeInChild(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus-here"))
	if o.Kind != string(KindNoService) {
		t.Fatalf("want kind %s, got %s: %s", KindNoService, o.Kind, o.Msg)
	}
	mustContain(t, o.Msg, "no Secret Service", "accounts cannot be saved", "gnome-keyring", "KeePassXC")
	t.Logf("message: %s", o.Msg)
}

// TestKeychainNoSecretService runs a real session bus on which nobody
// provides org.freedesktop.secrets, as on a desktop without a keyring.
func TestKeychainNoSecretService(t *testing.T) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is needed for this test (Debian package dbus): %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	// No <servicedir>: nothing can be activated, so the name stays unowned.
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon did not start: %v", err)
	}
	o := probeInChild(t, strings.TrimSpace(addr))
	if o.Kind != string(KindNoService) {
		t.Fatalf("want kind %s, got %s: %s", KindNoService, o.Kind, o.Msg)
	}
	mustContain(t, o.Msg, "no Secret Service", "accounts cannot be saved", "org.freedesktop.secrets", "gnome-keyring", "KeePassXC")
	t.Logf("message: %s", o.Msg)
}

// TestKeychainTimeoutRealClient points go-keyring at a socket that accepts
// and never answers, like a hung keychain daemon.
func TestKeychainTimeoutRealClient(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hung-bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // hold it open, say nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	o := probeInChild(t, "unix:path="+sock)
	if o.Kind != string(KindTimeout) {
		t.Fatalf("want kind %s, got %s: %s", KindTimeout, o.Kind, o.Msg)
	}
	if o.MS > 5000 {
		t.Fatalf("a 700 ms timeout took %d ms", o.MS)
	}
	mustContain(t, o.Msg, "did not answer", "unlock")
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want KeychainErrorKind
	}{
		{dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}, KindNoService},
		{errors.New("The name org.freedesktop.secrets was not provided by any .service files"), KindNoService},
		{errors.New("dbus: couldn't determine address of session bus"), KindNoService},
		{errors.New(`exec: "dbus-launch": executable file not found in $PATH`), KindNoService},
		{errors.New("dial unix /run/user/1000/bus: connect: no such file or directory"), KindNoService},
		{errors.New("A specified logon session does not exist. It may already have been terminated."), KindNoService},
		{dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, KindLocked},
		{dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject", Body: []any{"No such secret collection at path: /org/freedesktop/secrets/aliases/default"}}, KindLocked},
		{errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), KindLocked},
		{errors.New("security: SecKeychainItemCopyContent: User interaction is not allowed."), KindLocked},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}, KindDenied},
		{errors.New("Access is denied."), KindDenied},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, KindTimeout},
		{keyring.ErrSetDataTooBig, KindTooBig},
		{errors.New("something else entirely"), KindOther},
	}
	for _, c := range cases {
		if got := classify(c.err); got != c.want {
			t.Errorf("classify(%q) = %s, want %s", c.err, got, c.want)
		}
	}
	// Every kind has a summary and advice that say something.
	for _, kind := range []KeychainErrorKind{KindNoService, KindLocked, KindDenied, KindTimeout, KindTooBig, KindDamaged, KindOther} {
		e := &KeychainError{Kind: kind, Op: "get", Key: "account:x", Err: errors.New("cause"), Advice: adviceFor(kind)}
		if len(e.Advice) < 20 || !strings.Contains(e.Error(), "account:x") || !strings.Contains(e.Error(), e.Advice) {
			t.Errorf("kind %s: thin message %q", kind, e.Error())
		}
	}
}

func TestServiceName(t *testing.T) {
	def, err := defaultDataDir()
	if err != nil {
		t.Fatal(err)
	}
	if got := serviceName(def); got != "SellerConnect" {
		t.Errorf("default data dir: service %q, want SellerConnect", got)
	}
	if got := serviceName(def + string(filepath.Separator)); got != "SellerConnect" {
		t.Errorf("default data dir with a slash: service %q", got)
	}
	a, b := serviceName("/tmp/profile-a"), serviceName("/tmp/profile-b")
	if a == b || !strings.HasPrefix(a, "SellerConnect-") || a != serviceName("/tmp/profile-a/") {
		t.Errorf("profile services: %q %q", a, b)
	}
}

func TestEntryLimits(t *testing.T) {
	if defaultEntryLimit("windows") != 2560 || defaultEntryLimit("darwin") > 3000 || defaultEntryLimit("linux") != 0 {
		t.Fatal("platform entry limits changed")
	}
}
