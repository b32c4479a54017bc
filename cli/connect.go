package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// lineReader reads stdin line by line for every prompt of one command, so
// the email prompt and the paste wait never compete over buffered input.
type lineReader struct {
	mu sync.Mutex
	br *bufio.Reader
}

func (l *lineReader) line() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.br.ReadString('\n')
	if err == io.EOF && s != "" {
		err = nil
	}
	return strings.TrimRight(s, "\r\n"), err
}

func (r *runner) lines() *lineReader {
	if r.input == nil {
		r.input = &lineReader{br: bufio.NewReader(r.stdin)}
	}
	return r.input
}

func findProvider(svc *accounts.Service, id string) (accounts.Provider, error) {
	for _, p := range providerList(svc) {
		if p.ID == id {
			return p, nil
		}
	}
	if err := svc.ProviderOff(id); err != nil {
		return accounts.Provider{}, err
	}
	return accounts.Provider{}, usageErr("Run \"sellerconnect providers\" to list them.", "there is no provider %q", id)
}

func (r *runner) cmdConnect(args []string) int {
	fs := newFlags("connect")
	noBrowser := fs.Bool("no-browser", false, "do not open a browser: print the address to open on stderr and wait")
	pos, code, done := r.parse("connect", fs, args, 1, 1)
	if done {
		return code
	}
	s, info, err := r.openProvider(pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	p := info
	// Check the keychain before the seller consents: a grant that cannot be
	// saved is a wasted consent. First, too, because the app credentials
	// live there: an unavailable keychain is not "credentials missing".
	if err := s.svc.CheckKeychain(); err != nil {
		return r.fail(err, "")
	}
	if len(info.MissingSettings) > 0 {
		return r.fail(&cliError{code: ExitCredentials,
			msg:    fmt.Sprintf("the app credentials for %s are missing (%s)", p.Name, strings.Join(info.MissingSettings, ", ")),
			advice: fmt.Sprintf("Enter them in the desktop app's Settings, or run \"sellerconnect credentials %s\".", p.ID)}, "")
	}

	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	req := accounts.ConnectRequest{Provider: p.ID, NoBrowser: *noBrowser}
	if p.Password {
		req.Email, req.Password, err = r.askPassword(p)
		if err != nil {
			return r.fail(err, "")
		}
	} else {
		paste := p.Paste
		req.OnAuthURL = func(u string) { r.showAuthURL(p, u, *noBrowser, paste) }
		// Paste-mode providers finish only with a pasted address; loopback
		// ones accept one as a fallback when the browser runs elsewhere.
		if paste || *noBrowser {
			var once sync.Once
			var ch chan string
			var waiting atomic.Bool // nothing usable pasted yet
			waiting.Store(true)
			req.Paste = func() <-chan string {
				once.Do(func() {
					ch = make(chan string, 1)
					go r.readPaste(ch, paste, &waiting, cancel)
				})
				return ch
			}
			req.OnBadPaste = func(err error) {
				waiting.Store(true)
				msg, advice := describe(err, p.Name)
				fmt.Fprintf(r.stderr, "%s\n%s\nPaste the address again and press Enter:\n", sentence(msg), sentence(advice))
			}
		}
	}
	a, err := s.svc.Connect(ctx, req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		return r.fail(err, p.Name)
	}
	name := a.DisplayName
	if name == "" {
		name = "the account"
	}
	fmt.Fprintf(r.stderr, "Connected %s on %s as %s.\n", name, p.Name, a.ID)
	fmt.Fprintln(r.stdout, a.ID)
	return ExitOK
}

func (r *runner) showAuthURL(p accounts.Provider, u string, noBrowser, paste bool) {
	if noBrowser {
		fmt.Fprintf(r.stderr, "Open this address in a browser to connect %s:\n\n%s\n\n", p.Name, u)
	} else {
		fmt.Fprintf(r.stderr, "Opening the browser to connect %s. If it does not open, open this address:\n\n%s\n\n", p.Name, u)
	}
	switch {
	case paste:
		fmt.Fprintln(r.stderr, "After you approve, copy the address the browser ends on (even if the page does not load), paste it here and press Enter:")
	case noBrowser:
		fmt.Fprintln(r.stderr, "Waiting for approval. If the browser runs on another machine, paste the address it ends on here and press Enter.")
	default:
		fmt.Fprintln(r.stderr, "Waiting for approval in the browser (Ctrl-C gives up).")
	}
}

// readPaste delivers each non-empty line from stdin (a bad paste can be
// followed by another). When stdin ends first, a paste-mode connect can
// never finish, so it is cancelled.
func (r *runner) readPaste(ch chan<- string, required bool, waiting *atomic.Bool, cancel context.CancelCauseFunc) {
	in := r.lines()
	for {
		s, err := in.line()
		if s = strings.TrimSpace(s); s != "" {
			waiting.Store(false)
			ch <- s
			continue
		}
		if err != nil {
			// Input ended: fatal only while no usable paste is in hand (the
			// last one may still be checked; a bad one sets waiting again).
			time.Sleep(200 * time.Millisecond)
			if required && waiting.Load() {
				cancel(&cliError{code: ExitOther, msg: "standard input ended before an address was pasted",
					advice: "Run the command in a terminal and paste the address the browser ends on."})
			}
			return
		}
	}
}

// askPassword prompts on stderr for a password provider's email and
// password; the password is read without echo from a terminal.
func (r *runner) askPassword(p accounts.Provider) (email, password string, err error) {
	in := r.lines()
	fmt.Fprintf(r.stderr, "Sign in to %s.\nEmail: ", p.Name)
	email, err = in.line()
	email = strings.TrimSpace(email)
	if err != nil || email == "" {
		return "", "", &cliError{code: ExitUsage, msg: "no email was entered", advice: "Enter the email of the seller account to connect."}
	}
	fmt.Fprint(r.stderr, "Password: ")
	if isTerminal(r.stdin) {
		password, err = withoutEcho(r.stdin, in.line)
		fmt.Fprintln(r.stderr)
	} else {
		password, err = in.line()
	}
	if err != nil || password == "" {
		return "", "", &cliError{code: ExitUsage, msg: "no password was entered", advice: "Enter the seller account's password; it is sent once and never stored."}
	}
	return email, password, nil
}

// providerList is the provider catalog (the files that did not load are
// the providers command's and doctor's to tell).
func providerList(svc *accounts.Service) []accounts.Provider {
	list, _ := svc.Providers()
	return list
}
