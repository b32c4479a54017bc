package cli

import (
	"os"
	"path/filepath"

	"github.com/sellerconnect/sellerconnect/accounts"
)

// unwrapPath drops the path from an *os.PathError, which the sentence
// already names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// session is an opened accounts service and its data directory.
type session struct {
	dir string
	svc *accounts.Service
}

// openUsable opens the data directory for a command that may write, and
// checks the service can work there.
func (r *runner) openUsable() (*session, error) {
	// A provider file that did not load turns off only the providers it
	// concerns: the service refuses those, and every other account works.
	return r.open(true)
}

// openAccount is openUsable, then the account name refers to.
func (r *runner) openAccount(name string) (*session, accounts.Account, error) {
	s, err := r.openUsable()
	if err != nil {
		return nil, accounts.Account{}, err
	}
	a, err := resolve(s.svc, name)
	return s, a, err
}

// openProvider is openUsable, then the provider id names.
func (r *runner) openProvider(id string) (*session, accounts.Provider, error) {
	s, err := r.openUsable()
	if err != nil {
		return nil, accounts.Provider{}, err
	}
	p, err := findProvider(s.svc, id)
	return s, p, err
}

// open opens the accounts service on the data directory (--data-dir, else
// $SELLERCONNECT_DATA_DIR, else the user config directory's default).
// writes says whether the command may change anything: such commands fail
// before touching anything when the directory cannot take new files.
func (r *runner) open(writes bool) (*session, error) {
	svc, err := openService(r.dataDirFlag, writes)
	if err != nil {
		return nil, err
	}
	s := &session{dir: svc.DataDir(), svc: svc}
	r.sessions = append(r.sessions, s)
	return s, nil
}

// closeAll closes the sessions a command opened: the service then writes
// its records and retries any token the keychain refused. A failure there
// turns a success into that failure's exit code.
func (r *runner) closeAll(code int) int {
	for _, s := range r.sessions {
		if err := s.svc.Close(); err != nil {
			c := r.fail(err, "")
			if code == ExitOK {
				code = c
			}
		}
	}
	r.sessions = nil
	return code
}

// providersDir is where user provider files live.
func providersDir(dataDir string) string { return filepath.Join(dataDir, "providers") }

// runGUI opens the service and hands it to the desktop app.
func (r *runner) runGUI() int {
	s, err := r.open(false)
	if err != nil {
		return r.fail(err, "")
	}
	return r.closeAll(r.gui(s.svc, GUIOptions{DataDir: s.dir, Version: Version, Stop: r.ctx.Done(),
		Hidden: r.hidden, LoginArgs: r.loginArgs(s.dir)}))
}

// dataDirEnv names the data directory when --data-dir does not (the
// service reads it; TestDataDirEnvIsTheServices checks the name).
const dataDirEnv = "SELLERCONNECT_DATA_DIR"

// loginArgs are the arguments that start this app in the tray at login on
// the data directory it runs on now.
func (r *runner) loginArgs(dir string) []string {
	if r.dataDirFlag != "" || os.Getenv(dataDirEnv) != "" {
		return []string{"--data-dir", dir, "--hidden"}
	}
	return []string{"--hidden"}
}
