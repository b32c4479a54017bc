package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// resolve finds an account by id, else by display name (exactly, then
// ignoring case). An ambiguous name is a usage error listing the ids.
func resolve(svc *accounts.Service, name string) (accounts.Account, error) {
	// An id is looked up alone: a command about one account does not read
	// every account.
	if a, err := svc.Get(name); err == nil {
		return a, nil
	}
	all := svc.List()
	for _, a := range all {
		if a.ID == name {
			return a, nil
		}
	}
	for _, exact := range []bool{true, false} {
		var hits []accounts.Account
		for _, a := range all {
			if a.DisplayName == "" {
				continue
			}
			if (exact && a.DisplayName == name) || (!exact && strings.EqualFold(a.DisplayName, name)) {
				hits = append(hits, a)
			}
		}
		switch {
		case len(hits) == 1:
			return hits[0], nil
		case len(hits) > 1:
			ids := make([]string, len(hits))
			for i, a := range hits {
				ids[i] = a.ID
			}
			return accounts.Account{}, usageErr("Name the account by its id instead.",
				"%q names %d accounts (%s)", name, len(hits), strings.Join(ids, ", "))
		}
	}
	return accounts.Account{}, usageErr("Run \"sellerconnect accounts\" to list them.", "there is no account %q", name)
}

// subject names an account in error sentences.
func subject(a accounts.Account) string {
	if a.DisplayName != "" && a.DisplayName != a.ID {
		return fmt.Sprintf("account %s (%s on %s)", a.ID, a.DisplayName, providerLabel(a))
	}
	return fmt.Sprintf("account %s (%s)", a.ID, providerLabel(a))
}

func providerLabel(a accounts.Account) string {
	if a.ProviderName != "" {
		return a.ProviderName
	}
	return a.Provider
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// when formats a time for tables: local time to the minute, "-" when unknown.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func (r *runner) cmdProviders(args []string) int {
	fs := newFlags("providers")
	asJSON := fs.Bool("json", false, "print JSON (see the README for the format)")
	if _, code, done := r.parse("providers", fs, args, 0, 0); done {
		return code
	}
	s, err := r.open(false)
	if err != nil {
		return r.fail(err, "")
	}
	list, fileErrs := s.svc.Providers()
	out := providersOutput(list, fileErrs)
	if *asJSON {
		if err := writeJSON(r.stdout, out); err != nil {
			return r.fail(err, "")
		}
	} else {
		tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCONNECT\tSOURCE\tAPP CREDENTIALS")
		for _, p := range out.Providers {
			ready := "ready"
			switch {
			case p.EndpointsChanged != "":
				ready = "endpoints changed by " + p.Source + ": confirm (sellerconnect credentials " + p.ID + " --confirm-endpoints)"
			case !p.Ready:
				ready = "missing " + strings.Join(p.MissingSettings, ", ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Connect, p.Source, ready)
		}
		tw.Flush()
	}
	return r.warnCatalog(s, fileErrs)
}

// warnCatalog tells about provider files that did not load; listing
// commands still answer but exit 4 so scripts notice.
func (r *runner) warnCatalog(s *session, fileErrs []error) int {
	if len(fileErrs) == 0 {
		return ExitOK
	}
	for _, e := range fileErrs {
		fmt.Fprintf(r.stderr, "sellerconnect: %s\n", sentence("a provider file did not load: "+e.Error()))
	}
	fmt.Fprintf(r.stderr, "Fix or remove the file in %s.\n", providersDir(s.dir))
	return ExitCredentials
}

func (r *runner) cmdAccounts(args []string) int {
	fs := newFlags("accounts")
	asJSON := fs.Bool("json", false, "print JSON (see the README for the format)")
	if _, code, done := r.parse("accounts", fs, args, 0, 0); done {
		return code
	}
	s, err := r.open(false)
	if err != nil {
		return r.fail(err, "")
	}
	list := s.svc.List()
	if *asJSON {
		out := accountsJSON{Schema: schemaVersion, Accounts: make([]accountJSON, 0, len(list))}
		for _, a := range list {
			out.Accounts = append(out.Accounts, accountOutput(a))
		}
		if err := writeJSON(r.stdout, out); err != nil {
			return r.fail(err, "")
		}
		return ExitOK
	}
	if len(list) == 0 {
		fmt.Fprintln(r.stderr, "No accounts yet: connect one with \"sellerconnect connect PROVIDER\".")
		return ExitOK
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROVIDER\tNAME\tSTATUS\tACCESS EXPIRES\tRECONNECT BY")
	for _, a := range list {
		name := a.DisplayName
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Provider, name, a.Status, when(a.AccessExpiry), when(a.ReconnectBy))
	}
	tw.Flush()
	return ExitOK
}

func (r *runner) cmdToken(args []string) int {
	pos, code, done := r.parse("token", newFlags("token"), args, 1, 1)
	if done {
		return code
	}
	s, a, err := r.openAccount(pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	tok, err := s.svc.Token(r.ctx, a.ID)
	if err != nil {
		return r.fail(err, subject(a))
	}
	fmt.Fprintln(r.stdout, tok)
	return ExitOK
}

func (r *runner) cmdRefresh(args []string) int {
	fs := newFlags("refresh")
	all := fs.Bool("all", false, "refresh every account")
	pos, code, done := r.parse("refresh", fs, args, 0, 1)
	if done {
		return code
	}
	if *all == (len(pos) == 1) {
		return r.usageError("refresh: name one ACCOUNT or give --all")
	}
	s, err := r.openUsable()
	if err != nil {
		return r.fail(err, "")
	}
	if *all {
		return r.refreshAll(s)
	}
	a, err := resolve(s.svc, pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	if err := s.svc.Refresh(r.ctx, a.ID); err != nil {
		return r.fail(err, subject(a))
	}
	if now, err := s.svc.Get(a.ID); err == nil {
		a = now
	}
	fmt.Fprintf(r.stdout, "%s\t%s\taccess token valid until %s\n", a.ID, a.Status, stamp(a.AccessExpiry))
	return ExitOK
}

// refreshAll is the window's "Refresh all": every account that can be
// refreshed, in parallel; those waiting for the seller are listed as
// skipped. The exit code is the failures' common code, else 1.
func (r *runner) refreshAll(s *session) int {
	result := ExitOK
	for _, o := range s.svc.RefreshEach(r.ctx) {
		a, _ := s.svc.Get(o.ID)
		switch {
		case o.Skipped:
			fmt.Fprintf(r.stdout, "%s\t%s\tskipped: %s\n", o.ID, a.Status, o.Reason)
			continue
		case o.Err != nil:
			c := r.fail(o.Err, subject(a))
			if result == ExitOK {
				result = c
			} else if result != c {
				result = ExitOther
			}
			continue
		}
		fmt.Fprintf(r.stdout, "%s\t%s\taccess token valid until %s\n", a.ID, a.Status, stamp(a.AccessExpiry))
	}
	return result
}

// stamp formats a time for line output: RFC 3339 in UTC, "unknown" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

func (r *runner) cmdTest(args []string) int {
	pos, code, done := r.parse("test", newFlags("test"), args, 1, 1)
	if done {
		return code
	}
	s, a, err := r.openAccount(pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	got, err := s.svc.Test(r.ctx, a.ID)
	if err != nil {
		return r.fail(err, subject(a))
	}
	name, remote := got.DisplayName, got.RemoteID
	if name == "" {
		name = "-"
	}
	if remote == "" {
		remote = "-"
	}
	fmt.Fprintf(r.stdout, "%s\tok\tname %s\tid %s\n", got.ID, name, remote)
	return ExitOK
}

func (r *runner) cmdDisconnect(args []string) int {
	pos, code, done := r.parse("disconnect", newFlags("disconnect"), args, 1, 1)
	if done {
		return code
	}
	s, err := r.open(true)
	if err != nil {
		return r.fail(err, "")
	}
	a, err := resolve(s.svc, pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	revoked, help, err := s.svc.Disconnect(r.ctx, a.ID)
	if err != nil {
		return r.fail(err, subject(a))
	}
	if revoked {
		fmt.Fprintf(r.stdout, "%s\tdisconnected\tthe provider revoked its tokens\n", a.ID)
	} else {
		if help == "" {
			help = "the provider offers no way to revoke them from here"
		}
		fmt.Fprintf(r.stdout, "%s\tdisconnected\tforgotten here; to revoke access at the provider: %s\n", a.ID, help)
	}
	return ExitOK
}
