package storage

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrAlreadyRunning is returned by AcquireInstance when another SellerConnect
// window already runs with the same data directory.
var ErrAlreadyRunning = errors.New("SellerConnect is already running with this data directory")

// ErrNotRunning is returned by ActivateRunning when no running instance
// could be reached.
var ErrNotRunning = errors.New("no running SellerConnect window to activate")

const (
	instanceLock = "instance.lock"
	instanceFile = "instance.json"
	activateCmd  = "ACTIVATE"
)

// Instance is the desktop app's claim to be the only window for a data
// directory. Hold it for the app's lifetime; Close releases it.
type Instance struct {
	dataDir string
	release func()

	mu    sync.Mutex
	ln    net.Listener
	token string
	wg    sync.WaitGroup
}

// instanceInfo is what a second launch reads to reach the first: a
// loopback address and a random token that proves the caller can read the
// data directory (the file is 0600 in a 0700 directory).
type instanceInfo struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
}

// AcquireInstance claims the data directory for this process's window. It
// returns ErrAlreadyRunning when another window (in any process) holds it;
// the caller can then ActivateRunning and exit.
func AcquireInstance(dataDir string) (*Instance, error) {
	if err := ensureDir(dataDir); err != nil {
		return nil, err
	}
	rel, err := lockFile(context.Background(), filepath.Join(dataDir, "locks", instanceLock), false)
	if errors.Is(err, ErrBusy) {
		return nil, ErrAlreadyRunning
	}
	if err != nil {
		return nil, err
	}
	return &Instance{dataDir: dataDir, release: rel}, nil
}

// Listen accepts activation requests from later launches on a loopback
// port and calls onActivate (from a background goroutine) for each. It
// publishes the address and a fresh token in the data directory.
func (in *Instance) Listen(onActivate func()) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.release == nil {
		return errors.New("instance: closed")
	}
	if in.ln != nil {
		return errors.New("instance: already listening")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	info := instanceInfo{Addr: ln.Addr().String(), Token: randomHex(16), PID: os.Getpid()}
	data, _ := json.Marshal(info)
	if err := writeFileAtomic(filepath.Join(in.dataDir, instanceFile), data); err != nil {
		ln.Close()
		return fmt.Errorf("instance: %w", err)
	}
	in.ln, in.token = ln, info.Token
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			in.wg.Add(1)
			go func() {
				defer in.wg.Done()
				if in.serve(c) && onActivate != nil {
					onActivate()
				}
			}()
		}
	}()
	return nil
}

// serve reads one "ACTIVATE <token>" line and answers "OK" when the token
// matches.
func (in *Instance) serve(c net.Conn) bool {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(&limitedReader{c, 256}).ReadString('\n')
	if err != nil {
		return false
	}
	cmd, tok, _ := strings.Cut(strings.TrimSpace(line), " ")
	if cmd != activateCmd || subtle.ConstantTimeCompare([]byte(tok), []byte(in.token)) != 1 {
		fmt.Fprint(c, "DENIED\n")
		return false
	}
	fmt.Fprint(c, "OK\n")
	return true
}

type limitedReader struct {
	c net.Conn
	n int
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("line too long")
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= n
	return n, err
}

// Close stops listening, removes the published address and releases the
// claim. It is safe to call more than once.
func (in *Instance) Close() error {
	in.mu.Lock()
	ln, rel := in.ln, in.release
	in.ln, in.release = nil, nil
	in.mu.Unlock()
	if ln != nil {
		ln.Close()
		os.Remove(filepath.Join(in.dataDir, instanceFile))
	}
	in.wg.Wait()
	if rel != nil {
		rel()
	}
	return nil
}

// ActivateRunning asks the window holding dataDir to come to the front. It
// returns ErrNotRunning (wrapped) when none answers.
func ActivateRunning(dataDir string) error {
	data, err := os.ReadFile(filepath.Join(dataDir, instanceFile))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotRunning, err)
	}
	var info instanceInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Addr == "" || info.Token == "" {
		return fmt.Errorf("%w: %s is unreadable", ErrNotRunning, instanceFile)
	}
	host, _, err := net.SplitHostPort(info.Addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("%w: %s names a non-loopback address", ErrNotRunning, instanceFile)
	}
	c, err := net.DialTimeout("tcp", info.Addr, 2*time.Second)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotRunning, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "%s %s\n", activateCmd, info.Token); err != nil {
		return fmt.Errorf("%w: %w", ErrNotRunning, err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotRunning, err)
	}
	if strings.TrimSpace(reply) != "OK" {
		return fmt.Errorf("%w: the running window refused the request", ErrNotRunning)
	}
	return nil
}
