package metadata

// TypeFeatureLevel finalizes one feature flag at a level (Kafka's
// FeatureLevelRecord, KIP-584), written by UpdateFeatures.
const TypeFeatureLevel RecordType = "feature_level"

// FeatureLevelRecord sets the finalized level of feature Name. Epoch is the
// metadata log offset of the change: the finalized features' epoch that
// ApiVersions answers, which grows with every change as in KRaft.
type FeatureLevelRecord struct {
	Name  string `json:"name"`
	Level int16  `json:"level"`
	Epoch int64  `json:"epoch"`
}

// Feature is one KIP-584 feature flag the cluster serves: the levels
// supported and the level a new cluster finalizes (what Kafka 4.2's
// storage format writes for a new cluster at its default release
// version). Changeable features can be set with UpdateFeatures; the
// others stay at their default.
//
// A Bootstrapped feature is written, at its default level, in the first
// entry of a new cluster's metadata log (BootstrapRecords): a log with
// records but none for the feature was written by a Gregor that did not
// finalize it, and the cluster stays at level 0 until the feature is
// upgraded, as Kafka keeps an upgraded cluster at its old levels until
// `features upgrade`. The other features are at their default whenever
// no record says otherwise.
type Feature struct {
	Name               string
	MinLevel, MaxLevel int16
	Default            int16
	Changeable         bool
	Bootstrapped       bool
}

// Features are the feature flags served, in the order ApiVersions lists
// them: metadata.version 7 (3.3-IV3) to 29 (4.2-IV1), kraft.version 0 (a
// static quorum), group.version 0–1 (KIP-848 groups), transaction.version
// 0–2 (2: KIP-890 part 2, an epoch bump at every transaction end).
var Features = []Feature{
	{Name: "metadata.version", MinLevel: 7, MaxLevel: 29, Default: 29},
	{Name: "kraft.version", MinLevel: 0, MaxLevel: 0, Default: 0},
	{Name: "group.version", MinLevel: 0, MaxLevel: 1, Default: 1},
	{Name: "transaction.version", MinLevel: 0, MaxLevel: 2, Default: 2, Changeable: true, Bootstrapped: true},
}

// FeatureByName returns the served feature named name.
func FeatureByName(name string) (Feature, bool) {
	for _, f := range Features {
		if f.Name == name {
			return f, true
		}
	}
	return Feature{}, false
}

// FeatureLevel returns the finalized level of feature name: the last
// level written, else the feature's default (0 for a feature not served,
// and for a Bootstrapped feature of a log with records but none for it).
// An image of nothing yet (a new cluster before its first entry) has the
// defaults, which the first entry then writes.
func (img *Image) FeatureLevel(name string) int16 {
	if l, ok := img.features[name]; ok {
		return l
	}
	f, _ := FeatureByName(name)
	if f.Bootstrapped && img.written {
		return 0
	}
	return f.Default
}

// Written reports whether any record has been applied to the image: false
// for the image of a new cluster's empty metadata log.
func (img *Image) Written() bool { return img.written }

// BootstrapRecords are the records a new cluster writes in the first entry
// of its metadata log, at offset: the default level of each Bootstrapped
// feature.
func BootstrapRecords(offset int64) []Record {
	var out []Record
	for _, f := range Features {
		if f.Bootstrapped {
			out = append(out, Record{Type: TypeFeatureLevel, FeatureLevel: &FeatureLevelRecord{Name: f.Name, Level: f.Default, Epoch: offset}})
		}
	}
	return out
}

// FeaturesEpoch is the epoch of the finalized levels: the metadata offset
// of the last change, 0 when none was written.
func (img *Image) FeaturesEpoch() int64 { return img.featuresEpoch }

func (img *Image) applyFeatureLevel(r FeatureLevelRecord) {
	if img.features == nil {
		img.features = map[string]int16{}
	}
	img.features[r.Name] = r.Level
	img.featuresEpoch = max(img.featuresEpoch, r.Epoch)
}

// featureRecords are the records that set every feature level written.
func featureRecords(img *Image) []Record {
	var out []Record
	for _, f := range Features {
		if l, ok := img.features[f.Name]; ok {
			out = append(out, Record{Type: TypeFeatureLevel, FeatureLevel: &FeatureLevelRecord{Name: f.Name, Level: l, Epoch: img.featuresEpoch}})
		}
	}
	return out
}
