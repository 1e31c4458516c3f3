package node

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"gregor/internal/config"
	"gregor/internal/kafka"
	"gregor/internal/storage"
	"gregor/internal/vfs"
)

// openStorage takes the node's directories for this process and opens them,
// in an order that leaves the files of a directory another process holds
// untouched: it reads meta.properties (reading changes nothing), locks the
// metadata log dir, opens the log dirs (the Manager locks each one first),
// and only then formats the dirs that have no meta.properties. It returns
// the cluster id; the lock is nil when the metadata log dir is one of the
// log dirs, whose lock the Manager holds.
func openStorage(cfg *config.Config, fsys vfs.FS, now func() time.Time, logger *slog.Logger) (*storage.Manager, *storage.DirLock, string, error) {
	clusterID, unformatted, err := readMetaProperties(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	var metadataLock *storage.DirLock
	if !isLogDir(cfg, cfg.MetadataLogDir) {
		if metadataLock, err = storage.LockDir(cfg.MetadataLogDir); err != nil {
			return nil, nil, "", err
		}
	}
	logs, err := storage.OpenManagerFS(fsys, cfg.LogDirs, brokerStorageConfig(cfg), now, logger)
	if err != nil {
		metadataLock.Unlock()
		return nil, nil, "", err
	}
	if clusterID, err = format(cfg, clusterID, unformatted, logger); err != nil {
		logs.Close()
		metadataLock.Unlock()
		return nil, nil, "", err
	}
	return logs, metadataLock, clusterID, nil
}

// isLogDir reports whether dir is one of log.dirs.
func isLogDir(cfg *config.Config, dir string) bool {
	return slices.ContainsFunc(cfg.LogDirs, func(d string) bool { return sameDir(d, dir) })
}

func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return absA == absB
}

// readMetaProperties reads meta.properties from the metadata log dir and
// every log dir, checks they agree with each other and with the
// configuration, and returns their cluster id ("" if none is formatted) and
// the dirs that have none.
func readMetaProperties(cfg *config.Config) (string, []string, error) {
	dirs := []string{cfg.MetadataLogDir}
	for _, d := range cfg.LogDirs {
		if !sameDir(d, cfg.MetadataLogDir) {
			dirs = append(dirs, d)
		}
	}
	clusterID := ""
	var missing []string
	for _, dir := range dirs {
		m, err := storage.ReadMetaProperties(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, dir)
			continue
		case err != nil:
			return "", nil, err
		case m.NodeID != cfg.NodeID:
			return "", nil, fmt.Errorf("%s/meta.properties has node.id %d but the configuration says %d", dir, m.NodeID, cfg.NodeID)
		case clusterID != "" && m.ClusterID != clusterID:
			return "", nil, fmt.Errorf("log dirs belong to different clusters: %s and %s", clusterID, m.ClusterID)
		}
		clusterID = m.ClusterID
	}
	return clusterID, missing, nil
}

// format writes meta.properties into the dirs that have none, with the
// cluster id of the others, or a new one when no dir is formatted, so that
// `gregor server` works on a fresh machine as Kafka's dev quickstart does
// after `kafka-storage format`; a node of a several-voter quorum, or a
// broker-only node, must have been formatted with its cluster's id. It returns the cluster id.
func format(cfg *config.Config, clusterID string, dirs []string, logger *slog.Logger) (string, error) {
	if clusterID == "" && (len(cfg.Voters) > 1 || !cfg.HasRole("controller")) {
		return "", fmt.Errorf("%s is not formatted: a node of a cluster needs its cluster id, run `gregor storage format -t CLUSTER_ID -c server.properties` on every node with the same id", cfg.MetadataLogDir)
	}
	if clusterID == "" {
		clusterID = kafka.NewTopicID().String()
		logger.Info("formatting storage", "cluster.id", clusterID, "dirs", dirs)
	}
	for _, dir := range dirs {
		m := storage.MetaProperties{ClusterID: clusterID, NodeID: cfg.NodeID, DirectoryID: kafka.NewTopicID().String()}
		if err := storage.WriteMetaProperties(dir, m); err != nil {
			return "", err
		}
	}
	return clusterID, nil
}
