package node_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/config"
	"gregor/internal/node"
	"gregor/internal/node/nodetest"
	"gregor/internal/storage"
)

// TestSecondNodeOnLockedDirs proves that a node refuses to start on a log
// dir or a separate metadata log dir that a running node holds, naming the
// dir and formatting nothing, and starts on them once that node has stopped.
func TestSecondNodeOnLockedDirs(t *testing.T) {
	logDir, metadataDir, fresh := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "fresh")
	first := nodetest.Start(t, logDir, map[string]string{"metadata.log.dir": metadataDir})
	for _, c := range []struct{ logDir, metadataDir, locked string }{
		{logDir, fresh, logDir},
		{fresh, metadataDir, metadataDir},
		{logDir, logDir, logDir},
	} {
		err := startNode(t, c.logDir, c.metadataDir)
		if !errors.Is(err, storage.ErrLogDirLocked) || !strings.Contains(err.Error(), c.locked) {
			t.Fatalf("log.dirs=%s metadata.log.dir=%s: %v, want ErrLogDirLocked naming %s", c.logDir, c.metadataDir, err, c.locked)
		}
		if _, err := os.Stat(filepath.Join(fresh, storage.MetaPropertiesFile)); err == nil {
			t.Fatalf("log.dirs=%s metadata.log.dir=%s: the refused node formatted %s", c.logDir, c.metadataDir, fresh)
		}
	}
	first.Shutdown()
	nodetest.Start(t, logDir, map[string]string{"metadata.log.dir": metadataDir})
}

// startNode starts a node on the dirs and, if it starts, stops it.
func startNode(t *testing.T, logDir, metadataDir string) error {
	cfg, _, err := config.Parse(map[string]string{
		"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": logDir, "metadata.log.dir": metadataDir,
		"http.listeners": "http://127.0.0.1:0", "schema.registry.listeners": "", "rest.proxy.listeners": "http://127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	n.Stop()
	n.Wait()
	return nil
}
