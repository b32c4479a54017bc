//go:build linux

package cli

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
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

const module = "github.com/sellerconnect/sellerconnect"

// importRefused says why package pkg may not import imp ("" when it may).
// The rules: the emulator and the fault-injecting store are for tests;
// only ui (and main, which starts it) uses Fyne; the faces (ui and cli)
// see only the accounts service and assets. ui/internal/fixture stands in
// for the service in tests and screenshots, so it builds the service's
// inputs (catalog profiles, provider errors) itself.
func importRefused(pkg, imp string) string {
	below := func(p, root string) bool { return p == module+root || strings.HasPrefix(p, module+root+"/") }
	switch {
	case (below(imp, "/oauth/emulator") || below(imp, "/storage/faultstore")) && !below(pkg, "/oauth/emulator"):
		return "the emulator and the fault store are for tests only"
	case strings.HasPrefix(imp, "fyne.io/") && pkg != module && !below(pkg, "/ui"):
		return "only ui may use Fyne"
	case pkg == module+"/ui" && imp == module+"/storage":
		return "" // the single-instance lock only: TestFacesImportOnlyTheService checks the file
	case (below(pkg, "/ui") || below(pkg, "/cli")) && pkg != module+"/ui/internal/fixture" &&
		(below(imp, "/oauth") || below(imp, "/storage")):
		return "a face sees only the accounts service"
	}
	return ""
}

func TestImportRuleTable(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		ok       bool
	}{
		{"/cli", "/accounts", true},
		{"/cli", "/assets", true},
		{"/cli", "/oauth", false},
		{"/cli", "/storage", false},
		{"/ui", "/oauth", false},
		{"/ui", "/storage", true},
		{"/ui/internal/shots", "/storage", false},
		{"/ui/internal/fixture", "/oauth", true},
		{"/accounts", "/oauth/emulator", false},
		{"/oauth/emulator/x", "/oauth/emulator", true},
		{"/accounts", "/storage/faultstore", false},
		{"/accounts", "fyne.io/fyne/v2", false},
		{"", "fyne.io/fyne/v2", true},
		{"/ui/internal/shots", "fyne.io/fyne/v2", true},
		{"/accounts", "/oauth", true},
		{"/accounts", "/storage", true},
	} {
		pkg, imp := module+c.pkg, c.imp
		if strings.HasPrefix(imp, "/") {
			imp = module + imp
		}
		if why := importRefused(pkg, imp); (why == "") != c.ok {
			t.Errorf("%s importing %s: refused %q, want allowed=%v", c.pkg, c.imp, why, c.ok)
		}
	}
}

// TestImportRules applies importRefused to every package of the module
// (tests not counted: go list's Imports are the package's own).
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "migrated_fynedo", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if why := importRefused(f[0], imp); why != "" {
				t.Errorf("%s imports %s: %s", f[0], imp, why)
			}
		}
	}
}

// TestFacesImportOnlyTheService: in ui, only the single-instance lock
// (instance.go) reaches below the service.
func TestFacesImportOnlyTheService(t *testing.T) {
	files, err := filepath.Glob("../ui/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ui sources: %v", err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || filepath.Base(name) == "instance.go" {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); p == module+"/storage" || strings.HasPrefix(p, module+"/oauth") {
				t.Errorf("%s imports %s: a face sees only the accounts service", name, p)
			}
		}
	}
}
