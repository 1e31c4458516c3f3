package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:([0-9]+)`)
	logDirsLine  = regexp.MustCompile(`(?m)^log\.dirs=.*$`)
	nodeIDLine   = regexp.MustCompile(`(?m)^node\.id=([0-9]+)$`)
	clientPort   = regexp.MustCompile(`PLAINTEXT://127\.0\.0\.1:([0-9]+)`)
)

// copySample copies the sample configuration src into a temp dir with its
// data in dir and every loopback port replaced by a free one, through
// ports, which the copies of one cluster share (the samples' fixed ports
// may be taken on a shared machine). It returns the copy's path, node id
// and client port (0 for a controller-only node).
func copySample(t *testing.T, src, dir string, ports map[string]string) (path string, id, client int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	text := loopbackPort.ReplaceAllStringFunc(string(data), func(addr string) string {
		port := strings.TrimPrefix(addr, "127.0.0.1:")
		if ports[port] == "" {
			ports[port] = strconv.Itoa(freePorts(t, 1)[0])
		}
		return "127.0.0.1:" + ports[port]
	})
	text = logDirsLine.ReplaceAllString(text, "log.dirs="+dir)
	id, _ = strconv.Atoi(nodeIDLine.FindStringSubmatch(text)[1])
	if m := clientPort.FindStringSubmatch(text); m != nil { // a controller-only node has none
		client, _ = strconv.Atoi(m[1])
	}
	path = filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, id, client
}

// formatSample formats a copied sample, failing on any warning (a key the
// server does not know) or error.
func formatSample(t *testing.T, path, clusterID string, id int, dir string) {
	t.Helper()
	_, errOut, err := runTool(t, "", "storage", "format", "-t", clusterID, "-c", path)
	if err != nil || strings.Contains(errOut, "warning") {
		t.Fatalf("storage format -c %s: %v\n%s", path, err, errOut)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "meta.properties"))
	if err != nil || !strings.Contains(string(meta), fmt.Sprintf("node.id=%d\n", id)) || !strings.Contains(string(meta), "cluster.id="+clusterID) {
		t.Fatalf("%s after format: %v\n%s", dir, err, meta)
	}
}

// TestSampleServerProperties proves that config/server.properties, with
// free ports, formats without warnings and runs a node that serves.
func TestSampleServerProperties(t *testing.T) {
	dir := t.TempDir()
	path, id, client := copySample(t, "../../config/server.properties", dir, map[string]string{})
	id1, _, _ := runTool(t, "", "storage", "random-uuid")
	formatSample(t, path, strings.TrimSpace(id1), id, dir)
	p := startProcess(t, exec.Command(binary, "server", "--config", path))
	if p.addr != loopback(client) {
		t.Fatalf("the node listens on %s, the file says %s", p.addr, loopback(client))
	}
	produceAndConsume(t, p.addr, "sample")
}

// TestSampleClusterProperties proves that config/cluster/node1..3
// .properties, with free ports, format without warnings with one cluster
// id; and, with GREGOR_CLUSTER_TESTS set, that the three nodes form one
// cluster with a fully replicated topic.
func TestSampleClusterProperties(t *testing.T) {
	c := startSampleCluster(t)
	checkMembership(t, c)
	createReplicated(t, c, "sample")
}

// startSampleCluster copies and formats config/cluster/node1..3.properties
// (failing on a warning), then, with GREGOR_CLUSTER_TESTS set, starts the
// three nodes and waits until each listens; without it, it skips the test.
func startSampleCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t}
	c.id = c.tool("storage", "random-uuid")
	ports := map[string]string{}
	for k := 1; k <= 3; k++ {
		nd := &clusterNode{dir: t.TempDir()}
		nd.config, nd.id, nd.client = copySample(t, fmt.Sprintf("../../config/cluster/node%d.properties", k), nd.dir, ports)
		if nd.id != k {
			t.Fatalf("node%d.properties has node.id=%d", k, nd.id)
		}
		formatSample(t, nd.config, c.id, k, nd.dir)
		c.nodes = append(c.nodes, nd)
	}
	requireClusterTests(t)
	t.Cleanup(c.logOnFailure)
	for _, nd := range c.nodes {
		c.spawn(nd)
	}
	for _, nd := range c.nodes {
		nd.proc.waitListening(t, 60*time.Second)
	}
	return c
}
