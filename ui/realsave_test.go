package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Save report, from an account's details and from Help, on the real
// window: the file dialog opens (Fyne 2.8.1 dereferenced nil when it was
// resized before being shown), is cancelled in one run and confirmed in
// the other, and the saved files are the seller's alone (0600).

func init() {
	realScenarios["save-cancel"] = realScenario{run: func(r *realRun) { saveReportScenario(r, false) }}
	realScenarios["save-confirm"] = realScenario{run: func(r *realRun) { saveReportScenario(r, true) }}
}

const fileDialogTitle = "Save File"

func saveReportScenario(r *realRun, confirm bool) {
	r.expect("8 accounts")
	// From the account's details.
	r.press("vintage-finds")
	r.expect("SellerConnect id")
	r.press("Save report…")
	r.dialog(fileDialogTitle)
	if confirm {
		r.press("Save")
		r.dialog("Report saved")
		r.press("Close")
		r.expectGone("Report saved")
	} else {
		r.press("Cancel")
		r.expectGone(fileDialogTitle)
	}
	r.press("Accounts")
	r.expect("8 accounts")

	// From Help, for every account, under another name.
	r.press("Help")
	r.press("Save diagnostic report…")
	r.dialog(fileDialogTitle)
	if confirm {
		renamed := false
		r.ui(func() {
			roots := everything(r.a.win.Canvas())
			visibleWalk(roots[len(roots)-1], nil, func(o fyne.CanvasObject, _ fyne.Tappable) bool {
				if e, ok := o.(*widget.Entry); ok && e.Text == r.a.reportName() {
					e.SetText("all-accounts.txt")
					renamed = true
					return false
				}
				return true
			})
		})
		if !renamed {
			r.fail("the file dialog does not suggest %s", r.a.reportName())
		}
		r.press("Save")
		r.dialog("Report saved")
		r.press("Close")
		r.expectGone("Report saved")
	} else {
		r.press("Cancel")
		r.expectGone(fileDialogTitle)
	}
	r.expect("8 accounts")
}

func TestRealWindowSaveReport(t *testing.T) {
	res := runReal(t, "save-cancel", "click")
	t.Logf("cancelled twice: %d presses, %d dialogs", res.presses, res.dialogs)
	dir := res.dir
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.txt")); len(matches) != 0 {
		t.Errorf("cancelling saved %v", matches)
	}

	res = runReal(t, "save-confirm", "click")
	t.Logf("saved twice: %d presses, %d dialogs", res.presses, res.dialogs)
	dir = res.dir
	for _, f := range []struct {
		name string
		has  []string
		not  []string
	}{
		{"sellerconnect-report-20261123-1000.txt", []string{"diagnostic report", "depop-3f9a2c"}, []string{"demo-7c1e2a"}},
		{"all-accounts.txt", []string{"diagnostic report", "depop-3f9a2c", "demo-7c1e2a", "ebay-sandbox-5d20e1"}, nil},
	} {
		p := filepath.Join(dir, f.name)
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("the report was not saved: %v", err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f.name, st.Mode().Perm())
		}
		data, _ := os.ReadFile(p)
		for _, s := range f.has {
			if !strings.Contains(string(data), s) {
				t.Errorf("%s lacks %q:\n%s", f.name, s, data)
			}
		}
		for _, s := range f.not {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds %q, another account's:\n%s", f.name, s, data)
			}
		}
	}
}
