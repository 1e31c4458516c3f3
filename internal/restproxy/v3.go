package restproxy

// REST Proxy v3: clusters, brokers, topics and partitions, in Confluent's
// resource shapes (kind, metadata.self,
// metadata.resource_name, related links).
//
//	GET  /v3/clusters[/{cluster_id}]
//	GET  /v3/clusters/{cluster_id}/brokers[/{broker_id}]
//	GET  /v3/clusters/{cluster_id}/topics          POST creates
//	GET  /v3/clusters/{cluster_id}/topics/{topic}  DELETE deletes
//	GET  /v3/clusters/{cluster_id}/topics/{topic}/partitions[/{partition}]
//	POST /v3/clusters/{cluster_id}/topics/{topic}/records (v3_records.go)
//	GET  consumer groups (v3_groups.go)
//	     topic, broker and cluster-wide configs (v3_configs.go; many
//	     topics' at once: v3_configs_topics.go)
//	GET  consumer lag (v3_lags.go)
//	GET, POST, DELETE ACLs (v3_acls.go)
//	GET  partition reassignments in progress (v3_reassignments.go)
//
// Errors are {"error_code":404,"message":...}: the HTTP status, or 40002
// for a topic that exists already.

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

const contentTypeV3 = "application/json"

func (p *Proxy) routesV3(m *http.ServeMux) {
	const c = "/v3/clusters/{cluster}"
	m.HandleFunc("GET /v3/clusters", p.listClusters)
	m.HandleFunc("GET "+c, p.v3(p.getCluster))
	m.HandleFunc("GET "+c+"/brokers", p.v3(p.listBrokers))
	m.HandleFunc("GET "+c+"/brokers/{broker}", p.v3(p.getBroker))
	m.HandleFunc("GET "+c+"/topics", p.v3(p.listTopics))
	m.HandleFunc("POST "+c+"/topics", p.v3(p.createTopic))
	m.HandleFunc("GET "+c+"/topics/{topic}", p.v3(p.getTopic))
	m.HandleFunc("DELETE "+c+"/topics/{topic}", p.v3(p.deleteTopic))
	m.HandleFunc("GET "+c+"/topics/{topic}/partitions", p.v3(p.listPartitions))
	m.HandleFunc("GET "+c+"/topics/{topic}/partitions/{partition}", p.v3(p.getPartition))
	m.HandleFunc("POST "+c+"/topics/{topic}/records", p.produceV3)
	p.routesV3Groups(m)
	p.routesV3Configs(m)
	p.routesV3Lags(m)
	p.routesV3ACLs(m)
	p.routesV3Reassignments(m)
}

var (
	errV3TopicNotFound     = &Error{Status: http.StatusNotFound, Code: http.StatusNotFound, Message: "This server does not host this topic-partition."}
	errV3PartitionNotFound = errV3TopicNotFound
)

// v3Error turns err into a v3 answer: v3 codes are HTTP statuses.
func v3Error(err error) *Error {
	e := kafkaError(err)
	switch e {
	case errTopicNotFound:
		return errV3TopicNotFound
	case errPartitionNotFound:
		return errV3PartitionNotFound
	}
	if e.Code >= 50000 {
		return &Error{Status: e.Status, Code: e.Status, Message: e.Message}
	}
	return e
}

func writeV3Error(w http.ResponseWriter, err error) {
	e := v3Error(err)
	writeJSON(w, e.Status, contentTypeV3, e)
}

// v3req is one v3 request on a known cluster.
type v3req struct {
	*http.Request
	ctx  context.Context
	base string // http://host/v3/clusters/{cluster_id}
	adm  *kadm.Client
}

// v3 checks the path's cluster id and bounds the request, then runs h.
func (p *Proxy) v3(h func(http.ResponseWriter, v3req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("cluster"); id != p.cfg.ClusterID {
			writeV3Error(w, errorf(http.StatusNotFound, http.StatusNotFound, "Cluster %s cannot be found.", id))
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			if err := checkV3Body(r); err != nil {
				writeV3Error(w, err)
				return
			}
		}
		adm, err := p.admin(r.Context())
		if err != nil {
			writeV3Error(w, err)
			return
		}
		ctx, cancel := p.context(r)
		defer cancel()
		h(w, v3req{Request: r, ctx: ctx, base: scheme(r) + "://" + r.Host + "/v3/clusters/" + p.cfg.ClusterID, adm: adm})
	}
}

func checkV3Body(r *http.Request) error {
	switch mediaType(r.Header.Get("Content-Type")) {
	case "", "application/json":
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "HTTP 415 Unsupported Media Type")
}

type resourceMeta struct {
	Self         string  `json:"self"`
	ResourceName *string `json:"resource_name,omitempty"`
	Next         *string `json:"next,omitempty"`
}

type related struct {
	Related string `json:"related"`
}

type list[T any] struct {
	Kind     string       `json:"kind"`
	Metadata resourceMeta `json:"metadata"`
	Data     []T          `json:"data"`
}

func newList[T any](kind, self string, data []T) list[T] {
	var next *string
	if data == nil {
		data = []T{}
	}
	return list[T]{Kind: kind, Metadata: resourceMeta{Self: self, Next: next}, Data: data}
}

func meta(self, crn string) resourceMeta { return resourceMeta{Self: self, ResourceName: &crn} }

type clusterV3 struct {
	Kind                   string       `json:"kind"`
	Metadata               resourceMeta `json:"metadata"`
	ClusterID              string       `json:"cluster_id"`
	Controller             *related     `json:"controller"`
	ACLs                   related      `json:"acls"`
	Brokers                related      `json:"brokers"`
	BrokerConfigs          related      `json:"broker_configs"`
	ConsumerGroups         related      `json:"consumer_groups"`
	Topics                 related      `json:"topics"`
	PartitionReassignments related      `json:"partition_reassignments"`
}

// cluster describes the cluster; origin is the proxy's scheme://host as
// the request reached it.
func (p *Proxy) cluster(ctx context.Context, origin string) (clusterV3, error) {
	adm, err := p.admin(ctx)
	if err != nil {
		return clusterV3{}, err
	}
	md, err := adm.BrokerMetadata(fresh(ctx))
	if err != nil {
		return clusterV3{}, timeoutOr(ctx, err)
	}
	base := origin + "/v3/clusters/" + p.cfg.ClusterID
	c := clusterV3{Kind: "KafkaCluster", Metadata: meta(base, "crn:///kafka="+p.cfg.ClusterID), ClusterID: p.cfg.ClusterID,
		ACLs: related{base + "/acls"}, Brokers: related{base + "/brokers"}, BrokerConfigs: related{base + "/broker-configs"},
		ConsumerGroups: related{base + "/consumer-groups"}, Topics: related{base + "/topics"},
		PartitionReassignments: related{base + "/topics/-/partitions/-/reassignment"}}
	if md.Controller >= 0 {
		c.Controller = &related{base + "/brokers/" + itoa(int64(md.Controller))}
	}
	return c, nil
}

func (p *Proxy) listClusters(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := p.context(r)
	defer cancel()
	c, err := p.cluster(ctx, scheme(r)+"://"+r.Host)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaClusterList", scheme(r)+"://"+r.Host+"/v3/clusters", []clusterV3{c}))
}

func (p *Proxy) getCluster(w http.ResponseWriter, r v3req) {
	c, err := p.cluster(r.ctx, scheme(r.Request)+"://"+r.Host)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, c)
}

type brokerV3 struct {
	Kind              string       `json:"kind"`
	Metadata          resourceMeta `json:"metadata"`
	ClusterID         string       `json:"cluster_id"`
	BrokerID          int32        `json:"broker_id"`
	Host              string       `json:"host"`
	Port              int32        `json:"port"`
	Rack              *string      `json:"rack"`
	Configs           related      `json:"configs"`
	PartitionReplicas related      `json:"partition_replicas"`
}

func (p *Proxy) brokers(r v3req) ([]brokerV3, error) {
	bs, err := r.adm.ListBrokers(fresh(r.ctx))
	if err != nil {
		return nil, timeoutOr(r.ctx, err)
	}
	out := make([]brokerV3, 0, len(bs))
	for _, b := range bs {
		self := r.base + "/brokers/" + itoa(int64(b.NodeID))
		out = append(out, brokerV3{Kind: "KafkaBroker", Metadata: meta(self, "crn:///kafka="+p.cfg.ClusterID+"/broker="+itoa(int64(b.NodeID))),
			ClusterID: p.cfg.ClusterID, BrokerID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack,
			Configs: related{self + "/configs"}, PartitionReplicas: related{self + "/partition-replicas"}})
	}
	return out, nil
}

func (p *Proxy) listBrokers(w http.ResponseWriter, r v3req) {
	bs, err := p.brokers(r)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaBrokerList", r.base+"/brokers", bs))
}

func (p *Proxy) getBroker(w http.ResponseWriter, r v3req) {
	bs, err := p.brokers(r)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	for _, b := range bs {
		if itoa(int64(b.BrokerID)) == r.PathValue("broker") {
			writeJSON(w, http.StatusOK, contentTypeV3, b)
			return
		}
	}
	writeV3Error(w, errorf(http.StatusNotFound, http.StatusNotFound, "Broker %s cannot be found.", r.PathValue("broker")))
}

type topicV3 struct {
	Kind                   string       `json:"kind"`
	Metadata               resourceMeta `json:"metadata"`
	ClusterID              string       `json:"cluster_id"`
	TopicName              string       `json:"topic_name"`
	IsInternal             bool         `json:"is_internal"`
	ReplicationFactor      int          `json:"replication_factor"`
	PartitionsCount        int          `json:"partitions_count"`
	Partitions             related      `json:"partitions"`
	Configs                related      `json:"configs"`
	PartitionReassignments related      `json:"partition_reassignments"`
	AuthorizedOperations   []string     `json:"authorized_operations"`
}

func (p *Proxy) topicV3(r v3req, name string, internal bool, partitions, replicationFactor int) topicV3 {
	self := r.base + "/topics/" + name
	return topicV3{Kind: "KafkaTopic", Metadata: meta(self, "crn:///kafka="+p.cfg.ClusterID+"/topic="+name),
		ClusterID: p.cfg.ClusterID, TopicName: name, IsInternal: internal, ReplicationFactor: replicationFactor,
		PartitionsCount: partitions, Partitions: related{self + "/partitions"}, Configs: related{self + "/configs"},
		PartitionReassignments: related{self + "/partitions/-/reassignment"}, AuthorizedOperations: []string{}}
}

func (p *Proxy) topicOf(r v3req, td kadm.TopicDetail) topicV3 {
	rf := 0
	for _, pd := range td.Partitions {
		rf = max(rf, len(pd.Replicas))
	}
	return p.topicV3(r, td.Topic, td.IsInternal, len(td.Partitions), rf)
}

func (p *Proxy) listTopics(w http.ResponseWriter, r v3req) {
	md, err := r.adm.Metadata(fresh(r.ctx))
	if err != nil {
		writeV3Error(w, timeoutOr(r.ctx, err))
		return
	}
	var out []topicV3
	for _, name := range slices.Sorted(maps.Keys(md.Topics)) {
		if td := md.Topics[name]; td.Err == nil {
			out = append(out, p.topicOf(r, td))
		}
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaTopicList", r.base+"/topics", out))
}

func (p *Proxy) getTopic(w http.ResponseWriter, r v3req) {
	td, err := p.describeTopic(r.ctx, r.PathValue("topic"))
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, p.topicOf(r, td))
}

type createTopicRequest struct {
	TopicName         string `json:"topic_name"`
	PartitionsCount   *int32 `json:"partitions_count"`
	ReplicationFactor *int16 `json:"replication_factor"`
	Configs           []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	} `json:"configs"`
	ValidateOnly bool `json:"validate_only"`
}

func (p *Proxy) createTopic(w http.ResponseWriter, r v3req) {
	var req createTopicRequest
	if err := readJSON(w, r.Request, p.cfg.MaxRequestBytes, &req, false); err != nil {
		writeV3Error(w, err)
		return
	}
	if req.TopicName == "" {
		writeV3Error(w, errorf(http.StatusBadRequest, codeBadRequest, "topic_name is required"))
		return
	}
	partitions, rf := int32(-1), int16(-1)
	if req.PartitionsCount != nil {
		partitions = *req.PartitionsCount
	}
	if req.ReplicationFactor != nil {
		rf = *req.ReplicationFactor
	}
	configs := map[string]*string{}
	for _, c := range req.Configs {
		configs[c.Name] = c.Value
	}
	resp, err := createOne(r.ctx, r.adm, req.ValidateOnly, partitions, rf, configs, req.TopicName)
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, contentTypeV3, p.topicV3(r, req.TopicName, false, int(resp.NumPartitions), int(resp.ReplicationFactor)))
}

// createOne creates (or with validateOnly, validates the creation of) one
// topic, mapping Kafka's errors to v3's.
func createOne(ctx context.Context, adm *kadm.Client, validateOnly bool, partitions int32, rf int16, configs map[string]*string, topic string) (kadm.CreateTopicResponse, error) {
	var resp kadm.CreateTopicResponse
	var err error
	if validateOnly {
		var all kadm.CreateTopicResponses
		if all, err = adm.ValidateCreateTopics(ctx, partitions, rf, configs, topic); err == nil {
			resp, err = all.On(topic, nil)
		}
	} else {
		resp, err = adm.CreateTopic(ctx, partitions, rf, configs, topic)
	}
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil:
		return resp, nil
	case errors.Is(err, kerr.TopicAlreadyExists):
		return resp, errorf(http.StatusBadRequest, codeTopicExists, "Topic '%s' already exists.", topic)
	case errors.Is(err, kerr.InvalidPartitions), errors.Is(err, kerr.InvalidReplicationFactor),
		errors.Is(err, kerr.InvalidTopicException), errors.Is(err, kerr.InvalidConfig), errors.Is(err, kerr.InvalidRequest),
		errors.Is(err, kerr.InvalidReplicaAssignment), errors.Is(err, kerr.PolicyViolation):
		msg := err.Error()
		if resp.ErrMessage != "" {
			msg += ": " + resp.ErrMessage
		}
		return resp, errorf(http.StatusBadRequest, codeBadRequest, "%s", msg)
	}
	return resp, timeoutOr(ctx, err)
}

func (p *Proxy) deleteTopic(w http.ResponseWriter, r v3req) {
	topic := r.PathValue("topic")
	if _, err := p.describeTopic(r.ctx, topic); err != nil {
		writeV3Error(w, err)
		return
	}
	resp, err := r.adm.DeleteTopic(r.ctx, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		writeV3Error(w, timeoutOr(r.ctx, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type partitionV3 struct {
	Kind         string       `json:"kind"`
	Metadata     resourceMeta `json:"metadata"`
	ClusterID    string       `json:"cluster_id"`
	TopicName    string       `json:"topic_name"`
	PartitionID  int32        `json:"partition_id"`
	Leader       *related     `json:"leader"`
	Replicas     related      `json:"replicas"`
	Reassignment related      `json:"reassignment"`
}

func (p *Proxy) partitionsV3(r v3req, td kadm.TopicDetail) []partitionV3 {
	var out []partitionV3
	for _, pd := range td.Partitions.Sorted() {
		self := r.base + "/topics/" + td.Topic + "/partitions/" + itoa(int64(pd.Partition))
		pv := partitionV3{Kind: "KafkaPartition",
			Metadata:  meta(self, "crn:///kafka="+p.cfg.ClusterID+"/topic="+td.Topic+"/partition="+itoa(int64(pd.Partition))),
			ClusterID: p.cfg.ClusterID, TopicName: td.Topic, PartitionID: pd.Partition,
			Replicas: related{self + "/replicas"}, Reassignment: related{self + "/reassignment"}}
		if pd.Leader >= 0 {
			pv.Leader = &related{self + "/replicas/" + itoa(int64(pd.Leader))}
		}
		out = append(out, pv)
	}
	return out
}

func (p *Proxy) listPartitions(w http.ResponseWriter, r v3req) {
	td, err := p.describeTopic(r.ctx, r.PathValue("topic"))
	if err != nil {
		writeV3Error(w, err)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeV3, newList("KafkaPartitionList", r.base+"/topics/"+td.Topic+"/partitions", p.partitionsV3(r, td)))
}

func (p *Proxy) getPartition(w http.ResponseWriter, r v3req) {
	td, err := p.describeTopic(r.ctx, r.PathValue("topic"))
	if err != nil {
		writeV3Error(w, err)
		return
	}
	for _, pv := range p.partitionsV3(r, td) {
		if strconv.Itoa(int(pv.PartitionID)) == r.PathValue("partition") {
			writeJSON(w, http.StatusOK, contentTypeV3, pv)
			return
		}
	}
	writeV3Error(w, errV3PartitionNotFound)
}
