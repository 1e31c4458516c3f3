package kafkadiff

import "github.com/twmb/franz-go/pkg/kmsg"

// updateFeaturesKey sends UpdateFeatures that leave the cluster as it is:
// transaction.version to its current level 2 (validate-only from v1), and
// updates each broker refuses (a level above the supported range, a
// downgrade typed as an upgrade, an unknown feature, a feature named
// twice).
func updateFeaturesKey(s *session, v int16) any {
	update := func(validateOnly bool, updates ...kmsg.UpdateFeaturesRequestFeatureUpdate) kmsg.Response {
		req := kmsg.NewPtrUpdateFeaturesRequest()
		req.TimeoutMillis, req.ValidateOnly, req.FeatureUpdates = 30000, validateOnly, updates
		return s.do(req, v)
	}
	feature := func(name string, level int16, typ int8) kmsg.UpdateFeaturesRequestFeatureUpdate {
		u := kmsg.NewUpdateFeaturesRequestFeatureUpdate()
		u.Feature, u.MaxVersionLevel, u.UpgradeType = name, level, typ
		return u
	}
	return []any{
		update(true, feature("transaction.version", 2, 1)),
		update(true, feature("transaction.version", 3, 1)),
		update(true, feature("transaction.version", 1, 1)),
		update(true, feature("no.such.version", 1, 1)),
		update(true, feature("transaction.version", 2, 1), feature("transaction.version", 2, 1)),
	}
}
