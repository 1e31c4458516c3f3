package controller

import (
	"errors"
	"testing"

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
