package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetaPropertiesRoundTrip proves that written meta.properties reads back identically in Kafka's format.
func TestMetaPropertiesRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	want := MetaProperties{ClusterID: "MkU3OEVBNTcwNTJENDM2Qg", NodeID: 3, DirectoryID: "J8aAPcfLQt2bqs1JT_rMgQ"}
	if err := WriteMetaProperties(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetaProperties(dir)
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, MetaPropertiesFile))
	if !strings.HasPrefix(string(data), "#") || !strings.Contains(string(data), "version=1\n") {
		t.Fatalf("unexpected content:\n%s", data)
	}
	if _, err := os.Stat(filepath.Join(dir, MetaPropertiesFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("tmp file left behind: %v", err)
	}
}

// TestMetaPropertiesMissing proves that a missing file is reported as os.ErrNotExist.
func TestMetaPropertiesMissing(t *testing.T) {
	_, err := ReadMetaProperties(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

// TestMetaPropertiesKafkaFile proves that a file written by Kafka's storage tool parses.
func TestMetaPropertiesKafkaFile(t *testing.T) {
	dir := t.TempDir()
	kafka := "#\n#Tue Jan 02 10:00:00 UTC 2024\nnode.id=1\ndirectory.id=abc\nversion=1\ncluster.id=xyz\n"
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte(kafka), 0o644)
	got, err := ReadMetaProperties(dir)
	if err != nil || got != (MetaProperties{ClusterID: "xyz", NodeID: 1, DirectoryID: "abc"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, MetaPropertiesFile), []byte("version=0\ncluster.id=x\nnode.id=1\n"), 0o644)
	if _, err := ReadMetaProperties(dir); err == nil {
		t.Fatal("version 0 accepted")
	}
}
