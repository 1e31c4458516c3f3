package controller

import (
	"errors"
	"fmt"

	"gregor/internal/metadata"
)

// Feature flags (UpdateFeatures, KIP-584): each update sets a served,
// changeable feature to a supported level. As Kafka's
// FeatureControlManager, the request is applied whole or not at all: the
// first refusal answers for the request.

// ErrInvalidFeatureUpdate: an update the controller refuses
// (INVALID_UPDATE_VERSION), with Kafka's message.
var ErrInvalidFeatureUpdate = errors.New("invalid feature update")

// UpgradeType is how a feature update may move the level, numbered as in
// UpdateFeaturesRequest v1+.
type UpgradeType int8

// The upgrade types.
const (
	Upgrade         UpgradeType = 1
	SafeDowngrade   UpgradeType = 2
	UnsafeDowngrade UpgradeType = 3
)

// FeatureUpdate sets feature Name to Level (0 disables it).
type FeatureUpdate struct {
	Name  string
	Level int16
	Type  UpgradeType
}

// UpdateFeaturesRequest applies every update, or with ValidateOnly only
// checks them.
type UpdateFeaturesRequest struct {
	Updates      []FeatureUpdate
	ValidateOnly bool
}

// UpdateFeaturesResponse has no fields: an error refuses the request.
type UpdateFeaturesResponse struct{}

func (UpdateFeaturesRequest) isRequest()   {}
func (UpdateFeaturesResponse) isResponse() {}

// updateFeatures computes the records of req; the feature epoch is the
// offset the records will be written at.
func updateFeatures(img *metadata.Image, req UpdateFeaturesRequest, offset int64) ([]metadata.Record, error) {
	last := map[string]int{} // of a feature named twice, the last update counts, as in Kafka
	for i, u := range req.Updates {
		last[u.Name] = i
	}
	var recs []metadata.Record
	for i, u := range req.Updates {
		if last[u.Name] != i {
			continue
		}
		if reason := checkFeatureUpdate(img, u); reason != "" {
			return nil, kafkaErrorf(ErrInvalidFeatureUpdate, "The update failed for all features since the following feature had an error: %s", reason)
		}
		recs = append(recs, metadata.Record{Type: metadata.TypeFeatureLevel,
			FeatureLevel: &metadata.FeatureLevelRecord{Name: u.Name, Level: u.Level, Epoch: offset}})
	}
	if req.ValidateOnly {
		return nil, nil
	}
	return recs, nil
}

// checkFeatureUpdate gives the reason to refuse an update, as Kafka's
// controller words it; "" accepts it.
func checkFeatureUpdate(img *metadata.Image, u FeatureUpdate) string {
	f, ok := metadata.FeatureByName(u.Name)
	current := img.FeatureLevel(u.Name)
	switch {
	case u.Type < Upgrade || u.Type > UnsafeDowngrade:
		return fmt.Sprintf("Invalid upgrade type %d for feature %s", u.Type, u.Name)
	case !ok:
		return fmt.Sprintf("Invalid update version %d for feature %s. The controller does not support this feature.", u.Level, u.Name)
	case u.Level < f.MinLevel || u.Level > f.MaxLevel:
		return fmt.Sprintf("Invalid update version %d for feature %s. The controller only supports versions %d-%d", u.Level, u.Name, f.MinLevel, f.MaxLevel)
	case !f.Changeable && u.Level != current:
		return fmt.Sprintf("Invalid update version %d for feature %s. Gregor runs it at level %d only.", u.Level, u.Name, current)
	case u.Level < current && u.Type == Upgrade:
		return fmt.Sprintf("Invalid update version %d for feature %s. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.", u.Level, u.Name)
	case u.Level > current && u.Type != Upgrade:
		return fmt.Sprintf("Invalid update version %d for feature %s. Can't downgrade to a newer version.", u.Level, u.Name)
	}
	return ""
}
