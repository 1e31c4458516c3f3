package controller

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"gregor/internal/kafka"
	"gregor/internal/metadata"
)

// TestUpdateFeatures proves which feature updates the controller accepts:
// transaction.version within 0–2 in the direction the upgrade type
// allows, the last update of a feature named twice, nothing written when
// validating only, and every other change refused whole.
func TestUpdateFeatures(t *testing.T) {
	img := metadata.Empty()
	for _, c := range []struct {
		name    string
		updates []FeatureUpdate
		ok      bool
	}{
		{"same level", []FeatureUpdate{{"transaction.version", 2, Upgrade}}, true},
		{"safe downgrade", []FeatureUpdate{{"transaction.version", 0, SafeDowngrade}}, true},
		{"downgrade typed as upgrade", []FeatureUpdate{{"transaction.version", 1, Upgrade}}, false},
		{"upgrade typed as downgrade", []FeatureUpdate{{"transaction.version", 3, SafeDowngrade}}, false},
		{"above the range", []FeatureUpdate{{"transaction.version", 3, Upgrade}}, false},
		{"fixed feature", []FeatureUpdate{{"group.version", 0, UnsafeDowngrade}}, false},
		{"fixed feature at its level", []FeatureUpdate{{"group.version", 1, Upgrade}}, true},
		{"unknown feature", []FeatureUpdate{{"no.such.version", 1, Upgrade}}, false},
		{"unknown type", []FeatureUpdate{{"transaction.version", 2, 4}}, false},
		{"one bad refuses all", []FeatureUpdate{{"transaction.version", 1, SafeDowngrade}, {"kraft.version", 1, Upgrade}}, false},
		{"named twice: the last counts", []FeatureUpdate{{"transaction.version", 3, Upgrade}, {"transaction.version", 1, SafeDowngrade}}, true},
	} {
		recs, err := updateFeatures(img, UpdateFeaturesRequest{Updates: c.updates}, 7)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidFeatureUpdate)) || (err != nil && recs != nil) {
			t.Errorf("%s: records %v, err %v", c.name, recs, err)
		}
		if dry, err := updateFeatures(img, UpdateFeaturesRequest{Updates: c.updates, ValidateOnly: true}, 7); dry != nil || c.ok != (err == nil) {
			t.Errorf("%s validate-only: records %v, err %v", c.name, dry, err)
		}
	}
	recs, err := updateFeatures(img, UpdateFeaturesRequest{Updates: []FeatureUpdate{{"transaction.version", 0, SafeDowngrade}}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	next, err := img.Apply(recs)
	if err != nil || next.FeatureLevel("transaction.version") != 0 || next.FeaturesEpoch() != 7 || img.FeatureLevel("transaction.version") != 2 {
		t.Fatalf("after the downgrade: level %d epoch %d (%v), before %d", next.FeatureLevel("transaction.version"), next.FeaturesEpoch(), err, img.FeatureLevel("transaction.version"))
	}
}

// TestBootstrappedFeatureLevels proves that a new cluster's first metadata
// entry finalizes transaction.version at 2, which a restart reads back
// from the log, while a log written by a Gregor that wrote no feature
// records keeps the cluster at level 0, across restarts and new entries,
// until the feature is upgraded.
func TestBootstrappedFeatureLevels(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := Quorum{NodeID: 1}
	// run opens the controller on dir, publishes its image, submits reqs
	// and stops; it answers the image published last.
	run := func(dir string, reqs ...Request) *metadata.Image {
		t.Helper()
		var published *metadata.Image
		c, err := OpenQuorum(openLog(t, dir), q, threeBrokers, func(_, next *metadata.Image) { published = next }, time.Now, logger)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		for _, req := range reqs {
			if _, err := c.Submit(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		<-done
		c.log.Close()
		return published
	}
	register := func(id kafka.NodeID) Request { return RegisterBrokerRequest{Broker: metadata.Broker{ID: id}} }
	level := func(img *metadata.Image) int16 { return img.FeatureLevel("transaction.version") }

	fresh := t.TempDir()
	if img := run(fresh, register(1)); level(img) != 2 || img.FeaturesEpoch() < 0 {
		t.Fatalf("new cluster: transaction.version %d", level(img))
	}
	if img := run(fresh, register(2)); level(img) != 2 {
		t.Fatalf("new cluster after a restart: transaction.version %d", level(img))
	}

	old := t.TempDir()
	writeBootstrapRecords = false // the log as an older Gregor wrote it
	img := run(old, register(1), CreateTopicsRequest{Topics: []TopicSpec{{Name: "t", NumPartitions: 1, ReplicationFactor: 1}}})
	writeBootstrapRecords = true
	if level(img) != 0 {
		t.Fatalf("the older Gregor's image: transaction.version %d", level(img))
	}
	if img := run(old, register(2)); level(img) != 0 {
		t.Fatalf("an upgraded cluster: transaction.version %d, want its old level 0", level(img))
	}
	img = run(old, UpdateFeaturesRequest{Updates: []FeatureUpdate{{"transaction.version", 2, Upgrade}}})
	if level(img) != 2 {
		t.Fatalf("after features upgrade: transaction.version %d", level(img))
	}
	if img := run(old); level(img) != 2 {
		t.Fatalf("after features upgrade and a restart: transaction.version %d", level(img))
	}
}
