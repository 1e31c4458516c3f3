package main

import (
	"path/filepath"
	"strings"
	"testing"

	"gregor/internal/kafka"
	"gregor/internal/storage"
)

// TestStorageFormatQuorum proves format's KIP-853 flags for a node named
// by controller.quorum.bootstrap.servers, with Kafka 4.2 StorageTool's
// checks and messages: --standalone makes the controller the only voter at
// its advertised controller endpoint, --initial-controllers writes every
// voter and this controller's directory id, and the refusals write nothing.
func TestStorageFormatQuorum(t *testing.T) {
	combined := "process.roles=broker,controller\ncontroller.quorum.bootstrap.servers=localhost:19093\n" +
		"listeners=PLAINTEXT://:19092,CONTROLLER://:19093\n" +
		"advertised.listeners=PLAINTEXT://localhost:19092,CONTROLLER://ctl.example:19099\ncontroller.listener.names=CONTROLLER\n"
	withVoters := "process.roles=broker,controller\ncontroller.quorum.voters=3@localhost:19093\n" +
		"listeners=PLAINTEXT://:19092,CONTROLLER://:19093\ncontroller.listener.names=CONTROLLER\n"
	broker := "process.roles=broker\ncontroller.quorum.bootstrap.servers=localhost:19093\n" +
		"listeners=PLAINTEXT://:19094\ncontroller.listener.names=CONTROLLER\n"
	dirID := kafka.NewTopicID().String()
	tests := []struct {
		config string
		flags  []string
		voters string // the voters written, "" for none
		out    string
		err    string
	}{
		{config: combined, err: "Because controller.quorum.voters is not set on this controller, you must specify one of the following: --standalone, --initial-controllers, or --no-initial-controllers."},
		{config: combined, flags: []string{"--standalone"}, voters: "3@ctl.example:19099", out: "Formatting dynamic metadata voter directory"},
		{config: combined, flags: []string{"-I", "1@h1:9093:" + kafka.NewTopicID().String() + ",3@h3:9093:" + dirID}, voters: "1@h1:9093,3@h3:9093", out: "Formatting dynamic metadata voter directory"},
		{config: combined, flags: []string{"-I", "1@h1:9093:" + dirID}, err: "node.id 3 is not one of the controllers"},
		{config: combined, flags: []string{"-I", "3@h3:9093"}, err: "No colon following port could be found."},
		{config: combined, flags: []string{"-I", "3@h3:9093:xyz"}, err: "Failed to parse directory ID in dynamic voter string."},
		{config: combined, flags: []string{"--no-initial-controllers"}, err: "not supported yet"},
		{config: combined, flags: []string{"--standalone", "-N"}, err: "none of the others can be"},
		{config: withVoters, flags: []string{"--standalone"}, err: "You cannot specify controller.quorum.voters and format the node with --initial-controllers or --standalone."},
		{config: withVoters, out: "Formatting metadata directory"},
		{config: broker, flags: []string{"--standalone"}, err: "You can only use --standalone on a controller."},
		{config: broker, flags: []string{"-N"}, out: "Formatting metadata directory"},
		{config: broker, out: "Formatting metadata directory"},
		{config: broker, flags: []string{"-I", "1@h1:9093:" + dirID}, voters: "1@h1:9093", out: "Formatting dynamic metadata directory"},
	}
	for _, tt := range tests {
		dir := filepath.Join(t.TempDir(), "d")
		args := append([]string{"storage", "format", "-t", kafka.NewTopicID().String(), "-c", writeConfig(t, tt.config, dir)}, tt.flags...)
		out, _, err := execute(newRootCommand(), args...)
		name := strings.SplitN(tt.config, "\n", 3)[1] + " " + strings.Join(tt.flags, " ")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %v, want %q", name, err, tt.err)
			}
			if _, err := storage.ReadMetaProperties(dir); err == nil {
				t.Errorf("%s: refused, but %s was formatted", name, dir)
			}
			continue
		}
		if err != nil || !strings.Contains(out, tt.out) {
			t.Errorf("%s: %v, output %q, want %q", name, err, out, tt.out)
			continue
		}
		voters, err := storage.ReadQuorumVoters(dir)
		if err != nil || voters != tt.voters {
			t.Errorf("%s: voters %q (%v), want %q", name, voters, err, tt.voters)
		}
		if m, _ := storage.ReadMetaProperties(dir); strings.Contains(strings.Join(tt.flags, " "), ":"+dirID) && tt.voters != "1@h1:9093" && m.DirectoryID != dirID {
			t.Errorf("%s: directory id %q, want %q from --initial-controllers", name, m.DirectoryID, dirID)
		}
	}
}
