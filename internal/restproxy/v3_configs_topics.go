package restproxy

// REST Proxy v3: the configs of many topics changed in one request, as
// Confluent's proxy serves it.
//
//	POST /v3/clusters/{cluster_id}/topics/-/configs:alter
//	     {"data":[{"topic_name":"t","configs":[{"name":"...","value":"...","operation":"SET"|"DELETE"}]}],
//	      "validate_only":false}
//
// First every config named must exist on its topic, checked with one
// DescribeConfigs: an unknown topic fails the whole request with 404
// 40403, an unknown config with 404 404 "HTTP 404 Not Found", and nothing
// is changed. Then each topic's changes are made (or with validate_only,
// validated) as the single-topic :alter makes them, all or none of one
// topic's. If every topic's succeed the answer is 204 No Content; else 207
// Multi-Status with {"failures":[{"topic_name","error_code","message"}]},
// one entry per topic Kafka refused, its code and message as configError
// gives them (an invalid value: 40002 and the broker's message); the
// other topics' changes stand. A topic named twice gets its last entry's
// changes. An empty or null body is 422; no data, no topic_name or no
// configs is 400.
//
// Differences from Confluent's: each topic's changes go to Kafka in an
// IncrementalAlterConfigs of their own (a few at a time) rather than all
// in one request, which changes nothing of the outcome (Kafka applies
// each resource of a request on its own); failures are listed in the
// order of the request; an empty topic_name is 400 without asking Kafka.

import (
	"net/http"

	"github.com/twmb/franz-go/pkg/kadm"
	"golang.org/x/sync/errgroup"
)

// alterTopicsParallelism bounds the topics whose changes are in flight at
// once in one request.
const alterTopicsParallelism = 8

type alterTopicsConfigsRequest struct {
	Data []struct {
		TopicName *string            `json:"topic_name"`
		Configs   []alterConfigEntry `json:"configs"`
	} `json:"data"`
	ValidateOnly bool `json:"validate_only"`
}

// topicChanges is what a request changes of one topic.
type topicChanges struct {
	scope   configScope
	changes []kadm.AlterConfig
}

// topics returns the changes of each topic, in the order the topics
// first appear.
func (req *alterTopicsConfigsRequest) topics() ([]topicChanges, error) {
	if req.Data == nil {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "data is required")
	}
	var out []topicChanges
	index := map[string]int{}
	for _, d := range req.Data {
		if d.TopicName == nil || *d.TopicName == "" {
			return nil, errorf(http.StatusBadRequest, codeBadRequest, "topic_name is required")
		}
		if d.Configs == nil {
			return nil, errorf(http.StatusBadRequest, codeBadRequest, "configs is required")
		}
		changes, err := alterChanges(d.Configs)
		if err != nil {
			return nil, err
		}
		i, ok := index[*d.TopicName]
		if !ok {
			i = len(out)
			index[*d.TopicName] = i
			out = append(out, topicChanges{scope: configScope{topic: *d.TopicName}})
		}
		out[i].changes = changes
	}
	return out, nil
}

// topicFailure is one topic whose changes Kafka refused.
type topicFailure struct {
	TopicName string `json:"topic_name"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func (p *Proxy) alterTopicsConfigs(w http.ResponseWriter, r v3req) {
	req, err := readPayload[alterTopicsConfigsRequest](w, r, p.cfg.MaxRequestBytes)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	topics, err := req.topics()
	if err == nil {
		err = checkTopicsConfigs(r, topics)
	}
	if err != nil {
		writeConfigError(w, err)
		return
	}
	failures := alterTopics(r, topics, req.ValidateOnly)
	if len(failures) > 0 {
		writeJSON(w, http.StatusMultiStatus, contentTypeV3, struct {
			Failures []topicFailure `json:"failures"`
		}{failures})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkTopicsConfigs fails unless every change names a config its topic
// has.
func checkTopicsConfigs(r v3req, topics []topicChanges) error {
	if len(topics) == 0 {
		return nil
	}
	scopes := make([]configScope, len(topics))
	for i, t := range topics {
		scopes[i] = t.scope
	}
	configs, err := describeConfigs(r, scopes...)
	if err != nil {
		return err
	}
	for i, t := range topics {
		if err := checkNames(configs[i], t.changes, func(string) error { return errNotFound }); err != nil {
			return err
		}
	}
	return nil
}

// alterTopics makes each topic's changes and returns the topics Kafka
// refused, in the order of topics.
func alterTopics(r v3req, topics []topicChanges, validateOnly bool) []topicFailure {
	errs := make([]error, len(topics))
	var g errgroup.Group
	g.SetLimit(alterTopicsParallelism)
	for i, t := range topics {
		g.Go(func() error {
			errs[i] = alterConfigs(r, t.scope, t.changes, validateOnly)
			return nil
		})
	}
	g.Wait()
	var failures []topicFailure
	for i, err := range errs {
		if err != nil {
			e := kafkaError(err)
			failures = append(failures, topicFailure{TopicName: topics[i].scope.topic, ErrorCode: e.Code, Message: e.Message})
		}
	}
	return failures
}
