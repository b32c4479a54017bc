package cli

import (
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/storage"
)

// --hidden reaches the desktop app, and the login item's arguments name
// the data directory whenever it was chosen (by flag or variable), since a
// login session knows neither.
func TestHiddenAndLoginArgs(t *testing.T) {
	dir := t.TempDir()
	var got GUIOptions
	gui := func(_ *accounts.Service, o GUIOptions) int { got = o; return 0 }

	t.Setenv(storage.DataDirEnv, "")
	if _, errs, code := runArgs(t, gui, "--hidden", "--data-dir", dir); code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if !got.Hidden || strings.Join(got.LoginArgs, " ") != "--data-dir "+dir+" --hidden" {
		t.Errorf("--hidden --data-dir: hidden %v, login args %q", got.Hidden, got.LoginArgs)
	}

	t.Setenv(storage.DataDirEnv, dir)
	if _, _, code := runArgs(t, gui); code != 0 || got.Hidden || strings.Join(got.LoginArgs, " ") != "--data-dir "+dir+" --hidden" {
		t.Errorf("$%s: code %d, hidden %v, login args %q", storage.DataDirEnv, code, got.Hidden, got.LoginArgs)
	}

	cfg := t.TempDir()
	t.Setenv(storage.DataDirEnv, "")
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", cfg)
	t.Setenv("AppData", cfg)
	if _, errs, code := runArgs(t, gui, "--hidden"); code != 0 || !got.Hidden || strings.Join(got.LoginArgs, " ") != "--hidden" {
		t.Errorf("default data dir: code %d (%s), hidden %v, login args %q", code, errs, got.Hidden, got.LoginArgs)
	}

	out, _, _ := runArgs(t, nil, "--help")
	if !strings.Contains(out, "--hidden ") {
		t.Error("--help does not name --hidden")
	}
}

func TestDataDirEnvIsTheServices(t *testing.T) {
	if dataDirEnv != storage.DataDirEnv {
		t.Errorf("the command line reads %s, the service %s", dataDirEnv, storage.DataDirEnv)
	}
}
