package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDataDir(t *testing.T) {
	base := t.TempDir()
	dir, err := DataDir(filepath.Join(base, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v %v", fi.Mode(), err)
	}
	t.Setenv(DataDirEnv, filepath.Join(base, "env"))
	if got, _ := DataDir(""); got != filepath.Join(base, "env") {
		t.Fatalf("env override: %s", got)
	}
	if got, _ := DataDir(filepath.Join(base, "flag")); got != filepath.Join(base, "flag") {
		t.Fatalf("flag beats env: %s", got)
	}
	t.Setenv(DataDirEnv, "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(base, "config"))
	t.Setenv("HOME", base)
	got, err := DataDir("")
	if err != nil {
		t.Fatal(err)
	}
	if def, _ := defaultDataDir(); got != def || filepath.Base(got) != "SellerConnect" {
		t.Fatalf("default: %s", got)
	}
}

func sampleRecord(id string, v int) Record {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	return Record{
		ID: id, Provider: "depop", DisplayName: "shop-" + id, RemoteID: strconv.Itoa(v),
		Scopes:       []string{"shop_read", "items_write"},
		AccessExpiry: now.Add(time.Hour), RefreshExpiry: now.Add(90 * 24 * time.Hour),
		CreatedAt: now, LastRefresh: now, Status: "connected",
		Timeline: []TimelineEntry{{Time: now, Kind: "exchange", Summary: "refresh: 200 OK",
			Detail: map[string]any{"status": float64(200), "latency_ms": float64(312)}}},
	}
}

func openTestDB(t testing.TB, dir string) *DB {
	t.Helper()
	db, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestDBAccountsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := openTestDB(t, dir)
	if rows, err := db.Accounts(); err != nil || len(rows) != 0 {
		t.Fatalf("new database: %v %v", rows, err)
	}
	a, b := sampleRecord("depop-1", 1), sampleRecord("ebay-2", 1)
	for _, r := range []Record{a, b} {
		if err := db.InsertAccount(r, 1, "", r.Timeline, TimelineKeep{All: 50}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.InsertAccount(a, 1, "", nil, TimelineKeep{}); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	rows, err := db.Accounts()
	if err != nil || len(rows) != 2 || rows[0].ID != "depop-1" || rows[0].Generation != 1 || rows[0].Version != 1 {
		t.Fatalf("Accounts: %+v %v", rows, err)
	}
	if !rows[0].AccessExpiry.Equal(a.AccessExpiry) || rows[0].Timeline != nil {
		t.Fatal("times do not round-trip, or the timeline came with the row")
	}
	tl, err := db.Timeline("depop-1")
	if err != nil || len(tl) != 1 || tl[0].Detail["status"] != float64(200) {
		t.Fatalf("Timeline: %+v %v", tl, err)
	}
	for _, p := range []string{db.Path(), dir} {
		fi, _ := os.Stat(p)
		if want := os.FileMode(0o600); fi.IsDir() {
			want = 0o700
			if fi.Mode().Perm() != want {
				t.Fatalf("%s mode %v", p, fi.Mode())
			}
		} else if fi.Mode().Perm() != want {
			t.Fatalf("%s mode %v", p, fi.Mode())
		}
	}

	// Updates bump the version; an account another process removed is not
	// brought back by a stale writer.
	a.DisplayName = "renamed"
	if err := db.DeleteAccount("ebay-2"); err != nil {
		t.Fatal(err)
	}
	gone, err := db.UpdateAccounts(map[string]RecordUpdate{"depop-1": {Record: &a}, "ebay-2": {Record: &b, Entries: b.Timeline}}, TimelineKeep{All: 50})
	if err != nil || len(gone) != 1 || gone[0] != "ebay-2" {
		t.Fatalf("UpdateAccounts: gone %v, %v", gone, err)
	}
	r, ok, err := db.Account("depop-1")
	if err != nil || !ok || r.DisplayName != "renamed" || r.Version != 2 {
		t.Fatalf("Account: %+v %v %v", r, ok, err)
	}
	if _, ok, _ := db.Account("ebay-2"); ok {
		t.Fatal("a removed account came back")
	}
	if tl, _ := db.Timeline("ebay-2"); len(tl) != 0 {
		t.Fatal("a removed account's timeline came back")
	}
	if _, err := db.SetTokenState("ebay-2", 2, 0, ""); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("SetTokenState on a removed account: %v", err)
	}
}

func TestDBTimelineKeepsTheNewest(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	r := sampleRecord("a", 1)
	keep := TimelineKeep{All: 8, Routine: 3}
	if err := db.InsertAccount(r, 1, "", nil, keep); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		e := TimelineEntry{Kind: "exchange", Summary: fmt.Sprintf("ok %d", i), Routine: i%3 != 0}
		if !e.Routine {
			e.Kind, e.Summary = "error", fmt.Sprintf("failed %d", i)
		}
		if _, err := db.UpdateAccounts(map[string]RecordUpdate{"a": {Entries: []TimelineEntry{e}}}, keep); err != nil {
			t.Fatal(err)
		}
	}
	tl, _ := db.Timeline("a")
	var got []string
	for _, e := range tl {
		got = append(got, e.Summary)
	}
	// The last three successes and the newest failures, up to eight, in order.
	want := "failed 15,failed 18,failed 21,failed 24,ok 26,failed 27,ok 28,ok 29"
	if strings.Join(got, ",") != want {
		t.Fatalf("timeline:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
}

func TestDBImportsRecordsJSONOnce(t *testing.T) {
	for name, v0 := range map[string]string{
		"format 0, bare array": `[{"id":"depop-1","provider":"depop","reconnect_by":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","future_field":7}]`,
		"format 0, object":     `{"accounts":[{"id":"depop-1","provider":"depop","reconnect_by":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z"}]}`,
		"format 1":             `{"schema":1,"accounts":[{"id":"depop-1","provider":"depop","refresh_expiry":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","status":"connected","timeline":[{"time":"2026-01-01T00:00:00Z","kind":"note","summary":"Connected"}]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, RecordsFile)
			if err := os.WriteFile(path, []byte(v0), 0o600); err != nil {
				t.Fatal(err)
			}
			settings := `{"schema":1,"notifications":true,"providers":{"ebay":{"client_id":"App-123"}}}`
			if err := os.WriteFile(filepath.Join(dir, SettingsFile), []byte(settings), 0o600); err != nil {
				t.Fatal(err)
			}
			db := openTestDB(t, dir)
			rows, err := db.Accounts()
			if err != nil || len(rows) != 1 {
				t.Fatalf("imported: %v %v", rows, err)
			}
			want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			if !rows[0].RefreshExpiry.Equal(want) || rows[0].Status != "connected" || rows[0].Generation != 0 {
				t.Fatalf("imported: %+v", rows[0])
			}
			if got := db.Settings().Get().Providers["ebay"]["client_id"]; got != "App-123" {
				t.Fatalf("settings imported: %q", got)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatal("records.json is still there")
			}
			old, err := os.ReadFile(path + ".imported")
			if err != nil || string(old) != v0 {
				t.Fatalf("kept copy: %q %v", old, err)
			}
			// A records.json appearing later is not imported again.
			db.Close()
			if err := os.WriteFile(path, []byte(`[]`), 0o600); err != nil {
				t.Fatal(err)
			}
			db2 := openTestDB(t, dir)
			if rows, _ := db2.Accounts(); len(rows) != 1 {
				t.Fatalf("after a second open: %d accounts", len(rows))
			}
		})
	}
}

func TestDBRefusesDamagedRecordsJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, RecordsFile)
	torn := `{"schema":1,"accounts":[{"id":"depop-1","provid`
	if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDB(dir)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != path || ce.Backup == "" {
		t.Fatalf("damaged records.json: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != torn {
		t.Fatal("the damaged file was changed")
	}
	// Nothing was committed: once the file is mended it is imported.
	if err := os.WriteFile(path, []byte(`[{"id":"depop-1","provider":"depop"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := openTestDB(t, dir)
	if rows, _ := db.Accounts(); len(rows) != 1 {
		t.Fatalf("after mending: %d accounts", len(rows))
	}
}

func TestDBNewerSchemaRefusedWithoutWriting(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t, dir)
	if _, err := db.sql.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, DBSchema+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(filepath.Join(dir, DBFile))
	_, err := OpenDB(dir)
	var se *SchemaError
	if !errors.As(err, &se) || se.Found != DBSchema+1 || !strings.Contains(err.Error(), "update SellerConnect") {
		t.Fatalf("newer schema: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, DBFile))
	if string(before) != string(after) {
		t.Fatal("the newer database was written to")
	}
}

func TestDBDamagedIsKeptAsideAndReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	garbage := strings.Repeat("not a database ", 400)
	if err := os.WriteFile(path, []byte(garbage), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDB(dir)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Backup == "" {
		t.Fatalf("damaged database: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != garbage {
		t.Fatal("the damaged database was replaced")
	}
	if data, _ := os.ReadFile(ce.Backup); string(data) != garbage {
		t.Fatal("no copy kept aside")
	}
}

func TestDBReadOnlyDirectoryFailsClearly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: permissions do not bind, so a read-only database file stands in")
	}
	dir := t.TempDir()
	db := openTestDB(t, dir)
	if err := db.InsertAccount(sampleRecord("a", 1), 1, "", nil, TimelineKeep{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	d := &DB{sql: ro, path: filepath.Join(dir, DBFile)}
	err = d.InsertAccount(sampleRecord("b", 1), 1, "", nil, TimelineKeep{})
	var we *WriteError
	if !errors.As(err, &we) || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("read-only: %v", err)
	}
}

func TestSettingsInDB(t *testing.T) {
	dir := t.TempDir()
	s := openTestDB(t, dir).Settings()
	if got := s.Get(); got.StartMinimised || got.Providers != nil {
		t.Fatalf("defaults: %+v", got)
	}
	err := s.Update(func(d *SettingsData) {
		d.StartMinimised = true
		d.Providers = map[string]map[string]string{"ebay": {"client_id": "App-1"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another process sees the change.
	other := openTestDB(t, dir).Settings()
	if got := other.Get(); !got.StartMinimised || got.Providers["ebay"]["client_id"] != "App-1" {
		t.Fatalf("other process: %+v", got)
	}
	got := s.Get()
	got.Providers["ebay"]["client_id"] = "changed"
	if s.Get().Providers["ebay"]["client_id"] != "App-1" {
		t.Fatal("Get returned shared maps")
	}
	if err := s.Update(func(d *SettingsData) { d.Providers["ebay"]["client_secret"] = "x" }); err == nil {
		t.Fatal("a secret-looking setting was accepted")
	}
}

func TestDBConcurrentWritersAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	openTestDB(t, dir) // the schema exists before the children race
	const procs, each = 3, 25
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		c := child(t, "records", "SC_DIR="+dir, "SC_N="+strconv.Itoa(each), fmt.Sprintf("SC_NAME=p%d", p))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	// This process writes meanwhile too, from several goroutines.
	db := openTestDB(t, dir)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				r := sampleRecord(fmt.Sprintf("w%d-%d", w, i), i)
				if err := db.InsertAccount(r, 1, "", r.Timeline, TimelineKeep{All: 5}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	if rows, err := db.Accounts(); err != nil || len(rows) != (procs+4)*each {
		t.Fatalf("lost writes: %d of %d (%v)", len(rows), (procs+4)*each, err)
	}
}

func TestDBChangedSeesOtherConnections(t *testing.T) {
	dir := t.TempDir()
	a, b := openTestDB(t, dir), openTestDB(t, dir)
	a.Changed()
	if c, _ := a.Changed(); c {
		t.Fatal("changed without a write")
	}
	if err := a.InsertAccount(sampleRecord("mine", 1), 1, "", nil, TimelineKeep{}); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Changed(); c {
		t.Fatal("its own write counted as another's")
	}
	if err := b.InsertAccount(sampleRecord("theirs", 1), 1, "", nil, TimelineKeep{}); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.Changed(); !c {
		t.Fatal("another connection's write went unseen")
	}
}

// recordsChild inserts SC_N accounts named after SC_NAME.
func recordsChild() int {
	db, err := OpenDB(os.Getenv("SC_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	n, _ := strconv.Atoi(os.Getenv("SC_N"))
	for i := 0; i < n; i++ {
		r := sampleRecord(fmt.Sprintf("%s-%d", os.Getenv("SC_NAME"), i), i)
		if err := db.InsertAccount(r, 1, "", r.Timeline, TimelineKeep{All: 5}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}
