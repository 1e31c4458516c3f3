package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"gregor/internal/config"
)

// TestLoggerFromConfig proves log.format=json writes one JSON object per
// line, log.level drops lines below it, and --log-level, when given, wins.
func TestLoggerFromConfig(t *testing.T) {
	cfg, _, err := config.Parse(map[string]string{"log.format": "json", "log.level": "warn"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logger := newLogger(&buf, cfg, "info", false)
	logger.Info("dropped")
	logger.Warn("kept", "topic", "t")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "kept" || line["topic"] != "t" {
		t.Fatalf("%q: %v %v", buf.String(), line, err)
	}
	buf.Reset()
	newLogger(&buf, cfg, "debug", true).Debug("flag wins")
	if !strings.Contains(buf.String(), "flag wins") {
		t.Fatalf("--log-level debug did not win over log.level=warn: %q", buf.String())
	}
}
