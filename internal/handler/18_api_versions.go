package handler

// ApiVersions: v0–4.
//
// Behaviour: lists every registered API with the versions served (on a
// CONTROLLER listener, those of ControllerRegistry), so a key
// is advertised exactly when a handler exists for it, with one exception
// that Kafka 4 makes too (KAFKA-18659): Produce is listed from v0, though v0–2
// are not served (a request at v0–2 closes the connection, as in Kafka).
// librdkafka releases without the fix for its issue 4956 (Debian 12 ships
// 2.0.2, under kcat and confluent-kafka-python) compress with gzip, snappy
// or lz4 only when the broker lists Produce v0, and otherwise send every
// batch uncompressed without telling the application. A request at a version
// above 4 (which the server hands over without a body) is answered as Kafka
// does (KIP-511): a v0 response with
// UNSUPPORTED_VERSION and the ApiVersions range, from which the client
// retries at a version we serve. v3+ validates the client software name and
// version (INVALID_REQUEST on a mismatch, as Kafka). v3+ carries the
// features (KIP-584) that Gregor implements, with the levels of Kafka 4.2:
// metadata.version 3.3-IV3 (7) to 4.2-IV1 (29), finalized at 29;
// kraft.version 0 only (a static quorum; KIP-853 is not served);
// group.version 0–1, finalized at 1 (KIP-848 groups are served);
// transaction.version 0–2, finalized at 2 unless changed with
// UpdateFeatures (the Java producer and franz-go use KIP-890 part 2
// transactions at 2). As Kafka, a feature finalized at level 0 is not
// listed as finalized. The finalized levels come from the metadata image;
// their epoch is the metadata offset of the last change (0 before any).
// Differences from Kafka: share.version, streams.version and
// eligible.leader.replicas.version are not listed (share groups, KIP-1071
// streams groups and ELR are not served); kraft.version supports 0 only,
// where Kafka supports 0–1.

import (
	"context"
	"regexp"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"gregor/internal/metadata"
	"gregor/internal/wire"
)

func init() { register(18, 0, 4, noAuthorization, (*Handler).apiVersions) }

var softwareName = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

func (h *Handler) apiVersions(_ context.Context, req *Request) (kmsg.Response, error) {
	if req.Body == nil { // a version we do not serve, left undecoded by the server
		return unsupportedApiVersions(), nil
	}
	r := req.Body.(*kmsg.ApiVersionsRequest)
	resp := r.ResponseKind().(*kmsg.ApiVersionsResponse)
	if r.Version >= 3 && (!softwareName.MatchString(r.ClientSoftwareName) || !softwareName.MatchString(r.ClientSoftwareVersion)) {
		resp.ErrorCode = kerr.InvalidRequest.Code
	}
	reg := registry()
	if h.onControllerListener(req) {
		reg = controllerRegistry()
	}
	resp.ApiKeys = apiKeys(reg)
	img := h.Metadata.Image()
	if img == nil { // nothing published yet
		img = metadata.Empty()
	}
	resp.SupportedFeatures, resp.FinalizedFeatures = supportedFeatures(), finalizedFeatures(img)
	resp.FinalizedFeaturesEpoch = img.FeaturesEpoch()
	return resp, nil
}

func supportedFeatures() []kmsg.ApiVersionsResponseSupportedFeature {
	var out []kmsg.ApiVersionsResponseSupportedFeature
	for _, f := range metadata.Features {
		sf := kmsg.NewApiVersionsResponseSupportedFeature()
		sf.Name, sf.MinVersion, sf.MaxVersion = f.Name, f.MinLevel, f.MaxLevel
		out = append(out, sf)
	}
	return out
}

// finalizedFeatures are the levels of img, but those at 0, which Kafka
// does not list.
func finalizedFeatures(img *metadata.Image) []kmsg.ApiVersionsResponseFinalizedFeature {
	var out []kmsg.ApiVersionsResponseFinalizedFeature
	for _, f := range metadata.Features {
		level := img.FeatureLevel(f.Name)
		if level == 0 {
			continue
		}
		ff := kmsg.NewApiVersionsResponseFinalizedFeature()
		ff.Name, ff.MinVersionLevel, ff.MaxVersionLevel = f.Name, level, level
		out = append(out, ff)
	}
	return out
}

// listedMinVersion is the minimum version ApiVersions lists for the keys
// where it is lower than the lowest version served (see the file comment).
var listedMinVersion = map[int16]int16{0: 0}

func apiKeys(reg *wire.Registry) []kmsg.ApiVersionsResponseApiKey {
	var keys []kmsg.ApiVersionsResponseApiKey
	for _, a := range reg.APIs() {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = a.Key, a.MinVersion, a.MaxVersion
		if v, ok := listedMinVersion[a.Key]; ok {
			k.MinVersion = v
		}
		keys = append(keys, k)
	}
	return keys
}

// unsupportedApiVersions is the answer to an ApiVersions request at a
// version we do not serve: v0, UNSUPPORTED_VERSION, and our range for key 18.
func unsupportedApiVersions() kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	a, _ := registry().Lookup(18)
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MinVersion, k.MaxVersion = 18, a.MinVersion, a.MaxVersion
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{k}
	return resp
}
