package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sellerconnect/sellerconnect/accounts"
)

type doctorJSON struct {
	Schema  int         `json:"schema"`
	Version string      `json:"version"`
	DataDir string      `json:"data_dir"`
	OK      bool        `json:"ok"` // no check has status "fail"
	Checks  []checkJSON `json:"checks"`
}

type checkJSON struct {
	// Check is one of: data_dir, keychain, provider_files, service, clock,
	// reachability, account.
	Check   string `json:"check"`
	Subject string `json:"subject,omitempty"` // the provider id (clock, reachability) or account id (account)
	Status  string `json:"status"`            // ok, warn or fail
	Message string `json:"message"`
	Advice  string `json:"advice,omitempty"`
	// SkewSeconds is the provider's clock minus this machine's (clock).
	SkewSeconds *float64 `json:"skew_seconds,omitempty"`
	// LatencyMS is the time to the provider's answer (reachability).
	LatencyMS *int64 `json:"latency_ms,omitempty"`
	// AccountStatus is the account's status (account).
	AccountStatus string `json:"account_status,omitempty"`
}

const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// Clock skew thresholds: token expiry is judged on this machine's clock, so
// a clock minutes off makes the app use expired tokens or refresh too early.
const (
	skewWarn = 30 * time.Second
	skewFail = 2 * time.Minute
)

func (r *runner) cmdDoctor(args []string) int {
	fs := newFlags("doctor")
	asJSON := fs.Bool("json", false, "print JSON (see the README for the format)")
	if _, code, done := r.parse("doctor", fs, args, 0, 0); done {
		return code
	}
	out := r.doctor()
	if *asJSON {
		if err := writeJSON(r.stdout, out); err != nil {
			return r.fail(err, "")
		}
	} else {
		printDoctor(r.stdout, out)
	}
	if !out.OK {
		return ExitOther
	}
	return ExitOK
}

func (r *runner) doctor() doctorJSON {
	out := doctorJSON{Schema: schemaVersion, Version: Version}
	add := func(c checkJSON) { out.Checks = append(out.Checks, c) }

	// A data directory that cannot take new files still opens for
	// reading, and the other checks go on; one that cannot be used at all
	// ends the checks, as does a service that does not open.
	dataDirFailed := false
	s, err := r.open(true)
	if err != nil && accounts.ProblemOf(err, "").Kind == "data_dir" {
		msg, advice := describe(err, "")
		add(checkJSON{Check: "data_dir", Status: checkFail, Message: msg, Advice: advice})
		dataDirFailed = true
		if s, err = r.open(false); err != nil && accounts.ProblemOf(err, "").Kind == "data_dir" {
			return finish(out)
		}
	}
	if err != nil {
		msg, advice := describe(err, "")
		add(checkJSON{Check: "service", Status: checkFail, Message: msg, Advice: advice})
		return finish(out)
	}
	if !dataDirFailed {
		add(checkJSON{Check: "data_dir", Status: checkOK, Message: s.dir + " is writable"})
	}
	dir := s.dir
	out.DataDir = dir

	if err := s.svc.CheckKeychain(); err != nil {
		msg, advice := describe(err, "")
		add(checkJSON{Check: "keychain", Status: checkFail, Message: msg, Advice: advice})
	} else {
		add(checkJSON{Check: "keychain", Status: checkOK, Message: "writing, reading and deleting a probe entry worked"})
	}

	providers, fileErrs := s.svc.Providers()
	if len(fileErrs) == 0 {
		add(checkJSON{Check: "provider_files", Status: checkOK, Message: "every provider file in " + providersDir(dir) + " loaded"})
	}
	for _, e := range fileErrs {
		add(checkJSON{Check: "provider_files", Status: checkFail, Message: e.Error(),
			Advice: "Fix or remove the file in " + providersDir(dir) + "."})
	}

	for _, p := range providers {
		if p.EndpointsChanged != "" {
			add(checkJSON{Check: "provider_files", Subject: p.ID, Status: checkWarn, Message: p.EndpointsChanged,
				Advice: fmt.Sprintf("If the change is yours, confirm it: sellerconnect credentials %s --confirm-endpoints; if not, remove the file.", p.ID)})
		}
	}
	list := s.svc.List()
	for _, c := range r.probeProviders(providers, list) {
		add(c)
	}
	for _, a := range list {
		add(accountCheck(a))
	}
	if len(list) == 0 {
		add(checkJSON{Check: "account", Status: checkOK, Message: "no accounts connected yet"})
	}
	return finish(out)
}

func finish(out doctorJSON) doctorJSON {
	out.OK = true
	for _, c := range out.Checks {
		if c.Status == checkFail {
			out.OK = false
		}
	}
	return out
}

func accountCheck(a accounts.Account) checkJSON {
	c := checkJSON{Check: "account", Subject: a.ID, AccountStatus: string(a.Status), Advice: a.Action}
	switch a.Status {
	case accounts.StatusConnected, accounts.StatusRefreshing:
		c.Status = checkOK
	case accounts.StatusReconnect, accounts.StatusCredentials:
		c.Status = checkFail
	default:
		c.Status = checkWarn
	}
	msg := fmt.Sprintf("%s on %s: %s", orDash(a.DisplayName), providerLabel(a), strings.ReplaceAll(string(a.Status), "_", " "))
	if a.Reason != "" {
		msg += "; " + strings.TrimSuffix(a.Reason, ".")
	}
	if !a.AccessExpiry.IsZero() {
		msg += "; access token until " + stamp(a.AccessExpiry)
	}
	if !a.ReconnectBy.IsZero() {
		msg += "; reconnect by " + stamp(a.ReconnectBy)
	}
	c.Message = msg
	return c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// probeProviders asks each provider in use for its token endpoint, in
// parallel: any HTTP answer proves it is reachable, and its Date header
// shows how far this machine's clock is off.
func (r *runner) probeProviders(providers []accounts.Provider, list []accounts.Account) []checkJSON {
	profiles := map[string]accounts.Provider{}
	moved := map[string]bool{}
	for _, p := range providers {
		if p.EndpointsChanged != "" {
			moved[p.ID] = true // not even a probe goes to unconfirmed addresses
			continue
		}
		profiles[p.ID] = p
	}
	var ids []string
	seen := map[string]bool{}
	for _, a := range list {
		if !seen[a.Provider] {
			seen[a.Provider] = true
			ids = append(ids, a.Provider)
		}
	}
	results := make([][]checkJSON, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		p, ok := profiles[id]
		if moved[id] {
			continue // warned of with the provider files
		}
		if !ok {
			results[i] = []checkJSON{{Check: "reachability", Subject: id, Status: checkFail,
				Message: "the provider is not in the catalog", Advice: "Restore its provider file, or disconnect its accounts."}}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = probe(r.ctx, p)
		}()
	}
	wg.Wait()
	var out []checkJSON
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

var probeClient = &http.Client{
	Timeout: 10 * time.Second,
	// A redirect is an answer too; following it would probe another host.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func probe(ctx context.Context, p accounts.Provider) []checkJSON {
	target := p.TokenURL
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return []checkJSON{{Check: "reachability", Subject: p.ID, Status: checkFail,
			Message: fmt.Sprintf("the token address %q is not valid: %v", target, err), Advice: "Fix the provider's token_url."}}
	}
	start := time.Now()
	resp, err := probeClient.Do(req)
	end := time.Now()
	if err != nil {
		return []checkJSON{{Check: "reachability", Subject: p.ID, Status: checkFail,
			Message: fmt.Sprintf("%s did not answer at %s: %v", p.Name, target, err),
			Advice:  "Check the network connection, proxy and firewall; the provider may also be down."}}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	latency := end.Sub(start).Milliseconds()
	out := []checkJSON{{Check: "reachability", Subject: p.ID, Status: checkOK, LatencyMS: &latency,
		Message: fmt.Sprintf("%s answered at %s in %d ms (HTTP %d)", p.Name, target, latency, resp.StatusCode)}}
	if resp.StatusCode >= 500 {
		out[0].Status = checkWarn
		out[0].Advice = "The provider reports a server error; try again later."
	}

	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return append(out, checkJSON{Check: "clock", Subject: p.ID, Status: checkWarn,
			Message: p.Name + " sent no usable Date header, so the clock could not be compared"})
	}
	// Date has whole seconds: its true time lies within the next second.
	mid := start.Add(end.Sub(start) / 2)
	skew := date.Add(500 * time.Millisecond).Sub(mid)
	secs := math.Round(skew.Seconds()*10) / 10
	c := checkJSON{Check: "clock", Subject: p.ID, Status: checkOK, SkewSeconds: &secs}
	abs := skew.Abs()
	switch {
	case abs < time.Second:
		c.Message = fmt.Sprintf("this machine's clock agrees with %s's", p.Name)
	case skew > 0:
		c.Message = fmt.Sprintf("this machine's clock is %.0f s behind %s's", abs.Seconds(), p.Name)
	default:
		c.Message = fmt.Sprintf("this machine's clock is %.0f s ahead of %s's", abs.Seconds(), p.Name)
	}
	switch {
	case abs >= skewFail:
		c.Status = checkFail
	case abs >= skewWarn:
		c.Status = checkWarn
	}
	if c.Status != checkOK {
		c.Advice = "Turn on automatic date and time (network time) in the system settings."
	}
	return append(out, c)
}

func printDoctor(w io.Writer, d doctorJSON) {
	for _, c := range d.Checks {
		label := strings.ReplaceAll(c.Check, "_", " ")
		if c.Subject != "" {
			label += " " + c.Subject
		}
		fmt.Fprintf(w, "%-4s  %-28s  %s\n", strings.ToUpper(c.Status), label, sentence(c.Message))
		if c.Advice != "" {
			fmt.Fprintf(w, "      %-28s  %s\n", "", sentence(c.Advice))
		}
	}
	warnings := 0
	for _, c := range d.Checks {
		if c.Status == checkWarn {
			warnings++
		}
	}
	switch {
	case d.OK && warnings == 0:
		fmt.Fprintln(w, "\nNo problems found.")
	case d.OK:
		fmt.Fprintf(w, "\nNo check failed, but %d need%s a look: see above.\n", warnings, map[bool]string{true: "s", false: ""}[warnings == 1])
	default:
		fmt.Fprintln(w, "\nSome checks failed: see above.")
	}
}
