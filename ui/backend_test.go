package ui

import (
	"strings"
	"testing"

	"github.com/sellerconnect/sellerconnect/accounts"
	"github.com/sellerconnect/sellerconnect/storage/faultstore"
)

// TestServiceBackendIsWired: the desktop app's Settings, reports and
// provider reload reach the real accounts service.
func TestServiceBackendIsWired(t *testing.T) {
	svc, err := accounts.Open(accounts.Options{DataDir: t.TempDir(), Secrets: &faultstore.Memory{}, NoDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	be := ServiceBackend(svc)

	if err := be.SetProviderSettings("smartthings", map[string]string{"client_id": "id-1", "client_secret": "s3cret"}); err != nil {
		t.Fatalf("settings: %v", err)
	}
	for _, p := range be.Providers() {
		if p.ID == "smartthings" && len(p.MissingSettings) > 0 {
			t.Errorf("smartthings still lacks %v", p.MissingSettings)
		}
	}
	text, err := be.ReportText()
	if err != nil || !strings.Contains(text, "SellerConnect") {
		t.Errorf("report: %v\n%s", err, text)
	}
	if strings.Contains(text, "s3cret") {
		t.Error("the report holds the client secret")
	}
	if errs := be.ReloadProviders(); len(errs) > 0 {
		t.Errorf("reload: %v", errs)
	}
}
