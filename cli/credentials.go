package cli

import (
	"fmt"
	"slices"
	"strings"
)

// cmdCredentials enters a provider's app credentials (client id and secret,
// partnerId, RuName...) as the desktop app's Settings do: one prompt per
// setting on stderr, one line each from stdin. Secrets are read without echo
// on a terminal and go to the keychain; they never appear in arguments,
// where other users of the machine could see them. An empty line keeps the
// current value.
func (r *runner) cmdCredentials(args []string) int {
	fs := newFlags("credentials")
	confirm := fs.Bool("confirm-endpoints", false, "trust the token, revoke and test addresses a provider file set")
	pos, code, done := r.parse("credentials", fs, args, 1, 1)
	if done {
		return code
	}
	s, info, err := r.openProvider(pos[0])
	if err != nil {
		return r.fail(err, "")
	}
	p := info
	if *confirm {
		if info.EndpointsChanged == "" {
			fmt.Fprintf(r.stderr, "%s sends its credentials where they were entered for; nothing to confirm.\n", p.Name)
			return ExitOK
		}
		if err := s.svc.ConfirmEndpoints(p.ID); err != nil {
			return r.fail(err, "")
		}
		fmt.Fprintf(r.stderr, "Confirmed: %s now sends its credentials and tokens to the addresses in %s.\n", p.Name, p.Source)
		return ExitOK
	}
	if len(p.Settings) == 0 {
		fmt.Fprintf(r.stderr, "%s needs no app credentials.\n", p.Name)
		return ExitOK
	}
	// Secrets are kept in the keychain: without one nothing can be saved.
	if err := s.svc.CheckKeychain(); err != nil {
		return r.fail(err, "")
	}
	in := r.lines()
	fmt.Fprintf(r.stderr, "App credentials for %s (an empty line keeps the current value).\n", p.Name)
	values := map[string]string{}
	for _, st := range p.Settings {
		label := st.Label
		if label == "" {
			label = st.Key
		}
		state := "set"
		if slices.Contains(info.MissingSettings, st.Key) {
			state = "missing"
		}
		fmt.Fprintf(r.stderr, "%s [%s]: ", label, state)
		var v string
		if st.Secret && isTerminal(r.stdin) {
			v, err = withoutEcho(r.stdin, in.line)
			fmt.Fprintln(r.stderr)
		} else {
			v, err = in.line()
		}
		if v = strings.TrimSpace(v); v != "" {
			values[st.Key] = v
		}
		if err != nil {
			break // end of input: keep the rest
		}
	}
	if len(values) == 0 {
		fmt.Fprintln(r.stderr, "Nothing changed.")
		return ExitOK
	}
	if err := s.svc.SetProviderSettings(p.ID, values); err != nil {
		return r.fail(err, "")
	}
	info, err = findProvider(s.svc, p.ID)
	if err != nil {
		return r.fail(err, "")
	}
	if len(info.MissingSettings) > 0 {
		fmt.Fprintf(r.stderr, "Saved. Still missing: %s.\n", strings.Join(info.MissingSettings, ", "))
		return ExitCredentials
	}
	fmt.Fprintf(r.stderr, "Saved. %s is ready to connect.\n", p.Name)
	return ExitOK
}
