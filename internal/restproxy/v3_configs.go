package restproxy

// REST Proxy v3: the configs of topics, of brokers and the cluster-wide
// broker defaults (Kafka's broker resource "", KIP-226), read with
// DescribeConfigs and changed with IncrementalAlterConfigs.
//
//	GET    /v3/clusters/{cluster_id}/topics/{topic}/configs[/{name}]
//	PUT    /v3/clusters/{cluster_id}/topics/{topic}/configs/{name}   {"value":"..."}
//	DELETE /v3/clusters/{cluster_id}/topics/{topic}/configs/{name}   back to the default
//	POST   /v3/clusters/{cluster_id}/topics/{topic}/configs:alter
//	       {"data":[{"name":"...","value":"...","operation":"SET"|"DELETE"}],"validate_only":false}
//	GET    /v3/clusters/{cluster_id}/topics/-/configs                every topic's
//	POST   /v3/clusters/{cluster_id}/topics/-/configs:alter          many topics' (v3_configs_topics.go)
//	the same under /brokers/{broker}/configs (GET /brokers/-/configs:
//	every broker's) and /broker-configs (only what is set cluster-wide)
//
// As Confluent's proxy: a change answers 204 No Content. It must name
// configs the resource has, else 404 (one config: "Config NAME cannot be
// found for TOPIC t in cluster c."; in :alter, "HTTP 404 Not Found"),
// except PUT and :alter of cluster-wide configs, which Kafka alone checks.
// An empty or null body is 422. Kafka's errors are answered as
// configError maps them: an invalid value 400 40002, an unknown topic 404
// 40403, an ACL 403 40301, others 500 50003 (retriable) or 50002.
// Difference: every :alter honours validate_only; Confluent's honours it
// for topics only.

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

func (p *Proxy) routesV3Configs(m *http.ServeMux) {
	const c = "/v3/clusters/{cluster}"
	p.configRoutes(m, c+"/topics/{topic}/configs", topicScope)
	p.configRoutes(m, c+"/brokers/{broker}/configs", p.brokerScope)
	p.configRoutes(m, c+"/broker-configs", clusterScope)
	m.HandleFunc("GET "+c+"/topics/-/configs", p.v3(p.listEveryTopicConfigs))
	m.HandleFunc("POST "+c+"/topics/-/configs:alter", p.v3(p.alterTopicsConfigs))
	m.HandleFunc("GET "+c+"/brokers/-/configs", p.v3(p.listEveryBrokerConfigs))
}

// configRoutes serves the configs under path of the resource that scope
// finds in a request's path.
func (p *Proxy) configRoutes(m *http.ServeMux, path string, scope func(v3req) (configScope, error)) {
	handle := func(pattern string, h func(http.ResponseWriter, v3req, configScope)) {
		m.HandleFunc(pattern, p.v3(func(w http.ResponseWriter, r v3req) {
			s, err := scope(r)
			if err != nil {
				writeConfigError(w, err)
				return
			}
			h(w, r, s)
		}))
	}
	handle("GET "+path, p.listConfigs)
	handle("GET "+path+"/{name}", p.getConfig)
	handle("PUT "+path+"/{name}", p.putConfig)
	handle("DELETE "+path+"/{name}", p.deleteConfig)
	handle("POST "+path+":alter", p.alterConfigBatch)
}

var (
	errConfigTopicNotFound = &Error{Status: http.StatusNotFound, Code: codeKafkaUnknownTopic, Message: "This server does not host this topic-partition."}
	errNullPayload         = &Error{Status: http.StatusUnprocessableEntity, Code: http.StatusUnprocessableEntity,
		Message: "Error: 42206 : Payload error. Null input provided. Data is required."}
)

// configScope is the resource whose configs a request reads or changes:
// a topic, a broker, or, with neither, the cluster-wide broker defaults.
type configScope struct {
	topic  string
	broker *int32
}

func topicScope(r v3req) (configScope, error) { return configScope{topic: r.PathValue("topic")}, nil }

func clusterScope(v3req) (configScope, error) { return configScope{}, nil }

// brokerScope is the broker of the path; one the cluster does not have is 404.
func (p *Proxy) brokerScope(r v3req) (configScope, error) {
	id, err := strconv.ParseInt(r.PathValue("broker"), 10, 32)
	bs, lerr := p.brokers(r)
	if lerr != nil {
		return configScope{}, lerr
	}
	broker := int32(id)
	if err != nil || !slices.ContainsFunc(bs, func(b brokerV3) bool { return b.BrokerID == broker }) {
		return configScope{}, errorf(http.StatusNotFound, http.StatusNotFound, "Broker %s cannot be found.", r.PathValue("broker"))
	}
	return configScope{broker: &broker}, nil
}

func (s configScope) cluster() bool { return s.topic == "" && s.broker == nil }

// resource is Kafka's config resource of s, its type and name, as
// Confluent's messages spell them.
func (s configScope) resource() (typ, name string) {
	switch {
	case s.topic != "":
		return "TOPIC", s.topic
	case s.broker != nil:
		return "BROKER", itoa(int64(*s.broker))
	}
	return "BROKER", ""
}

// kind is the kind of the v3 resource of one config of s.
func (s configScope) kind() string {
	switch {
	case s.topic != "":
		return "KafkaTopicConfig"
	case s.broker != nil:
		return "KafkaBrokerConfig"
	}
	return "KafkaClusterConfig"
}

// path is the path of the configs of s under a cluster's.
func (s configScope) path() string {
	switch {
	case s.topic != "":
		return "/topics/" + s.topic + "/configs"
	case s.broker != nil:
		return "/brokers/" + itoa(int64(*s.broker)) + "/configs"
	}
	return "/broker-configs"
}

// crn is the resource name of config name of s under a cluster's.
func (s configScope) crn(name string) string {
	switch {
	case s.topic != "":
		return "/topic=" + s.topic + "/config=" + name
	case s.broker != nil:
		return "/broker=" + itoa(int64(*s.broker)) + "/config=" + name
	}
	return "/broker-config=" + name
}

// configV3 is one config of a topic (topic_name), a broker (broker_id) or
// the cluster (config_type).
type configV3 struct {
	Kind        string          `json:"kind"`
	Metadata    resourceMeta    `json:"metadata"`
	ClusterID   string          `json:"cluster_id"`
	TopicName   *string         `json:"topic_name,omitempty"`
	BrokerID    *int32          `json:"broker_id,omitempty"`
	ConfigType  string          `json:"config_type,omitempty"`
	Name        string          `json:"name"`
	Value       *string         `json:"value"`
	IsDefault   bool            `json:"is_default"`
	IsReadOnly  bool            `json:"is_read_only"`
	IsSensitive bool            `json:"is_sensitive"`
	Source      string          `json:"source"`
	Synonyms    []configSynonym `json:"synonyms"`
}

type configSynonym struct {
	Name   string  `json:"name"`
	Value  *string `json:"value"`
	Source string  `json:"source"`
}

func (p *Proxy) configV3(r v3req, s configScope, c kadm.Config) configV3 {
	source := c.Source.String()
	cv := configV3{Kind: s.kind(), Metadata: meta(r.base+s.path()+"/"+c.Key, "crn:///kafka="+p.cfg.ClusterID+s.crn(c.Key)),
		ClusterID: p.cfg.ClusterID, BrokerID: s.broker, Name: c.Key, Value: c.Value, IsSensitive: c.Sensitive,
		IsDefault: source == "DEFAULT_CONFIG", IsReadOnly: s.topic == "" && source == "STATIC_BROKER_CONFIG",
		Source: source, Synonyms: []configSynonym{}}
	switch {
	case s.topic != "":
		cv.TopicName = &s.topic
	case s.broker == nil:
		cv.ConfigType = "BROKER"
	}
	for _, syn := range c.Synonyms {
		cv.Synonyms = append(cv.Synonyms, configSynonym{Name: syn.Key, Value: syn.Value, Source: syn.Source.String()})
	}
	return cv
}

func (p *Proxy) configsV3(r v3req, s configScope, configs []kadm.Config) []configV3 {
	out := make([]configV3, 0, len(configs))
	for _, c := range configs {
		out = append(out, p.configV3(r, s, c))
	}
	return out
}

// describeConfigs returns the configs of each of scopes, all topics or
// all brokers and the cluster, sorted by name; those of the cluster are
// the ones set cluster-wide.
func describeConfigs(r v3req, scopes ...configScope) ([][]kadm.Config, error) {
	var rcs kadm.ResourceConfigs
	var err error
	if scopes[0].topic != "" {
		var topics []string
		for _, s := range scopes {
			topics = append(topics, s.topic)
		}
		rcs, err = r.adm.DescribeTopicConfigs(r.ctx, topics...)
	} else {
		var brokers []int32 // none: the cluster
		for _, s := range scopes {
			if s.broker != nil {
				brokers = append(brokers, *s.broker)
			}
		}
		rcs, err = r.adm.DescribeBrokerConfigs(r.ctx, brokers...)
	}
	if err != nil {
		return nil, configError(r.ctx, err, "")
	}
	out := make([][]kadm.Config, len(scopes))
	for i, s := range scopes {
		_, name := s.resource()
		rc, err := rcs.On(name, nil)
		if err == nil {
			err = rc.Err
		}
		if err != nil {
			return nil, configError(r.ctx, err, rc.ErrMessage)
		}
		for _, c := range rc.Configs {
			if !s.cluster() || c.Source.String() == "DYNAMIC_DEFAULT_BROKER_CONFIG" {
				out[i] = append(out[i], c)
			}
		}
		slices.SortFunc(out[i], func(a, b kadm.Config) int { return cmp.Compare(a.Key, b.Key) })
	}
	return out, nil
}

func (p *Proxy) listConfigs(w http.ResponseWriter, r v3req, s configScope) {
	configs, err := describeConfigs(r, s)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList(s.kind()+"List", r.base+s.path(), p.configsV3(r, s, configs[0])))
}

func (p *Proxy) getConfig(w http.ResponseWriter, r v3req, s configScope) {
	configs, err := describeConfigs(r, s)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	i := slices.IndexFunc(configs[0], func(c kadm.Config) bool { return c.Key == r.PathValue("name") })
	if i < 0 {
		writeConfigError(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, p.configV3(r, s, configs[0][i]))
}

func (p *Proxy) listEveryTopicConfigs(w http.ResponseWriter, r v3req) {
	md, err := r.adm.Metadata(fresh(r.ctx))
	if err != nil {
		writeConfigError(w, timeoutOr(r.ctx, err))
		return
	}
	var scopes []configScope
	for _, name := range slices.Sorted(maps.Keys(md.Topics)) {
		if md.Topics[name].Err == nil {
			scopes = append(scopes, configScope{topic: name})
		}
	}
	p.writeEveryConfig(w, r, "KafkaTopicConfigList", "/topics/-/configs", scopes)
}

func (p *Proxy) listEveryBrokerConfigs(w http.ResponseWriter, r v3req) {
	bs, err := p.brokers(r)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	var scopes []configScope
	for _, b := range bs {
		scopes = append(scopes, configScope{broker: &b.BrokerID})
	}
	slices.SortFunc(scopes, func(a, b configScope) int { return cmp.Compare(*a.broker, *b.broker) })
	p.writeEveryConfig(w, r, "KafkaBrokerConfigList", "/brokers/-/configs", scopes)
}

// writeEveryConfig answers the configs of scopes, one after the other, as
// one list.
func (p *Proxy) writeEveryConfig(w http.ResponseWriter, r v3req, kind, path string, scopes []configScope) {
	var out []configV3
	if len(scopes) > 0 {
		all, err := describeConfigs(r, scopes...)
		if err != nil {
			writeConfigError(w, err)
			return
		}
		for i, s := range scopes {
			out = append(out, p.configsV3(r, s, all[i])...)
		}
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList(kind, r.base+path, out))
}

func (p *Proxy) putConfig(w http.ResponseWriter, r v3req, s configScope) {
	req, err := readPayload[struct {
		Value *string `json:"value"`
	}](w, r, p.cfg.MaxRequestBytes)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	var missing func(string) error // cluster-wide: Kafka alone checks the name
	if !s.cluster() {
		missing = p.configMissing(s)
	}
	change := kadm.AlterConfig{Op: kadm.SetConfig, Name: r.PathValue("name"), Value: req.Value}
	writeChange(w, changeConfigs(r, s, []kadm.AlterConfig{change}, false, missing))
}

func (p *Proxy) deleteConfig(w http.ResponseWriter, r v3req, s configScope) {
	change := kadm.AlterConfig{Op: kadm.DeleteConfig, Name: r.PathValue("name")}
	writeChange(w, changeConfigs(r, s, []kadm.AlterConfig{change}, false, p.configMissing(s)))
}

// alterConfigsRequest is the body of :alter.
type alterConfigsRequest struct {
	Data         []alterConfigEntry `json:"data"`
	ValidateOnly bool               `json:"validate_only"`
}

// alterConfigEntry is one change of an :alter body. A missing operation
// is SET.
type alterConfigEntry struct {
	Name      *string `json:"name"`
	Value     *string `json:"value"`
	Operation *string `json:"operation"`
}

func (req *alterConfigsRequest) changes() ([]kadm.AlterConfig, error) {
	if req.Data == nil {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "data is required")
	}
	return alterChanges(req.Data)
}

// alterChanges returns the changes of entries; one without a name or with
// an unknown operation is 400, as Confluent's JSON mapper answers it.
func alterChanges(entries []alterConfigEntry) ([]kadm.AlterConfig, error) {
	changes := make([]kadm.AlterConfig, 0, len(entries))
	for _, d := range entries {
		if d.Name == nil {
			return nil, errorf(http.StatusBadRequest, codeBadRequest, "name is required")
		}
		c := kadm.AlterConfig{Op: kadm.SetConfig, Name: *d.Name, Value: d.Value}
		if d.Operation != nil {
			switch *d.Operation {
			case "SET":
			case "DELETE":
				c = kadm.AlterConfig{Op: kadm.DeleteConfig, Name: *d.Name}
			default:
				return nil, errorf(http.StatusBadRequest, codeBadRequest,
					"Cannot deserialize operation from String %q: not one of the values accepted: [SET, DELETE]", *d.Operation)
			}
		}
		changes = append(changes, c)
	}
	return changes, nil
}

func (p *Proxy) alterConfigBatch(w http.ResponseWriter, r v3req, s configScope) {
	req, err := readPayload[alterConfigsRequest](w, r, p.cfg.MaxRequestBytes)
	if err != nil {
		writeConfigError(w, err)
		return
	}
	changes, err := req.changes()
	if err != nil {
		writeConfigError(w, err)
		return
	}
	var missing func(string) error // cluster-wide: Kafka alone checks the names
	if !s.cluster() {
		missing = func(string) error { return errNotFound }
	}
	writeChange(w, changeConfigs(r, s, changes, req.ValidateOnly, missing))
}

// readPayload decodes the request body as a T; an empty or null body is
// Confluent's 422.
func readPayload[T any](w http.ResponseWriter, r v3req, limit int64) (*T, error) {
	var v *T
	if err := readJSON(w, r.Request, limit, &v, true); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errNullPayload
	}
	return v, nil
}

// configMissing answers a change of one config that s does not have.
func (p *Proxy) configMissing(s configScope) func(name string) error {
	return func(name string) error {
		typ, resource := s.resource()
		return errorf(http.StatusNotFound, http.StatusNotFound, "Config %s cannot be found for %s %s in cluster %s.",
			name, typ, resource, p.cfg.ClusterID)
	}
}

// changeConfigs makes changes to the configs of s, or with validateOnly
// has Kafka validate them. Unless missing is nil, each change must name a
// config s has; missing answers the first that does not.
func changeConfigs(r v3req, s configScope, changes []kadm.AlterConfig, validateOnly bool, missing func(string) error) error {
	if missing != nil {
		configs, err := describeConfigs(r, s)
		if err != nil {
			return err
		}
		if err := checkNames(configs[0], changes, missing); err != nil {
			return err
		}
	}
	return alterConfigs(r, s, changes, validateOnly)
}

// checkNames answers with missing the first of changes that names none
// of configs.
func checkNames(configs []kadm.Config, changes []kadm.AlterConfig, missing func(string) error) error {
	for _, c := range changes {
		if !slices.ContainsFunc(configs, func(k kadm.Config) bool { return k.Key == c.Name }) {
			return missing(c.Name)
		}
	}
	return nil
}

// alterConfigs makes changes to the configs of s with one
// IncrementalAlterConfigs, or with validateOnly has Kafka validate them.
func alterConfigs(r v3req, s configScope, changes []kadm.AlterConfig, validateOnly bool) error {
	var resps kadm.AlterConfigsResponses
	var err error
	var brokers []int32 // none: the cluster
	if s.broker != nil {
		brokers = []int32{*s.broker}
	}
	switch {
	case s.topic != "" && validateOnly:
		resps, err = r.adm.ValidateAlterTopicConfigs(r.ctx, changes, s.topic)
	case s.topic != "":
		resps, err = r.adm.AlterTopicConfigs(r.ctx, changes, s.topic)
	case validateOnly:
		resps, err = r.adm.ValidateAlterBrokerConfigs(r.ctx, changes, brokers...)
	default:
		resps, err = r.adm.AlterBrokerConfigs(r.ctx, changes, brokers...)
	}
	if err != nil {
		return configError(r.ctx, err, "")
	}
	_, name := s.resource()
	resp, err := resps.On(name, nil)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return configError(r.ctx, err, resp.ErrMessage)
	}
	return nil
}

func writeChange(w http.ResponseWriter, err error) {
	if err != nil {
		writeConfigError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeConfigError writes err with its own code: the config resources
// answer Kafka's errors with Confluent's Kafka codes (40002, 40403,
// 50002, ...), not with the HTTP status alone as the other v3 resources.
func writeConfigError(w http.ResponseWriter, err error) {
	e := kafkaError(err)
	writeJSON(w, e.Status, contentTypeV3, e)
}

// configError is Confluent's answer to Kafka's err about configs, as its
// Kafka exception mapper gives it; msg, the broker's message if any, is
// the message, else Kafka's description of the error.
func configError(ctx context.Context, err error, msg string) *Error {
	var ke *kerr.Error
	if !errors.As(err, &ke) || ctx.Err() != nil {
		return kafkaError(timeoutOr(ctx, err))
	}
	if msg == "" {
		msg = ke.Description
	}
	if e := authError(err); e != nil {
		e.Message = msg
		return e
	}
	switch ke {
	case kerr.UnknownTopicOrPartition:
		return errConfigTopicNotFound
	case kerr.InvalidConfig, kerr.InvalidRequest, kerr.PolicyViolation, kerr.UnsupportedVersion, kerr.UnknownServerError,
		kerr.InvalidReplicationFactor, kerr.InvalidPartitions, kerr.SecurityDisabled, kerr.TopicAlreadyExists:
		return errorf(http.StatusBadRequest, codeKafkaBadRequest, "%s", msg)
	case kerr.BrokerNotAvailable:
		return errorf(http.StatusServiceUnavailable, codeBrokerNotAvailable, "%s", msg)
	}
	if ke.Retriable {
		return errorf(http.StatusInternalServerError, codeKafkaRetriable, "%s", msg)
	}
	return errorf(http.StatusInternalServerError, codeKafka, "%s", msg)
}
