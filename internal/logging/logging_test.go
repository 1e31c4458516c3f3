package logging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	levels, h := Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: LevelTrace}), slog.LevelInfo)
	root := slog.New(h)
	rep := Named(root, "gregor.replica")
	grp := Named(root, "gregor.group")
	lines := func() string { s := buf.String(); buf.Reset(); return s }

	rep.Debug("r1")
	root.Info("i1")
	if got := lines(); strings.Contains(got, "r1") || !strings.Contains(got, "i1") {
		t.Fatalf("at INFO: %q", got)
	}
	if err := levels.Set("gregor.replica", "DEBUG"); err != nil {
		t.Fatal(err)
	}
	rep.Debug("r2")
	grp.Debug("g2")
	if got := lines(); !strings.Contains(got, "r2") || !strings.Contains(got, "logger=gregor.replica") || strings.Contains(got, "g2") {
		t.Fatalf("replica at DEBUG: %q", got)
	}
	if err := levels.Set(Root, "ERROR"); err != nil {
		t.Fatal(err)
	}
	rep.Debug("r3")
	grp.Warn("g3")
	root.Warn("w3")
	if got := lines(); !strings.Contains(got, "r3") || strings.Contains(got, "g3") || strings.Contains(got, "w3") {
		t.Fatalf("root at ERROR, replica at DEBUG: %q", got)
	}
	want := map[string]string{Root: "ERROR", "gregor.replica": "DEBUG", "gregor.group": "ERROR"}
	if got := levels.Loggers(); len(got) != len(want) || got[Root] != "ERROR" || got["gregor.replica"] != "DEBUG" || got["gregor.group"] != "ERROR" {
		t.Fatalf("loggers %v, want %v", got, want)
	}
	if err := levels.Unset("gregor.replica"); err != nil {
		t.Fatal(err)
	}
	rep.Warn("r4")
	if got := lines(); strings.Contains(got, "r4") {
		t.Fatalf("replica unset follows root ERROR: %q", got)
	}
	if levels.Set("gregor.none", "INFO") == nil || levels.Set(Root, "VERBOSE") == nil || levels.Unset("gregor.none") == nil {
		t.Fatal("an unknown logger or level was accepted")
	}
	if !levels.Exists(Root) || !levels.Exists("gregor.group") || levels.Exists("gregor.none") {
		t.Fatal("Exists")
	}
}

func TestAttach(t *testing.T) {
	base := slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	levels, l := Attach(base)
	if got := levels.Loggers()[Root]; got != "DEBUG" {
		t.Fatalf("root %s, want the lowest level the handler enables, DEBUG", got)
	}
	again, l2 := Attach(l)
	if again != levels || l2 != l {
		t.Fatal("Attach wrapped a logger that has levels")
	}
	if LevelName(slog.LevelInfo+1) != "INFO" || ValidLevels() != "DEBUG, ERROR, FATAL, INFO, TRACE, WARN" {
		t.Fatal(LevelName(slog.LevelInfo+1), ValidLevels())
	}
}
