package storage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"gregor/internal/vfs"
)

// MetaPropertiesFile is the name of the identity file in every log dir.
const MetaPropertiesFile = "meta.properties"

// MetaProperties is the content of meta.properties in each log dir (Kafka KRaft
// format: version=1, cluster.id=..., node.id=..., directory.id=...).
type MetaProperties struct {
	ClusterID   string
	NodeID      int32
	DirectoryID string
}

// ReadMetaProperties reads logDir/meta.properties. A missing file yields an
// error wrapping os.ErrNotExist.
func ReadMetaProperties(logDir string) (MetaProperties, error) {
	path := filepath.Join(logDir, MetaPropertiesFile)
	data, err := vfs.ReadFile(vfs.OS, path)
	if err != nil {
		return MetaProperties{}, fmt.Errorf("read meta.properties: %w", err)
	}
	props := parseProperties(data)
	return metaFromProperties(path, props)
}

func metaFromProperties(path string, props map[string]string) (MetaProperties, error) {
	if v := props["version"]; v != "1" {
		return MetaProperties{}, fmt.Errorf("%s: unsupported version %q (want 1)", path, v)
	}
	m := MetaProperties{ClusterID: props["cluster.id"], DirectoryID: props["directory.id"]}
	if m.ClusterID == "" {
		return m, fmt.Errorf("%s: missing cluster.id", path)
	}
	id, err := strconv.ParseInt(props["node.id"], 10, 32)
	if err != nil {
		return m, fmt.Errorf("%s: bad node.id %q", path, props["node.id"])
	}
	m.NodeID = int32(id)
	return m, nil
}

// parseProperties reads the subset of Java properties that Kafka writes:
// "key=value" lines, with "#" and "!" comments and blank lines ignored.
func parseProperties(data []byte) map[string]string {
	props := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, _ = strings.Cut(line, ":")
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return props
}

// WriteMetaProperties creates logDir if needed and writes meta.properties
// atomically (temporary file, fsync, rename, fsync of the directory).
func WriteMetaProperties(logDir string, m MetaProperties) error {
	if m.ClusterID == "" {
		return errors.New("write meta.properties: empty cluster.id")
	}
	if err := mkdirAllDurable(vfs.OS, logDir); err != nil {
		return fmt.Errorf("write meta.properties: %w", err)
	}
	var b strings.Builder
	b.WriteString("#\n#Written by gregor\n")
	fmt.Fprintf(&b, "cluster.id=%s\n", m.ClusterID)
	if m.DirectoryID != "" {
		fmt.Fprintf(&b, "directory.id=%s\n", m.DirectoryID)
	}
	fmt.Fprintf(&b, "node.id=%d\nversion=1\n", m.NodeID)
	return writeFileAtomic(vfs.OS, filepath.Join(logDir, MetaPropertiesFile), []byte(b.String()))
}

// QuorumVotersFile, in the metadata log dir, holds the controller quorum's
// voters that `storage format --standalone` or `--initial-controllers`
// chose, for a node whose configuration names the quorum by
// controller.quorum.bootstrap.servers instead of controller.quorum.voters
// (KIP-853's bootstrap; Kafka writes them into a checkpoint of the
// metadata log). The voter set is fixed once formatted.
const QuorumVotersFile = "quorum.voters"

// WriteQuorumVoters writes voters (controller.quorum.voters' form,
// id@host:port,...) into dir's QuorumVotersFile atomically.
func WriteQuorumVoters(dir, voters string) error {
	if err := mkdirAllDurable(vfs.OS, dir); err != nil {
		return fmt.Errorf("write %s: %w", QuorumVotersFile, err)
	}
	data := "#\n#Written by gregor storage format\ncontroller.quorum.voters=" + voters + "\n"
	return writeFileAtomic(vfs.OS, filepath.Join(dir, QuorumVotersFile), []byte(data))
}

// ReadQuorumVoters returns the voters dir's QuorumVotersFile holds, or ""
// when it has none.
func ReadQuorumVoters(dir string) (string, error) {
	data, err := vfs.ReadFile(vfs.OS, filepath.Join(dir, QuorumVotersFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read %s: %w", QuorumVotersFile, err)
	}
	v, ok := parseProperties(data)["controller.quorum.voters"]
	if !ok || v == "" {
		return "", fmt.Errorf("%s: no controller.quorum.voters", filepath.Join(dir, QuorumVotersFile))
	}
	return v, nil
}
