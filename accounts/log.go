package accounts

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/sellerconnect/sellerconnect/oauth"
)

// logEnv sets the log level ("debug", "info", "warn", "error"); it beats
// the setting.
const logEnv = "SELLERCONNECT_LOG"

// logFile is the log's path inside the data directory. It is rotated at
// 5 MB, keeping three old files; the window and every command append to it.
const logFile = "logs/sellerconnect.log"

// openLog returns the data directory's log, written through the redacting
// handler, and what closes it.
func openLog(dataDir string, level string, secrets *secretSet) (*slog.Logger, io.Closer) {
	lj := &lumberjack.Logger{Filename: filepath.Join(dataDir, filepath.FromSlash(logFile)), MaxSize: 5, MaxBackups: 3}
	if err := os.MkdirAll(filepath.Dir(lj.Filename), 0o700); err != nil {
		return slog.New(slog.DiscardHandler), io.NopCloser(nil)
	}
	var lv slog.Level
	if v := os.Getenv(logEnv); v != "" {
		level = v
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	h := slog.NewTextHandler(lj, &slog.HandlerOptions{Level: lv})
	return slog.New(&redactingHandler{inner: h, secrets: secrets}), lj
}

// redactingHandler removes secrets from every record before it is
// written: each value the process knows to be secret (tokens, client
// secrets), and anything shaped like a credential.
type redactingHandler struct {
	inner   slog.Handler
	secrets *secretSet
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.secrets.scrub(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = h.attr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		return slog.String(a.Key, h.secrets.scrub(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return &redactingHandler{inner: h.inner.WithAttrs(out), secrets: h.secrets}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}

// secretSet is every secret value this process knows (tokens it holds,
// client secrets it read), for scrubbing text it did not build itself.
// Secrets are opaque strings, so a text is cut into runs of token
// characters and each run is looked up: the cost follows the text, not the
// number of accounts.
type secretSet struct {
	mu sync.RWMutex
	m  map[string]struct{}
}

// maxKnownSecrets bounds the set; past it the oldest are not tracked, and
// the pattern rules still apply.
const maxKnownSecrets = 200_000

func (s *secretSet) add(vs ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]struct{}{}
	}
	for _, v := range vs {
		if len(v) >= 8 && len(s.m) < maxKnownSecrets {
			s.m[v] = struct{}{}
		}
	}
}

func (s *secretSet) remove(vs ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vs {
		delete(s.m, v)
	}
}

// tokenRun matches what a secret is made of (eBay's tokens carry ^ # + / =).
var tokenRun = regexp.MustCompile(`[A-Za-z0-9._~+/=^#%-]{8,}`)

// scrub replaces known secrets and credential-shaped strings in text.
func (s *secretSet) scrub(text string) string {
	if text == "" {
		return text
	}
	if s != nil {
		s.mu.RLock()
		if len(s.m) > 0 {
			text = tokenRun.ReplaceAllStringFunc(text, func(run string) string {
				if _, ok := s.m[run]; ok {
					return oauth.Redact(run)
				}
				// A secret inside a longer run (joined by = or &).
				for _, part := range strings.FieldsFunc(run, func(r rune) bool { return r == '=' || r == '&' || r == '%' }) {
					if _, ok := s.m[part]; ok {
						run = strings.ReplaceAll(run, part, oauth.Redact(part))
					}
				}
				return run
			})
		}
		s.mu.RUnlock()
	}
	return scrubPatterns(text)
}
