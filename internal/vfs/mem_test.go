package vfs

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

func write(t *testing.T, m *Mem, name, data string, sync bool) {
	t.Helper()
	f, err := m.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(data), 0); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
}

func content(t *testing.T, m *Mem, name string) string {
	t.Helper()
	data, err := ReadFile(m, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "<none>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestMemCrash proves the documented crash model: synced content and
// dir-synced names survive, everything else is undone.
func TestMemCrash(t *testing.T) {
	m := NewMem()
	m.MkdirAll("/d", 0o755)
	m.SyncDir("/")
	write(t, m, "/d/a", "synced", true)
	write(t, m, "/d/b", "unsynced", false)
	m.SyncDir("/d")
	f, _ := m.OpenFile("/d/a", os.O_RDWR, 0)
	f.WriteAt([]byte("-tail"), 6)
	write(t, m, "/d/c", "not in dir", true) // content synced, name not
	m.Rename("/d/b", "/d/b2")
	m.MkdirAll("/e", 0o755)
	m.Crash()
	for name, want := range map[string]string{"/d/a": "synced", "/d/b": "", "/d/b2": "<none>", "/d/c": "<none>", "/e": "<none>"} {
		if name == "/e" {
			if _, err := m.Stat(name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s survived without a sync of its parent", name)
			}
			continue
		}
		if got := content(t, m, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("handle from before the crash: %v", err)
	}
}

// TestMemCrashTorn proves that a torn crash keeps a prefix of the unsynced
// tail, deterministically for a seed, and varies with the seed.
func TestMemCrashTorn(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(20) {
		var got [2]string
		for i := range got {
			m := NewMem()
			write(t, m, "/f", "abc", true)
			m.SyncDir("/")
			f, _ := m.OpenFile("/f", os.O_RDWR, 0)
			f.WriteAt([]byte("defghij"), 3)
			m.CrashTorn(seed)
			got[i] = content(t, m, "/f")
		}
		if got[0] != got[1] || len(got[0]) < 3 || "abcdefghij"[:len(got[0])] != got[0] {
			t.Fatalf("seed %d: %q then %q", seed, got[0], got[1])
		}
		seen[got[0]] = true
	}
	if len(seen) < 3 {
		t.Fatalf("torn lengths barely vary: %v", seen)
	}
}

// TestMemFailSyncs proves that injected sync failures return errors and make
// nothing durable.
func TestMemFailSyncs(t *testing.T) {
	m := NewMem()
	boom := errors.New("boom")
	m.FailNextSync(boom)
	if err := m.SyncDir("/"); !errors.Is(err, boom) {
		t.Fatalf("FailNextSync: %v", err)
	}
	write(t, m, "/x.log", "data", false)
	if err := m.SyncDir("/"); err != nil {
		t.Fatalf("second sync: %v", err)
	}
	m.FailSyncs(".log")
	f, _ := m.OpenFile("/x.log", os.O_RDWR, 0)
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("FailSyncs: %v", err)
	}
	m.Crash()
	if got := content(t, m, "/x.log"); got != "" {
		t.Fatalf("failed sync persisted %q", got)
	}
}

// TestMemConcurrent proves that Mem may be used from several goroutines (run with -race).
func TestMemConcurrent(t *testing.T) {
	m := NewMem()
	f, _ := m.OpenFile("/f", os.O_CREATE|os.O_RDWR, 0o644)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			f.WriteAt([]byte{byte(i)}, int64(i))
		}
	}()
	for range 100 {
		f.ReadAt(make([]byte, 4), 0)
		m.ReadDir("/")
	}
	<-done
}
