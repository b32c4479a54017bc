//go:build linux

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/oauth/emulator"
)

// TestShippedAppHoldsNoTestParts: the app sellers install depends on
// neither the test emulator nor the fault-injecting store, and its binary
// holds none of the emulator's test credentials.
func TestShippedAppHoldsNoTestParts(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "migrated_fynedo", "-deps", "github.com/sellerconnect/sellerconnect").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "/oauth/emulator") || strings.HasSuffix(pkg, "/storage/faultstore") {
			t.Errorf("the shipped app depends on %s", pkg)
		}
	}
	bin, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{emulator.TestPassword, emulator.TestClientSecret} {
		if bytes.Contains(bin, []byte(s)) {
			t.Errorf("the shipped binary contains the test credential %q", s)
		}
	}
}

// TestImportRules: only tests import the emulator and the fault store, and
// only the ui package (and main, which starts it) imports Fyne.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "migrated_fynedo", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/sellerconnect/sellerconnect/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/sellerconnect/sellerconnect"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		for _, imp := range imports {
			switch {
			case (imp == mod+"/oauth/emulator" || imp == mod+"/storage/faultstore") && !strings.HasPrefix(pkg, mod+"/oauth/emulator"):
				t.Errorf("%s imports %s outside its tests", pkg, imp)
			case strings.HasPrefix(imp, "fyne.io/") && pkg != mod && !strings.HasPrefix(pkg, mod+"/ui"):
				t.Errorf("%s imports %s: only ui may use Fyne", pkg, imp)
			}
		}
	}
}
