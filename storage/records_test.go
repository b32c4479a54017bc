package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

func TestRecordsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r, err := OpenRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if recs, err := r.Load(); err != nil || len(recs) != 0 {
		t.Fatalf("missing file: %v %v", recs, err)
	}
	err = r.Update(func(recs []Record) ([]Record, error) {
		return append(recs, sampleRecord("depop-1", 1), sampleRecord("ebay-2", 1)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.Load()
	if err != nil || len(recs) != 2 || recs[0].ID != "depop-1" || recs[1].Timeline[0].Detail["status"] != float64(200) {
		t.Fatalf("Load: %+v %v", recs, err)
	}
	if !recs[0].AccessExpiry.Equal(sampleRecord("x", 1).AccessExpiry) {
		t.Fatal("times do not round-trip")
	}
	fi, _ := os.Stat(r.Path())
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("records file mode %v", fi.Mode())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v", di.Mode())
	}
	data, _ := os.ReadFile(r.Path())
	if !bytes.Contains(data, []byte(`"schema": 1`)) || !bytes.Contains(data, []byte(`"accounts": [`)) {
		t.Fatalf("file layout:\n%s", data)
	}

	// A failing fn writes nothing; invalid results are refused.
	boom := errors.New("boom")
	if err := r.Update(func([]Record) ([]Record, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := r.Update(func(recs []Record) ([]Record, error) { return append(recs, recs[0]), nil }); err == nil {
		t.Fatal("duplicate ids accepted")
	}
	after, _ := os.ReadFile(r.Path())
	if !bytes.Equal(after, data) {
		t.Fatal("a refused update changed the file")
	}
	// Deleting everything leaves an empty list, not a missing file.
	if err := r.Update(func([]Record) ([]Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if recs, err := r.Load(); err != nil || len(recs) != 0 {
		t.Fatalf("%v %v", recs, err)
	}
}

func TestRecordsMigrationFromV0(t *testing.T) {
	for name, v0 := range map[string]string{
		"bare array": `[{"id":"depop-1","provider":"depop","reconnect_by":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z","future_field":7}]`,
		"object":     `{"accounts":[{"id":"depop-1","provider":"depop","reconnect_by":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, RecordsFile)
			if err := os.WriteFile(path, []byte(v0), 0o600); err != nil {
				t.Fatal(err)
			}
			r, _ := OpenRecords(dir)
			recs, err := r.Load()
			if err != nil || len(recs) != 1 {
				t.Fatalf("Load: %v %v", recs, err)
			}
			want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			if !recs[0].RefreshExpiry.Equal(want) || recs[0].Status != "connected" {
				t.Fatalf("migrated: %+v", recs[0])
			}
			if err := r.Update(func(recs []Record) ([]Record, error) { return recs, nil }); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if !bytes.Contains(data, []byte(`"schema": 1`)) || bytes.Contains(data, []byte("reconnect_by")) {
				t.Fatalf("rewritten file:\n%s", data)
			}
			old, err := os.ReadFile(path + ".schema0")
			if err != nil || string(old) != v0 {
				t.Fatalf("old-format copy: %q %v", old, err)
			}
		})
	}
}

func TestRecordsCorruptIsKeptAndNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	r, _ := OpenRecords(dir)
	if err := r.Update(func([]Record) ([]Record, error) { return []Record{sampleRecord("a", 1)}, nil }); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(r.Path())
	bad := good[:len(good)/2] // a torn file
	if err := os.WriteFile(r.Path(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := r.Load()
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CorruptError, got %v", err)
	}
	if ce.Path != r.Path() || ce.Backup == "" {
		t.Fatalf("%+v", ce)
	}
	if kept, _ := os.ReadFile(ce.Backup); !bytes.Equal(kept, bad) {
		t.Fatal("backup differs from the damaged file")
	}
	mustContain(t, ce.Error(), r.Path(), ce.Backup, "will not overwrite")
	if fi, _ := os.Stat(ce.Backup); fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v", fi.Mode())
	}

	// Update refuses, and the file stays as it is.
	called := false
	err = r.Update(func(recs []Record) ([]Record, error) { called = true; return recs, nil })
	if !errors.As(err, &ce) || called {
		t.Fatalf("Update on a corrupt file: called=%v err=%v", called, err)
	}
	if now, _ := os.ReadFile(r.Path()); !bytes.Equal(now, bad) {
		t.Fatal("the damaged file was changed")
	}
	// Reading again reuses the same backup.
	_, _ = r.Load()
	if m, _ := filepath.Glob(r.Path() + ".corrupt-*"); len(m) != 1 {
		t.Fatalf("backups: %v", m)
	}

	// The user chooses to start over.
	backup, err := r.DiscardCorrupt()
	if err != nil || backup != ce.Backup {
		t.Fatalf("DiscardCorrupt: %q %v", backup, err)
	}
	if recs, err := r.Load(); err != nil || len(recs) != 0 {
		t.Fatalf("after discard: %v %v", recs, err)
	}
	if kept, _ := os.ReadFile(backup); !bytes.Equal(kept, bad) {
		t.Fatal("backup lost")
	}
	if err := r.Update(func([]Record) ([]Record, error) { return []Record{sampleRecord("b", 1)}, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DiscardCorrupt(); err == nil {
		t.Fatal("DiscardCorrupt of a good file succeeded")
	}
}

func TestRecordsEmptyAndGarbageFiles(t *testing.T) {
	for name, content := range map[string]string{
		"empty": "", "garbage": "\x00\x01binary", "null account": `{"schema":1,"accounts":[{"id":""}]}`,
		"trailing": `{"schema":1,"accounts":[]} {"x":1}`, "negative schema": `{"schema":-1}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			r, _ := OpenRecords(dir)
			os.WriteFile(r.Path(), []byte(content), 0o600)
			var ce *CorruptError
			if _, err := r.Load(); !errors.As(err, &ce) {
				t.Fatalf("want *CorruptError, got %v", err)
			}
		})
	}
}

func TestRecordsNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	r, _ := OpenRecords(dir)
	newer := `{"schema": 9, "accounts": [{"id": "x", "shiny": true}]}`
	os.WriteFile(r.Path(), []byte(newer), 0o600)
	_, err := r.Load()
	var se *SchemaError
	if !errors.As(err, &se) || se.Found != 9 {
		t.Fatalf("want *SchemaError, got %v", err)
	}
	mustContain(t, err.Error(), "newer SellerConnect", "update")
	if err := r.Update(func(recs []Record) ([]Record, error) { return recs, nil }); !errors.As(err, &se) {
		t.Fatalf("Update: %v", err)
	}
	if now, _ := os.ReadFile(r.Path()); string(now) != newer {
		t.Fatal("a newer file was changed")
	}
	if m, _ := filepath.Glob(r.Path() + ".corrupt-*"); len(m) != 0 {
		t.Fatal("a newer file is not corrupt")
	}
}

func TestRecordsUnreadableIsNotEmpty(t *testing.T) {
	dir := t.TempDir()
	r, _ := OpenRecords(dir)
	// A directory in the file's place cannot be read, even by root.
	if err := os.Mkdir(r.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	if recs, err := r.Load(); err == nil {
		t.Fatalf("Load of an unreadable file gave %v", recs)
	}
	err := r.Update(func([]Record) ([]Record, error) { return []Record{sampleRecord("a", 1)}, nil })
	if err == nil {
		t.Fatal("Update replaced an unreadable file")
	}
}

func TestRecordsStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	r, _ := OpenRecords(dir)
	stale := filepath.Join(dir, ".records.json.tmp-123")
	os.WriteFile(stale, []byte("half"), 0o600)
	if err := r.Update(func([]Record) ([]Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale temp file left behind")
	}
}

func TestRecordsConcurrentUpdatesInProcess(t *testing.T) {
	dir := t.TempDir()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := OpenRecords(dir) // separate handles, as separate windows would have
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				if err := r.Update(func(recs []Record) ([]Record, error) { return append(recs, sampleRecord(id, i)), nil }); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	r, _ := OpenRecords(dir)
	if recs, err := r.Load(); err != nil || len(recs) != workers*each {
		t.Fatalf("lost updates: %d of %d (%v)", len(recs), workers*each, err)
	}
}

// recordsChild appends SC_N records named after SC_NAME.
func recordsChild() int {
	r, err := OpenRecords(os.Getenv("SC_DIR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	n, _ := strconv.Atoi(os.Getenv("SC_N"))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%d", os.Getenv("SC_NAME"), i)
		if err := r.Update(func(recs []Record) ([]Record, error) { return append(recs, sampleRecord(id, i)), nil }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

func TestRecordsConcurrentUpdatesAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, each = 3, 25
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		c := child(t, "records", "SC_DIR="+dir, "SC_N="+strconv.Itoa(each), fmt.Sprintf("SC_NAME=p%d", p))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	r, _ := OpenRecords(dir)
	if recs, err := r.Load(); err != nil || len(recs) != procs*each {
		t.Fatalf("lost updates across processes: %d of %d (%v)", len(recs), procs*each, err)
	}
}
